import ComfySim
import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `export python|curl|js`: each program, run as a real process against the simulator, saves the
/// same pictures comfysh's own `run; watch; download` saved, never holds the key, and reports the
/// server's errors with a failing status. One at a time: a Python or Node start is heavy, and many at
/// once on a small machine delay the timing-bound simulator tests that run beside them.
@MainActor
@Suite(.serialized) struct ExportTests {
  /// Exports `language` after comfysh's own run, runs the program, and compares the two folders' pictures.
  func expectSameOutputsAsComfysh(_ language: ExportLanguage, file: String) async throws {
    let h = try await ServerHarness()
    await h.loadBasic(color: 0x3366CC)
    let own = h.shell.folder + "/own"
    let exported = h.shell.folder + "/exported"
    _ = await h.ok("run; watch; download own")
    let wrote = await h.ok("export \(language.rawValue) \(file)")
    #expect(wrote.contains("wrote \(file)"), "\(wrote)")
    #expect(wrote.contains(language.runLine(file)), "\(wrote)")
    let path = h.shell.folder + "/" + file
    var info = stat()
    #expect(stat(path, &info) == 0)
    #expect(info.st_mode & 0o777 == (language == .js ? 0o644 : 0o755))

    let result = await ExportedProgram.run(
      language, path, arguments: [exported], environment: ["COMFY_SERVER": h.simulator.baseURL])
    #expect(result.status == 0, "\(result)")
    let ownFiles = FileIO.names(in: own).sorted()
    let exportedFiles = FileIO.names(in: exported).sorted()
    #expect(!ownFiles.isEmpty)
    #expect(exportedFiles.count == ownFiles.count, "\(ownFiles) vs \(exportedFiles)")
    #expect(
      result.stdout.split(separator: "\n").map(String.init).sorted()
        == exportedFiles.map { exported + "/" + $0 }, "\(result)")
    for (mine, theirs) in zip(ownFiles, exportedFiles) {
      let ownPicture = try PNGDecoder.decode(try FileIO.read(own + "/" + mine))
      let exportedPicture = try PNGDecoder.decode(try FileIO.read(exported + "/" + theirs))
      #expect(ownPicture == exportedPicture, "\(mine) and \(theirs) differ")
      #expect(ownPicture.width == 64)
    }
    await h.close()
  }

  @Test(ExportedProgram.needsPython) func pythonProgramSavesWhatComfyshSaves() async throws {
    try await expectSameOutputsAsComfysh(.python, file: "prog.py")
  }

  @Test(ExportedProgram.needsCurl) func curlProgramSavesWhatComfyshSaves() async throws {
    try await expectSameOutputsAsComfysh(.curl, file: "prog.sh")
  }

  @Test(ExportedProgram.needsNode) func javaScriptProgramSavesWhatComfyshSaves() async throws {
    try await expectSameOutputsAsComfysh(.js, file: "prog.mjs")
  }

  @Test(ExportedProgram.needsAll) func paidProgramNeedsTheKeyFromItsEnvironmentOnly() async throws {
    let h = try await ServerHarness(comfyUI: .comfyUI0_33)
    h.session.keyRing = KeyRing(
      configFolder: h.shell.folder + "/config", environment: ["COMFY_API_KEY": TestKeys.work],
      input: KeyFeed(terminal: false).input)
    _ = await h.ok("add FluxProUltraImageNode as 1; set 1.prompt \"a fox\"")
    _ = await h.ok("add SaveImage as 2; link 2.images 1:0")
    #expect(await h.ok("payload").contains("api_key_comfy_org"))
    for (language, file) in [(ExportLanguage.python, "paid.py"), (.curl, "paid.sh"), (.js, "paid.mjs")] {
      let wrote = await h.ok("export \(language.rawValue) \(file)")
      #expect(wrote.contains("needs COMFY_API_KEY"), "\(wrote)")
      let path = h.shell.folder + "/" + file
      let text = try FileIO.readText(path)
      #expect(!text.contains(TestKeys.work))
      #expect(!text.contains(String(TestKeys.work.dropFirst(8).prefix(12))))
      #expect(text.contains("COMFY_API_KEY"))
      #expect(text.contains("1 (FluxProUltraImageNode)"))

      let without = await ExportedProgram.run(
        language, path, arguments: [h.shell.folder + "/none-\(language)"],
        environment: ["COMFY_SERVER": h.simulator.baseURL])
      #expect(without.status != 0, "\(without)")
      #expect(without.stderr.contains("paid API nodes (1 (FluxProUltraImageNode))"), "\(without)")
      #expect(without.stderr.contains("set COMFY_API_KEY"), "\(without)")

      let keysBefore = h.simulator.receivedAPIKeys.count
      let with = await ExportedProgram.run(
        language, path, arguments: [h.shell.folder + "/paid-\(language)"],
        environment: ["COMFY_SERVER": h.simulator.baseURL, "COMFY_API_KEY": TestKeys.ci])
      #expect(with.status == 0, "\(with)")
      #expect(Array(h.simulator.receivedAPIKeys.dropFirst(keysBefore)) == [TestKeys.ci])
      #expect(FileIO.names(in: h.shell.folder + "/paid-\(language)").count == 1)
    }
    let printed = await h.ok("export curl")
    #expect(!printed.contains(TestKeys.work))
    await h.close()
  }

  @Test(ExportedProgram.needsAll) func failedNodeMakesTheProgramFailWithTheServersError() async throws {
    let h = try await ServerHarness()
    await h.loadBasic(color: 0x102030, prefix: "../outside")
    for (language, file) in [(ExportLanguage.python, "fail.py"), (.curl, "fail.sh"), (.js, "fail.mjs")] {
      _ = await h.ok("export \(language.rawValue) \(file)")
      let result = await ExportedProgram.run(
        language, h.shell.folder + "/" + file, arguments: [h.shell.folder + "/out-\(language)"],
        environment: ["COMFY_SERVER": h.simulator.baseURL])
      #expect(result.status == 1, "\(result)")
      #expect(result.stderr.contains("node 3 (SaveImage) failed: Exception:"), "\(result)")
      #expect(result.stderr.contains("Saving image outside the output folder is not allowed"), "\(result)")
      #expect(result.stdout.isEmpty, "\(result)")
    }
    await h.close()
  }

  @Test(ExportedProgram.needsAll) func rejectedPromptMakesTheProgramFailWithTheNodeErrors() async throws {
    let h = try await ServerHarness()
    // `set` refuses the width locally; a loaded file takes it, and only the server judges it.
    let invalid = ServerHarness.basic(color: 0x102030, prefix: "bad").replacing(
      "\"width\": 64", with: "\"width\": 0")
    _ = h.write("invalid.json", invalid)
    _ = await h.ok("load invalid.json")
    for (language, file) in [(ExportLanguage.python, "bad.py"), (.curl, "bad.sh"), (.js, "bad.mjs")] {
      _ = await h.ok("export \(language.rawValue) \(file)")
      let result = await ExportedProgram.run(
        language, h.shell.folder + "/" + file, arguments: [h.shell.folder + "/out-\(language)"],
        environment: ["COMFY_SERVER": h.simulator.baseURL])
      #expect(result.status == 1, "\(result)")
      #expect(
        result.stderr.contains("the server rejected the prompt (HTTP 400): Prompt outputs failed validation"),
        "\(result)")
      #expect(
        result.stderr.contains("value_smaller_than_min")
          || result.stderr.contains("Value 0 smaller than min"), "\(result)")
    }
    await h.close()
  }

  @Test func printsTheProgramWithoutAFileAndRefusesMistakes() async throws {
    let h = try await ServerHarness()
    #expect(await h.fails("export python").contains("the workflow is empty"))
    await h.loadBasic(color: 0x445566)
    _ = await h.ok("seed 1.color randomize")
    let printed = await h.ok("export python")
    #expect(printed.hasPrefix("#!/usr/bin/env python3\n# Runs a ComfyUI workflow"))
    #expect(printed.contains("Server: \(h.simulator.baseURL)"))
    #expect(printed.contains("\"class_type\": \"ImageInvert\""))
    #expect(!printed.contains("\"client_id\": \""))
    let seedLine = try #require(
      printed.split(separator: "\n").first { $0.contains("Seed: 1.color is fixed at ") })
    let frozen = try #require(seedLine.split(separator: " ").dropFirst(6).first)
    #expect(printed.contains("\"color\": \(frozen)"), "\(seedLine)")
    #expect(await h.ok("export js").hasPrefix("// Node 20 needs --experimental-websocket"))
    #expect(await h.ok("export curl").hasPrefix("#!/bin/sh\n"))

    #expect(await h.fails("export ruby").contains("export writes python, curl or js, not ruby"))
    _ = await h.ok("export curl run.sh")
    #expect(
      await h.fails("export curl run.sh").contains(
        "run.sh already exists; `export curl run.sh -f` replaces it"))
    #expect(await h.ok("export curl run.sh -f").contains("wrote run.sh"))
    #expect(mkdir(h.shell.folder + "/sub", 0o755) == 0)
    #expect(await h.fails("export python sub").contains("sub is a folder"))
    #expect(await h.fails("export python missing/dir/prog.py").contains("cannot write missing/dir/prog.py"))
    await h.close()
  }

  @Test func jsonModeGivesTheProgramOrThePath() async throws {
    let h = try await ServerHarness(json: true)
    await h.loadBasic(color: 0x445566)
    let printed = try #require(ndjson(await h.ok("export js")).last)
    #expect(printed["type"] == "export")
    #expect(printed["language"] == "js")
    #expect(printed["program"]?.stringValue?.contains("new WebSocket(") == true)
    let written = try #require(ndjson(await h.ok("export python prog.py")).last)
    #expect(written["path"] == "prog.py")
    #expect(written["program"] == nil)
    await h.close()
  }
}

