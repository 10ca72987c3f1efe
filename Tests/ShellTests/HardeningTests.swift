import Media
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// The defects of the hostile test pass (issue 17), each as it was found: deep blocks, special and
/// foreign files under `save -f` and `record`, text a save would change, escape sequences from files,
/// reads without end, `source` recursion.
@MainActor
@Suite struct HardeningTests {
  @Test func deeplyNestedForBlocksAreRefusedNotACrash() throws {
    let deep = String(repeating: "for a in 1 { ", count: 20_000) + String(repeating: "} ", count: 20_000)
    #expect(throws: SyntaxError.self) { try Parser.parse(deep) }
    do {
      _ = try Parser.parse(deep)
    } catch {
      #expect(error.message.contains("nest deeper than 64 levels"))
      #expect(!error.isIncomplete)
    }
    // An unclosed deep block is refused too, instead of asking for more lines without end.
    #expect(throws: SyntaxError.self) { try Parser.parse(String(repeating: "for a in 1 {\n", count: 8_000)) }
    let allowed =
      String(repeating: "for a in 1 { ", count: 64) + "echo $a" + String(repeating: " }", count: 64)
    #expect(try Parser.parse(allowed).count == 1)
  }

  /// Found by FuzzCommandLanguage: a line break other than "\n" (a Windows file's "\r\n", a vertical
  /// tab) made the parser add empty words without end, so such a script hung and ate memory.
  @Test(.timeLimit(.minutes(1))) func windowsLineEndsAndOtherLineBreaksEndACommand() async throws {
    let statements = try Parser.parse("echo a\r\necho b\u{0B}echo c\r\n")
    #expect(statements.map(\.source) == ["echo a", "echo b", "echo c"])
    #expect(statements.map(\.line) == [1, 2, 3])
    let h = ShellHarness()
    _ = h.write("crlf.comfy", "echo one\r\necho two\r\n")
    #expect(await h.ok("source crlf.comfy") == "one\ntwo\n")
  }

  /// Found by FuzzTranscript: a recorded transcript with Windows line ends reads its outputs too.
  @Test(.timeLimit(.minutes(1))) func aTranscriptWithWindowsLineEndsKeepsItsOutputs() throws {
    let transcript = try Transcript(text: "echo a\r\n#> a\r\necho b\r\n#> b\r\n")
    #expect(transcript.entries.map(\.expected) == [["a"], ["b"]])
    #expect(transcript.rewritten(with: [["a"], ["b"]]) == "echo a\n#> a\necho b\n#> b\n")
  }

