import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// Keys never reach recordings, and lines that hold one are flagged so the history never keeps them.
@MainActor
@Suite struct KeyRecordingTests {
  @Test func recordingsHoldNamesAndMaskedKeysOnly() async throws {
    let h = KeyHarness(terminal: true)
    _ = await h.ok("record session.comfy")
    h.feed.type(TestKeys.work)
    _ = await h.ok("key add work")
    _ = await h.ok("key use work")
    _ = await h.ok("echo \(TestKeys.work)")
    _ = await h.fails("key add ci \(TestKeys.ci)")
    _ = await h.ok("record stop")
    let text = h.shell.read("session.comfy") ?? ""
    #expect(!text.contains("a1b2a1b2"))
    #expect(!text.contains("9e8d9e8d"))
    #expect(text.contains("key add work\n#> added key work (comfyui-87d0…c1f2); `key use work` to use it\n"))
    #expect(text.contains("key use work\n#> using key work\n"))
    #expect(text.contains("echo comfyui-87d0…c1f2\n#> comfyui-87d0…c1f2\n"))
    #expect(
      text.contains("# key add ci comfyui-11aa…ffff   (failed: a key is never typed on the command line"))
  }

  @Test func theRecorderMasksTheSecretsItIsGiven() throws {
    let folder = TemporaryFolder.make()
    let secret = "sk-live-0123456789"
    let recorder = try Recorder(path: folder + "/r.comfy", secrets: { [secret] })
    recorder.record(source: "let k = \(secret)", output: ["got \(secret)", ""])
    recorder.recordFailure(source: "use \(secret)", message: "bad \(secret)")
    recorder.comment("about \(secret)")
    recorder.close()
    let text = try FileIO.readText(folder + "/r.comfy")
    #expect(text == "let k = ••••\n#> got ••••\n#>\n# use ••••   (failed: bad ••••)\n# about ••••\n")
  }

  @Test func linesHoldingKeysAreSensitive() async {
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": "sk-live-0123456789"])
    let session = h.session
    for line in [
      "key add work \(TestKeys.work)",
      "key add work abcdefgh",
      "key add work --stdin \(TestKeys.work)",
      "key add work --from-env VAR extra",
      "key add \(TestKeys.work)",
      "key add comfyui-x",
      "key add work \"comfyui-unfinished",
      "for i in 1 2 { key add work \(TestKeys.ci) }",
      "echo sk-live-0123456789",
      "set 11.api_key \(TestKeys.ci)",
      TestKeys.ci,
    ] {
      #expect(session.isSensitive(line: line), "\(line)")
    }
    for line in [
      "key add work", "key add work --stdin", "key add work --from-env MY_KEY", "key add work -f",
      "key use work",
      "key list", "load flux.json", "set 11.prompt \"a lighthouse\"", "echo comfyui-frontend-package",
    ] {
      #expect(!session.isSensitive(line: line), "\(line)")
    }
  }
}
