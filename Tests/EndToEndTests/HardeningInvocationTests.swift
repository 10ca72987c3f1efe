import Foundation
import Testing

@testable import Workflow

/// Issue 17 on the built binary: a save killed mid-write, `comfysh help COMMAND`, lines without end.
@Suite(.timeLimit(.minutes(10))) struct HardeningInvocationTests {
  /// A workflow of about 6 MB, so a save takes long enough to be killed in the middle.
  static func largeWorkflow(text: String) -> String {
    var nodes: [String] = []
    let filler = String(repeating: "lighthouse ", count: 20)
    for id in 1...20_000 {
      nodes.append(
        "\"\(id)\": {\"inputs\": {\"text\": \"\(id == 1 ? text : filler)\"}, \"class_type\": \"PrimitiveString\"}"
      )
    }
    return "{" + nodes.joined(separator: ",\n") + "}\n"
  }

  @Test func aSaveKilledMidWriteLeavesTheOldFileAndItsTemporaryGoesNextTime() async throws {
    let folder = Binary.temporaryFolder()
    let path = folder + "/big.json"
    let old = Self.largeWorkflow(text: "old")
    var caughtMidWrite = false
    for _ in 1...3 where !caughtMidWrite {
      // Each try starts from the old file (a try whose save finished before the kill replaced it).
      try old.write(toFile: path, atomically: false, encoding: .utf8)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Binary.path)
      process.arguments = ["--no-init", "big.json"]
      process.currentDirectoryURL = URL(fileURLWithPath: folder)
      var env = ProcessInfo.processInfo.environment
      env["XDG_STATE_HOME"] = folder + "/.state"
      env["XDG_CONFIG_HOME"] = folder + "/.config"
      env["XDG_CACHE_HOME"] = folder + "/.cache"
      process.environment = env
      let input = Pipe()
      process.standardInput = input
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
      input.fileHandleForWriting.write(Data("set 1.text \"new\"\nsave\n".utf8))
      // Kill as soon as the save's temporary file has bytes in it.
      let prefix = ".big.json.tmp-\(process.processIdentifier)-"
      let deadline = Date().addingTimeInterval(120)
      var temporary: String?
      while Date() < deadline, temporary == nil {
        temporary = FileIO.names(in: folder).first { name in
          guard name.hasPrefix(prefix) else { return false }
          var info = stat()
          return stat(folder + "/" + name, &info) == 0 && info.st_size > 0
        }
        if temporary == nil { try await Task.sleep(for: .milliseconds(1)) }
      }
      kill(process.processIdentifier, SIGKILL)
      await OwnThread.run { process.waitUntilExit() }
      let text = try String(contentsOfFile: path, encoding: .utf8)
      // The old bytes, or the whole new workflow (in comfysh's layout), never a mix.
      let saved = try? JSONValue.parse(text)
      let isNew = saved?.objectValue?.count == 20_000 && saved?["1"]?["inputs"]?["text"] == "new"
      #expect(text == old || isNew, "big.json is a mix")
      if let temporary, FileIO.exists(folder + "/" + temporary) {
        caughtMidWrite = true
        #expect(text == old)
      }
    }
    #expect(caughtMidWrite, "no kill landed during the write")
    // The next save in that folder removes what the killed one left.
    let again = try await Binary.run(
      ["--no-init", "-c", "load big.json; save -f copy.json; save -f big.json"], in: folder)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(FileIO.names(in: folder).filter { $0.hasPrefix(".big.json.tmp-") } == [])
  }

  @Test func helpWithACommandIsTheShellsHelp() async throws {
    let folder = Binary.temporaryFolder()
    let result = try await Binary.run(["help", "watch"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasPrefix("usage: watch [ID]"))
    let all = try await Binary.run(["help"], in: folder)
    #expect(all.stdout.contains("save [-f] [FILE]"))
  }

  @Test func aLineWithoutEndIsSkippedWithAMessage() async throws {
    let folder = Binary.temporaryFolder()
    let long = String(repeating: "a", count: 17 << 20)
    let result = try await Binary.run(
      ["--keep-going"], stdin: "echo before\n" + long + "\necho after\n", in: folder)
    #expect(result.stdout == "before\nafter\n")
    #expect(
      result.stderr.contains("stdin:2: line 2 is 17825792 bytes long, more than the 16 MiB a command may be"))
    #expect(result.status == 1)
  }
}