  /// Found by FuzzTranscript: a backslash before a line break inside quotes took the line break into
  /// the string uncounted, so every later command had the wrong line and a transcript's outputs moved
  /// to the command before. A quote ends on its line, as the message says.
  @Test func aQuoteDoesNotCarryALineBreakThroughABackslash() throws {
    for text in ["echo \"a \\\nb\"\necho c", "set 1.x [\"a\\\n\"]\necho c"] {
      #expect(throws: SyntaxError.self, "\(text.debugDescription)") { try Parser.parse(text) }
    }
    let statements = try Parser.parse("echo \"a \\\" b\" \\\n  more\n# c\necho d")
    #expect(statements.map(\.line) == [1, 4])
    let transcript = try Transcript(text: "echo 'a' \\\n  b\n#> a b\necho c\n#> c\n")
    #expect(
      try Transcript(text: transcript.rewritten(with: [["a b"], ["c"]])).entries.map(\.expected) == [
        ["a b"], ["c"],
      ])
  }

  /// Found by FuzzTranscript: when two commands ended on one line (`load a.json; run`), rewriting gave
  /// the first one's outputs and lost the last one's, so `--update` dropped recorded lines.
  @Test func rewritingKeepsTheOutputsOfEveryCommandOnALine() throws {
    let text = "load a.json; run; watch\n#> 3  Save Image  output/tutorial_00001_.png\necho z\n#> z\n"
    let transcript = try Transcript(text: text)
    #expect(
      transcript.entries.map(\.expected) == [[], [], ["3  Save Image  output/tutorial_00001_.png"], ["z"]])
    #expect(transcript.rewritten(with: transcript.entries.map(\.expected)) == text)
    #expect(
      transcript.rewritten(with: [["loaded"], [], ["done"], ["z"]])
        == "load a.json; run; watch\n#> loaded\n#> done\necho z\n#> z\n")
  }

  /// A `#> ` line that a command continues onto is part of the command, not an old output line.
  @Test func aContinuedCommandKeepsALineThatLooksLikeOutput() throws {
    let text = "echo a \\\n#> b\n#> a #> b\n"
    let transcript = try Transcript(text: text)
    #expect(transcript.entries.map(\.expected) == [["a #> b"]])
    #expect(transcript.rewritten(with: [["a #> b"]]) == text)
  }

  @Test func deepBlocksRunAtTheLimit() async {
    let h = ShellHarness()
    let script =
      String(repeating: "for a in x { ", count: 64) + "echo $a" + String(repeating: " }", count: 64)
    #expect(await h.ok(script) == "x\n")
    #expect(
      await h.run(String(repeating: "for a in x { ", count: 65) + "echo" + String(repeating: " }", count: 65))
        == false)
    #expect(h.output.stderr.contains("nest deeper than 64 levels"))
  }

  @Test func saveReplacesOnlyRegularFiles() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    let fifo = h.folder + "/pipe"
    #expect(mkfifo(fifo, 0o644) == 0)
    let message = await h.fails("save -f pipe")
    #expect(message.contains("pipe is a FIFO (named pipe), not a regular file"))
    #expect(FileIO.kind(of: fifo) == .other("a FIFO (named pipe)"))
    // Lower down too: the atomic write refuses it whoever calls it.
    #expect(throws: FileError.self) { try FileIO.writeAtomically(fifo, text: "{}") }
    #expect(FileIO.kind(of: fifo) == .other("a FIFO (named pipe)"))
    // A link to a regular file is followed: the file changes, the link stays a link.
    _ = h.write("target.json", "{}")
    #expect(symlink("target.json", h.folder + "/link.json") == 0)
    _ = await h.ok("save -f link.json")
    #expect(FileIO.kind(of: h.folder + "/link.json") == .symbolicLink)
    #expect(h.read("target.json") == ShellHarness.seedWorkflow)
  }

  @Test(.enabled(if: getuid() == 0, "making a device node needs root"))
  func saveNeverReplacesADeviceNode() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    // A node of our own with /dev/full's numbers, in the test's folder: never the real one.
    let device = h.folder + "/full"
    #expect(mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0)
    #expect(await h.fails("save -f full").contains("full is a character device, not a regular file"))
    #expect(FileIO.kind(of: device) == .other("a character device"))
    #expect(await h.fails("record full").contains("not a regular file"))
    #expect(FileIO.kind(of: device) == .other("a character device"))
  }

  @Test func saveForceNeverReplacesAPNGOrAUIFile() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    let png = PNGChunks.write([
      .init(type: "IHDR", data: [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]), .init(type: "IEND", data: []),
    ])
    try FileIO.writeAtomically(h.folder + "/x.png", png)
    #expect(
      await h.fails("save -f x.png").contains(
        "x.png is a PNG image; save writes API-format JSON and never replaces it"))
    #expect(try FileIO.read(h.folder + "/x.png") == png)
    let ui = #"{"last_node_id": 1, "nodes": [], "links": [], "version": 0.4}"#
    _ = h.write("ui.json", ui)
    let message = await h.fails("save -f ui.json")
    #expect(message.contains("ui.json is a UI-format workflow"))
    #expect(message.contains("save ui.api.json"))
    #expect(h.read("ui.json") == ui)
  }

  @Test func recordAppendsOnlyToARecording() async throws {
    let h = ShellHarness()
    _ = h.write("flow.json", ShellHarness.seedWorkflow)
    #expect(await h.fails("record flow.json").contains("flow.json exists and is a JSON file"))
    #expect(h.read("flow.json") == ShellHarness.seedWorkflow)
    let png = PNGChunks.write([.init(type: "IEND", data: [])])
    try FileIO.writeAtomically(h.folder + "/x.png", png)
    #expect(await h.fails("record x.png").contains("is a PNG image"))
    #expect(try FileIO.read(h.folder + "/x.png") == png)
    _ = h.write("notes.txt", "buy milk\n")
    #expect(await h.fails("record notes.txt").contains("not a comfysh script (line 1 starts with buy)"))
    #expect(h.read("notes.txt") == "buy milk\n")
    // A recording goes on where it stopped.
    _ = h.write("old.comfy", "echo a\n#> a\n# a comment")
    _ = await h.ok("record old.comfy; echo b; record stop")
    #expect(h.read("old.comfy") == "echo a\n#> a\n# a comment\necho b\n#> b\n")
  }

  @Test func recordSaysWhenItsFileWasRemoved() async throws {
    let h = ShellHarness()
    try FileIO.createFolder(h.folder + "/sub")
    _ = await h.ok("record sub/r.comfy; echo one")
    #expect(unlink(h.folder + "/sub/r.comfy") == 0)
    #expect(rmdir(h.folder + "/sub") == 0)
    _ = await h.run("echo two")
    #expect(h.output.stderr.contains("the recording to \(h.folder)/sub/r.comfy stopped"))
    #expect(h.output.stderr.contains("was removed or replaced"))
    #expect(h.session.recorder == nil)
    #expect(h.interpreter.failures == 1)
  }

  @Test func textThatASaveWouldChangeIsReportedOnLoad() async throws {
    let h = ShellHarness()
    var bytes = Array(#"{"1": {"class_type": "X", "inputs": {"text": "a"#.utf8)
    bytes += [0xFF, 0xFE]
    bytes += Array(#""}}}"#.utf8)
    try FileIO.writeAtomically(h.folder + "/bad-utf8.json", bytes)
    _ = await h.ok("load bad-utf8.json")
    #expect(
      h.output.stderr.contains("bad-utf8.json has bytes that are not UTF-8 at line 1, column 48 (and 1 more)")
    )
    #expect(h.output.stderr.contains("saving writes U+FFFD there"))

    _ = h.write(
      "surrogate.json", #"{"1": {"class_type": "X", "inputs": {"text": "\ud800 ok \ud83d\ude00"}}}"#)
    _ = await h.ok("load surrogate.json")
    #expect(h.output.stderr.contains("a \\u escape of half a surrogate pair at line 1, column 47;"))

    _ = h.write("fine.json", #"{"1": {"class_type": "X", "inputs": {"text": "é \ud83d\ude00 \\ud800"}}}"#)
    _ = await h.ok("load fine.json")
    #expect(!h.output.stderr.contains("U+FFFD"))
  }

  @Test func escapeSequencesFromAFileAreShownNotSent() async throws {
    let h = ShellHarness()
    let hostile =
      #"{"1": {"class_type": "Evil\u001b]0;owned\u0007\u001b[2J\r\u009b31m\u202e", "inputs": {"a\u001bb": 1}, "_meta": {"title": "t\u001b"}}}"#
    _ = h.write("evil.json", hostile)
    _ = h.write(
      "catalog.json",
      #"{"Other": {"input": {"required": {}}, "output": [], "output_name": [], "name": "Other", "display_name": "Other", "category": "x", "output_node": true}}"#
    )
    h.session.catalog.path = h.folder + "/catalog.json"
    _ = await h.ok("load evil.json")
    for command in ["nodes", "show 1", "validate", "get 1.a\\u001bb", "json 1"] {
      _ = await h.run(command)
      let all = h.output.stdout + h.output.stderr
      #expect(
        !all.unicodeScalars.contains {
          $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\r" || $0 == "\u{9B}" || $0 == "\u{202E}"
        }, "\(command): \(all)")
    }
    #expect(await h.ok("nodes").contains(#"Evil\e]0;owned\a\e[2J\r\x9B31m\u{202E}"#))
  }

  @Test func terminalTextKeepsPlainTextAndShowsControls() {
    #expect(TerminalText.visible("plain é 😀\tand\nlines") == "plain é 😀\tand\nlines")
    #expect(TerminalText.visible("a\u{1B}[31mb\u{0}c\u{7F}") == "a\\e[31mb\\x00c\\x7F")
  }

  @Test func readsWithoutEndStop() async throws {
    let h = ShellHarness()
    // /dev/zero never ends: each reader stops at its limit with a message instead of filling memory.
    #expect(
      await h.fails("load /dev/zero").contains(
        "is larger than 256 MiB, the most comfysh reads as a workflow or image"))
    #expect(await h.fails("source /dev/zero").contains("is larger than 16 MiB"))
    _ = h.write("seed.json", ShellHarness.seedWorkflow)
    _ = await h.ok("load seed.json")
    #expect(await h.fails("set 11.prompt @/dev/zero").contains("is larger than 16 MiB"))
    #expect(await h.fails("diff /dev/zero").contains("is larger than 256 MiB"))
  }

  @Test func ctrlCStopsAReadThatWaits() async throws {
    let h = ShellHarness()
    let fifo = h.folder + "/slow"
    #expect(mkfifo(fifo, 0o644) == 0)
    // A writer that never writes: the read would wait for ever.
    let writer = open(fifo, O_RDWR | O_NONBLOCK)
    #expect(writer >= 0)
    defer { close(writer) }
    let task = Task { @MainActor in await h.run("load slow") }
    // Cancelling is what Ctrl-C does to the running command.
    try await Task.sleep(for: .milliseconds(200))
    task.cancel()
    let succeeded = await task.value
    #expect(!succeeded)
    #expect(h.output.stderr.contains("reading was stopped"))
  }

  @Test func sourceOfItselfIsBounded() async {
    let h = ShellHarness()
    _ = h.write("self.comfy", "echo in\nsource self.comfy\n")
    #expect(await h.run("source self.comfy") == false)
    #expect(h.output.stderr.contains("source nests deeper than 32 scripts (does self.comfy source itself?)"))
    #expect(h.output.stdout.split(separator: "\n").count == 32)
  }

  @Test func inputsGivenAsAListAreNamedOnLoad() async {
    let h = ShellHarness()
    _ = h.write("list.json", #"{"1": {"class_type": "SaveImage", "inputs": [["2", 0]]}}"#)
    let message = await h.fails("load list.json")
    #expect(message.contains("node 1's inputs is a list, not an object of NAME: VALUE"), "\(message)")
    #expect(!message.contains("is missing"))
  }

  @Test func aTextFileIsNotCalledNaN() async {
    let h = ShellHarness()
    _ = h.write("status", "Name:\tcomfysh\nState:\tR (running)\n")
    let message = await h.fails("load status")
    #expect(!message.contains("NaN"))
    #expect(message.contains("unexpected character 'N'; expected a JSON value"))
    _ = h.write("nan.json", #"{"1": NaN}"#)
    #expect(await h.fails("load nan.json").contains("NaN and Infinity are not JSON"))
  }

  @Test func anUneditedExportSavesToTheSameBytesUnderAnyName() async throws {
    let h = ShellHarness()
    let export = String(ShellHarness.seedWorkflow.dropLast())  // the browser writes no final newline
    _ = h.write("export.json", export)
    _ = await h.ok("load export.json; save copy.json")
    #expect(h.read("copy.json") == export)
    _ = await h.ok("save -f export.json")
    #expect(h.read("export.json") == export)
  }

  @Test func aKilledSavesTemporaryFileGoesAtTheNextSave() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    // What a save killed by `kill -9` leaves: a temporary file named with its (now gone) process id.
    let gone = Int32.max - 7
    #expect(kill(gone, 0) != 0)
    let leftover = h.folder + "/.seed.json.tmp-\(gone)-a1b2c3"
    _ = h.write(".seed.json.tmp-\(gone)-a1b2c3", String(repeating: "x", count: 100_000))
    let mine = h.folder + "/.seed.json.tmp-\(getpid())-d4e5f6"
    _ = h.write(".seed.json.tmp-\(getpid())-d4e5f6", "still being written")
    _ = await h.ok("set 11.seed 1; save")
    #expect(!FileIO.exists(leftover))
    #expect(FileIO.exists(mine))
  }
}
