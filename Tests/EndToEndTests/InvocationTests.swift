import Foundation
import TestSupport
import Testing

@testable import Workflow

/// The forms of Docs/guide.md, Starting, run on the built binary.
@Suite(.timeLimit(.minutes(2))) struct InvocationTests {
  /// The issue's own check: piping commands into comfysh writes the expected file for the seed workflow.
  @Test(needsFixtures) func pipedCommandsEditTheSeedWorkflow() async throws {
    let folder = Binary.temporaryFolder()
    let source = Fixtures.path("api-nodes/seed-workflow.api.json")
    let result = try await Binary.run(
      [], stdin: "load \(source)\nset 11.seed 42\nlink 12.images 11:0\nsave OUT.json\n", in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "loaded \(source) · 3 nodes · API format\nsaved OUT.json · 3 nodes\n")
    let original = try String(contentsOfFile: source, encoding: .utf8)
    let expected = original.replacingAll("\"seed\": 589991183902375,", with: "\"seed\": 42,")
    #expect(expected != original)
    #expect(try String(contentsOfFile: folder + "/OUT.json", encoding: .utf8) == expected)
  }

  @Test(needsFixtures) func uneditedExportsRoundTripByteForByte() async throws {
    let folder = Binary.temporaryFolder()
    for name in [
      "api-nodes/seed-workflow.api.json", "ui-to-api/basic.api.json", "ui-to-api/edge-cases.api.json",
    ] {
      let source = Fixtures.path(name)
      let result = try await Binary.run(["--no-init", "-c", "load \(source); save -f copy.json"], in: folder)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(
        try Data(contentsOf: URL(fileURLWithPath: folder + "/copy.json"))
          == Data(contentsOf: URL(fileURLWithPath: source)), "\(name)")
    }
  }

  @Test func failingCommandGivesNonZeroStatusAndTheLine() async throws {
    let folder = Binary.temporaryFolder()
    try "echo one\nnew\nset 1.x 2\necho never\n".write(
      toFile: folder + "/s.comfy", atomically: true, encoding: .utf8)
    let script = try await Binary.run(["s.comfy"], in: folder)
    #expect(script.status == 1)
    #expect(script.stdout == "one\nnew workflow · 0 nodes\n")
    #expect(
      script.stderr.hasSuffix(
        "s.comfy:3: set 1.x 2: there is no node 1: the workflow is empty (load a file or add a node)\n"))

    let piped = try await Binary.run([], stdin: "echo a\nbogus\necho b\n", in: folder)
    #expect(piped.status == 1)
    #expect(piped.stdout == "a\n")
    #expect(piped.stderr.hasPrefix("stdin:2: bogus: unknown command bogus"))

    let commands = try await Binary.run(["-c", "echo a; bogus; echo b"], in: folder)
    #expect(commands.status == 1)
    #expect(commands.stderr.hasPrefix("-c:1: bogus: unknown command bogus"))
  }

  @Test func keepGoingRunsEverythingButStillFails() async throws {
    let folder = Binary.temporaryFolder()
    let result = try await Binary.run(["--keep-going", "-c", "echo a; bogus; echo b"], in: folder)
    #expect(result.status == 1)
    #expect(result.stdout == "a\nb\n")
  }

  @Test func scriptPathsAreRelativeToTheScript() async throws {
    let folder = Binary.temporaryFolder()
    try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
    try #"{"1": {"inputs": {"a": 1}, "class_type": "X"}}"#.write(
      toFile: folder + "/sub/w.json", atomically: true, encoding: .utf8)
    try "load w.json\nset 1.a 2\nsave -f out.json\n".write(
      toFile: folder + "/sub/s.comfy", atomically: true, encoding: .utf8)
    let result = try await Binary.run(["sub/s.comfy"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(FileManager.default.fileExists(atPath: folder + "/sub/out.json"))
  }

  @Test func multiLineBlocksFromStandardInput() async throws {
    let folder = Binary.temporaryFolder()
    let result = try await Binary.run([], stdin: "for s in 1 2 {\n  echo seed $s\n}\necho done\n", in: folder)
    #expect(result.status == 0)
    #expect(result.stdout == "seed 1\nseed 2\ndone\n")
    let open = try await Binary.run([], stdin: "for s in 1 2 {\n  echo $s\n", in: folder)
    #expect(open.status == 1)
    #expect(open.stderr.contains("ended inside a { block started on line 1"))
  }

  @Test(needsFixtures) func loadsAWorkflowGivenOnTheCommandLine() async throws {
    let folder = Binary.temporaryFolder()
    let result = try await Binary.run([Fixtures.path("exec/basic-output.png")], stdin: "nodes\n", in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("ImageInvert"))
    let missing = try await Binary.run(["nope.json"], stdin: "nodes\n", in: folder)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("cannot read nope.json"))
  }

  @Test func usageErrors() async throws {
    let folder = Binary.temporaryFolder()
    let unknown = try await Binary.run(["--frobnicate"], in: folder)
    #expect(unknown.status == 2)
    #expect(unknown.stderr == "comfysh: unknown option --frobnicate; `comfysh --help` lists the options\n")
    let missing = try await Binary.run(["-c"], in: folder)
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("-c needs a value"))
    let help = try await Binary.run(["--help"], in: folder)
    #expect(help.status == 0)
    #expect(help.stdout.contains("usage: comfysh"))
    #expect(try await Binary.run(["--version"], in: folder).stdout == "comfysh 0.1\n")
    #expect(try await Binary.run(["--check", "x.json"], in: folder).status == 2)
    #expect(try await Binary.run(["a.comfy", "b.comfy"], in: folder).status == 2)
  }

  @Test func initScriptRunsUnlessNoInit() async throws {
    let folder = Binary.temporaryFolder()
    try FileManager.default.createDirectory(
      atPath: folder + "/.config/comfysh", withIntermediateDirectories: true)
    try "let who = init\n".write(
      toFile: folder + "/.config/comfysh/init.comfy", atomically: true, encoding: .utf8)
    #expect(try await Binary.run(["-c", "echo $who"], in: folder).stdout == "init\n")
    let skipped = try await Binary.run(["--no-init", "-c", "echo $who"], in: folder)
    #expect(skipped.status == 1)
    #expect(skipped.stderr.contains("$who is not defined"))
  }
}