/// Runs exported programs as real processes (posix_spawn, no shell between), and says which of
/// their interpreters this machine has; a missing one is reported as a skip, which Scripts/test.sh
/// turns into a failure where the fixtures are present or COMFYSH_STRICT=1.
enum ExportedProgram {
  struct Result: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
  }

  static let hasPython = probe(["python3", "-c", "import websocket"]).status == 0
  static let hasCurl = probe(["curl", "--version"]).status == 0 && probe(["sh", "-c", "exit 0"]).status == 0
  /// Node 20.10 is the first with `--experimental-websocket`.
  static let hasNode: Bool = {
    let version = probe(["node", "--version"])
    let line = version.stdout.split(separator: "\n").first ?? ""
    let parts = line.dropFirst().split(separator: ".").compactMap { Int($0) }
    guard version.status == 0, parts.count >= 2 else { return false }
    return parts[0] > 20 || (parts[0] == 20 && parts[1] >= 10)
  }()

  static let needsPython: ConditionTrait = .enabled(
    if: hasPython, "needs python3 with websocket-client (Scripts/setup.sh installs it)")
  static let needsCurl: ConditionTrait = .enabled(if: hasCurl, "needs curl and sh")
  static let needsNode: ConditionTrait = .enabled(
    if: hasNode, "needs node 20.10 or later (Scripts/setup.sh installs nodejs)")
  static let needsAll: ConditionTrait = .enabled(
    if: hasPython && hasCurl && hasNode,
    "needs python3 with websocket-client, curl, sh and node 20.10 or later")

  static func command(_ language: ExportLanguage, _ path: String) -> [String] {
    switch language {
    case .python: ["python3", path]
    case .curl: ["sh", path]
    case .js: ["node", "--experimental-websocket", path]
    }
  }

  /// Runs the program off the cooperative threads (the in-process simulator needs them meanwhile).
  static func run(
    _ language: ExportLanguage, _ path: String, arguments: [String], environment: [String: String]
  ) async -> Result {
    let argv = command(language, path) + arguments
    return await OwnThread.run { spawnAndWait(argv, environment: environment) }
  }

  static func probe(_ argv: [String]) -> Result { spawnAndWait(argv, environment: [:]) }

  /// Closes every descriptor above 2 in the child: other tests' sockets share this process, and a
  /// child holding a copy keeps them open after their test closes them. glibc 2.34 has
  /// `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not declare.
  static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
      _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
      return
    }
    for name in FileIO.names(in: "/proc/self/fd") {
      if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }
  }

  /// The inherited environment without COMFY_* variables, plus `environment`; stdout and stderr
  /// go to files, so a chatty program cannot fill a pipe and stall, and no other descriptor is inherited.
  static func spawnAndWait(_ argv: [String], environment: [String: String]) -> Result {
    let folder = TemporaryFolder.make(prefix: "comfysh-export-run")
    let outPath = folder + "/stdout"
    let errPath = folder + "/stderr"
    var variables: [String] = []
    var entry = environ
    while let pointer = entry.pointee {
      let text = String(cString: pointer)
      if !text.hasPrefix("COMFY_") { variables.append(text) }
      entry = entry.advanced(by: 1)
    }
    variables += environment.map { "\($0.key)=\($0.value)" }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    closeInheritedDescriptors(&actions)
    let cArguments = argv.map { strdup($0) } + [nil]
    let cVariables = variables.map { strdup($0) } + [nil]
    defer {
      for pointer in cArguments + cVariables { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, argv[0], &actions, nil, cArguments, cVariables)
    guard spawned == 0 else {
      return Result(
        status: 127, stdout: "", stderr: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let result = Result(
      status: exitStatus, stdout: (try? FileIO.readText(outPath)) ?? "",
      stderr: (try? FileIO.readText(errPath)) ?? "")
    unlink(outPath)
    unlink(errPath)
    rmdir(folder)
    return result
  }
}
