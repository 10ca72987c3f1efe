import TestSupport
import Testing

@testable import Shell
@testable import Workflow

@MainActor
@Suite struct TranscriptTests {
  @Test func outputLinesBelongToTheCommandBeforeThem() throws {
    let text = """
      # a comment
      #> ignored: no command yet
      load flux.json
      #> loaded flux.json · 3 nodes · API format

      set 11.seed 42
      for s in 1 2 {
        echo $s
      }
      #> 1
      #> 2
      nodes
      #>
      #>   11  X
      """
    let transcript = try Transcript(text: text)
    #expect(transcript.entries.map(\.statement.line) == [3, 6, 7, 12])
    #expect(
      transcript.entries.map(\.expected) == [
        ["loaded flux.json · 3 nodes · API format"], [], ["1", "2"], ["", "  11  X"],
      ])
  }

  @Test func rewritingKeepsCommentsAndBlankLines() throws {
    let text = "# head\nload a.json\n#> old\n\n# between\necho x\n#> x\n"
    let transcript = try Transcript(text: text)
    #expect(
      transcript.rewritten(with: [["new 1", "new 2"], ["x"]])
        == "# head\nload a.json\n#> new 1\n#> new 2\n\n# between\necho x\n#> x\n")
    #expect(transcript.rewritten(with: [[], []]) == "# head\nload a.json\n\n# between\necho x\n")
  }

  @Test(arguments: [
    ("queued 6c1f0e2a-9d1b-4c33-a0aa-51f3c1f7a1e2 (#27)", "queued 0b7e3c55-1111-4c33-a0aa-000000000000 (#3)"),
    ("client 5f0c3b8a9d7e4c2b8a1f0e9d8c7b6a5f", "client 00000000000000000000000000000000"),
    ("done in 10.2 s", "done in 0.3 s"),
    ("  12 Save Image   9.8 s", "  12 Save Image   120 ms"),
    ("at 2026-11-26T06:07:36.123Z", "at 2027-01-01T00:00:00Z"),
  ])
  func volatileValuesNeverFailACheck(_ recorded: String, _ now: String) {
    #expect(OutputMatcher.matches(expected: recorded, actual: now))
  }

  @Test(arguments: [
    ("loaded flux.json · 3 nodes", "loaded flux.json · 4 nodes"),
    ("seed 42", "seed 43"),
    ("→ output/ComfyUI_00031_.png", "→ output/ComfyUI_00032_.png"),
    ("v0.3.64", "v0.3.65"),
  ])
  func realChangesDo(_ recorded: String, _ now: String) {
    #expect(!OutputMatcher.matches(expected: recorded, actual: now))
  }

  @Test func patternsMatchWholeLines() {
    #expect(OutputMatcher.matches(expected: #"saved [a-z]+\.json (re)"#, actual: "saved out.json"))
    #expect(!OutputMatcher.matches(expected: #"saved [a-z]+\.json (re)"#, actual: "saved out.json!"))
    #expect(
      OutputMatcher.matches(expected: "→ output/ComfyUI_*_.png (glob)", actual: "→ output/ComfyUI_00031_.png")
    )
    #expect(!OutputMatcher.matches(expected: "a?c (glob)", actual: "abbc"))
  }

  @Test func recorderWritesCommandsOutputsAndFailures() throws {
    let folder = TemporaryFolder.make()
    let path = folder + "/r.comfy"
    try FileIO.writeAtomically(path, text: "# earlier, no newline at the end")
    let recorder = try Recorder(path: path, secrets: { ["comfyui-0123456789abcdefSECRET"] })
    recorder.record(source: "echo hi", output: ["hi", ""])
    recorder.recordFailure(source: "sett 1", message: "unknown command sett")
    recorder.record(source: "echo comfyui-0123456789abcdefSECRET", output: ["comfyui-0123456789abcdefSECRET"])
    recorder.close()
    #expect(
      try FileIO.readText(path) == """
        # earlier, no newline at the end
        echo hi
        #> hi
        #>
        # sett 1   (failed: unknown command sett)
        echo comfyui-0123…CRET
        #> comfyui-0123…CRET

        """)
  }

  @Test func aFailedCommandWithAMessageOfSeveralLinesStaysAComment() throws {
    let path = TemporaryFolder.make() + "/failed.comfy"
    let recorder = try Recorder(path: path)
    recorder.record(source: "echo hi", output: ["hi"])
    recorder.recordFailure(
      source: "run", message: "the server refused the prompt\n  3.images: missing\nnothing was queued")
    recorder.close()
    let text = try FileIO.readText(path)
    #expect(
      text
        == "echo hi\n#> hi\n# run   (failed: the server refused the prompt\n#     3.images: missing\n#   nothing was queued)\n"
    )
    #expect(try Transcript(text: text).entries.count == 1)
  }

  @Test func recordingASessionReplaysWithCheck() async throws {
    let h = ShellHarness()
    h.interpreter.keepGoing = true
    _ = h.write("seed.json", ShellHarness.seedWorkflow)
    #expect(
      await h.run(
        "record session.comfy\nload seed.json\nset 11.seed 42\nnodes\nfor s in 1 2 { echo seed $s }\nbogus\nget 11.seed\nrecord stop\necho not recorded"
      ) == false)
    let recorded = try #require(h.read("session.comfy"))
    #expect(recorded.contains("load seed.json\n#> loaded seed.json · 3 nodes · API format\nset 11.seed 42\n"))
    #expect(recorded.contains("# bogus   (failed: unknown command bogus"))
    #expect(!recorded.contains("not recorded"))
    #expect(!recorded.contains("record"))

    let check = ShellHarness()
    let status = await TranscriptCheck.run(
      path: h.folder + "/session.comfy", update: false, interpreter: check.interpreter)
    #expect(status == 0, "\(check.output.stdout)")
    #expect(check.output.stdout.hasSuffix("session.comfy: 5 commands, all outputs match\n"))
    #expect(check.session.workflow["11"]?.input("seed") == .value(42))
  }

  @Test func checkFailsWithADiffAndUpdateRewrites() async throws {
    let h = ShellHarness()
    _ = h.write("seed.json", ShellHarness.seedWorkflow)
    _ = h.write(
      "t.comfy",
      "load seed.json\n#> loaded seed.json · 3 nodes · API format\nget 11.seed\n#> 7\n# keep me\necho ok\n#> ok\n"
    )
    let check = ShellHarness()
    #expect(
      await TranscriptCheck.run(path: h.folder + "/t.comfy", update: false, interpreter: check.interpreter)
        == 1)
    #expect(
      check.output.stdout.contains(
        """
        --- t.comfy:3 get 11.seed (recorded)
        +++ t.comfy:3 (now)
        @@ -1,1 +1,1 @@
        -7
        +589991183902375
        """))
    #expect(check.output.stdout.contains("t.comfy: 1 of 3 commands differ"))

    let update = ShellHarness()
    #expect(
      await TranscriptCheck.run(path: h.folder + "/t.comfy", update: true, interpreter: update.interpreter)
        == 0)
    #expect(
      h.read("t.comfy")
        == "load seed.json\n#> loaded seed.json · 3 nodes · API format\nget 11.seed\n#> 589991183902375\n# keep me\necho ok\n#> ok\n"
    )
    let again = ShellHarness()
    #expect(
      await TranscriptCheck.run(path: h.folder + "/t.comfy", update: false, interpreter: again.interpreter)
        == 0)
  }

  @Test func updateKeepsPatternsThatStillMatch() async throws {
    let h = ShellHarness()
    _ = h.write(
      "p.comfy",
      "echo id 6c1f0e2a-9d1b-4c33-a0aa-51f3c1f7a1e2\n#> id 00000000-0000-0000-0000-000000000000\necho abc\n#> a.c (re)\n"
    )
    let update = ShellHarness()
    #expect(
      await TranscriptCheck.run(path: h.folder + "/p.comfy", update: true, interpreter: update.interpreter)
        == 0)
    #expect(
      h.read("p.comfy")
        == "echo id 6c1f0e2a-9d1b-4c33-a0aa-51f3c1f7a1e2\n#> id 00000000-0000-0000-0000-000000000000\necho abc\n#> a.c (re)\n"
    )
  }

  @Test func sourceRunsAFileRelativeToItsFolder() async throws {
    let h = ShellHarness()
    try FileIO.createFolder(h.folder + "/lib")
    _ = h.write("lib/seed.json", ShellHarness.seedWorkflow)
    _ = h.write("lib/setup.comfy", "load seed.json\nset 11.seed 5\n")
    _ = await h.ok("source lib/setup.comfy")
    #expect(h.session.workflow["11"]?.input("seed") == .value(5))
    #expect(h.session.baseFolder == h.folder)
    _ = h.write("lib/bad.comfy", "echo a\n\nbogus\n")
    #expect(await h.fails("source lib/bad.comfy").contains("lib/bad.comfy:3: bogus: unknown command bogus"))
    #expect(await h.fails("source nope.comfy").contains("cannot read nope.comfy"))
  }
}
