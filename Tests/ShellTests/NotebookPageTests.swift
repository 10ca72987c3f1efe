import ComfyClient
import ComfySim
import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `comfysh render`: a recording read as a notebook, its pictures found, and the page written.
@MainActor
struct NotebookPageTests {
  @Test func aRecordingReadsAsProseCommandsOutputsAndFailures() throws {
    let text = """
      # A title line
      #
      # First paragraph, which
      # goes on here with `code`.
      #
      #     comfysh --sim --check this.comfy
      # ----------
      new
      #> new workflow · 0 nodes
      run; watch
      #> queued p-1 (#0)
      #>   3  Save Image  → output/a.png
      #@ output p-1 3 output/a.png -> s.outputs/a.png
      #@ no-output p-0
      # run   (failed: the server refused the prompt: bad
      #     3.images: missing
      #   nothing was queued)
      for s in 1 2 {
        echo $s
      }
      #> 1
      #> 2
      """
    let page = try NotebookPage(text: text)
    #expect(page.title == "A title line")
    #expect(page.blocks.first == .paragraph("First paragraph, which goes on here with `code`."))
    #expect(page.blocks.contains(.preformatted(["comfysh --sim --check this.comfy"])))
    #expect(page.blocks.contains(.rule))
    let cells = page.cells
    #expect(cells.map(\.source) == [["new"], ["run; watch"], ["run"], ["for s in 1 2 {", "  echo $s", "}"]])
    #expect(cells[3].output == ["1", "2"])
    #expect(cells[0].output == ["new workflow · 0 nodes"])
    #expect(cells[1].queuedPromptIDs == ["p-1"])
    #expect(cells[1].watches)
    #expect(cells[1].kept.map(\.localPath) == ["s.outputs/a.png"])
    #expect(cells[1].promptsWithoutFiles == ["p-0"])
    #expect(cells[2].failure == "the server refused the prompt: bad\n  3.images: missing\nnothing was queued")
    #expect(cells[2].failed)
    #expect(!cells[0].failed)
  }

  @Test func fetchedPicturesGoToTheWatchAfterTheirRun() throws {
    let page = try NotebookPage(
      text: "run\n#> queued a (#0)\necho x\nwatch\nrun\n#> queued b (#1)\nrun\n#> queued c (#2)\nwatch c\n")
    let cells = page.cells
    #expect(PageImages.cellShowing(promptOf: 0, in: cells) == 2)
    #expect(PageImages.cellShowing(promptOf: 3, in: cells) == 3)
    #expect(PageImages.cellShowing(promptOf: 4, in: cells) == 5)
  }

  // MARK: - Against the simulator

  /// Renders with a session of its own (its console is the harness's buffers).
  func render(_ options: RenderOptions) async -> (status: Int32, shell: ShellHarness) {
    let shell = ShellHarness()
    let status = await RenderRunner.render(options, session: shell.session)
    await shell.session.server.shutdown()
    return (status, shell)
  }

  func options(
    _ session: String, output: String? = nil, server: String? = nil, replay: Bool = false
  ) -> RenderOptions {
    var options = RenderOptions()
    options.sessionPath = session
    options.outputPath = output
    options.server = server
    options.replay = replay
    return options
  }

  @Test func keptOutputsMakeAPageWithoutTheServer() async throws {
    let h = try await ServerHarness()
    _ = try await KeepOutputsTests.recordKeepingOutputs(h)
    let closed = try ClosedPort()
    let session = h.shell.folder + "/session.comfy"
    let (status, shell) = await render(options(session, server: "http://127.0.0.1:\(closed.port)"))
    #expect(status == 0, "\(shell.output.stderr)")
    #expect(shell.output.stderr.isEmpty, "\(shell.output.stderr)")
    #expect(
      shell.output.stdout.contains("wrote \(h.shell.folder)/session.html: 6 commands, 2 pictures"),
      "\(shell.output.stdout)")
    let html = try #require(h.shell.read("session.html"))
    for command in ["run", "watch"] {
      #expect(html.contains("<pre class=\"command\"><code>\(command)</code></pre>"))
    }
    #expect(html.contains("&lt;b&gt;tom &amp; jerry&lt;/b&gt;"))
    #expect(!html.contains("<b>tom"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("http://") && !html.contains("https://"))
    let pictures = dataURIs(in: html)
    #expect(pictures.count == 2)
    let kept = try PNGDecoder.decode(try FileIO.read(h.shell.folder + "/session.outputs/shell_00001_.png"))
    for picture in pictures {
      #expect(picture.type == "image/png")
      #expect(try PNGDecoder.decode(picture.bytes) == kept)
    }
    #expect(kept.width == 64)

    // Markdown links the kept files, relative to the page.
    try FileIO.createFolder(h.shell.folder + "/pages")
    let (mdStatus, mdShell) = await render(
      options(session, output: h.shell.folder + "/pages/notes.md", server: "http://127.0.0.1:\(closed.port)"))
    #expect(mdStatus == 0, "\(mdShell.output.stderr)")
    let markdown = try #require(h.shell.read("pages/notes.md"))
    #expect(markdown.contains("```comfysh\nrun\n```"))
    #expect(markdown.contains("```text\n<b>tom & jerry</b>\n```"))
    #expect(markdown.contains("![shell\\_00001\\_.png](../session.outputs/shell_00001_.png)"), "\(markdown)")
    #expect(!FileIO.exists(h.shell.folder + "/pages/notes.files"))

    // A kept file that was deleted is named in its place, with a warning; the page is still written.
    unlink(h.shell.folder + "/session.outputs/shell_00001_.png")
    let (goneStatus, goneShell) = await render(options(session, server: "http://127.0.0.1:\(closed.port)"))
    #expect(goneStatus == 0)
    #expect(
      goneShell.output.stderr.contains(
        "warning: the kept file session.outputs/shell_00001_.png is missing, and the server http://127.0.0.1:\(closed.port) could not be asked"
      ), "\(goneShell.output.stderr)")
    let gone = try #require(h.shell.read("session.html"))
    #expect(dataURIs(in: gone).isEmpty)
    #expect(gone.contains("the kept file session.outputs/shell_00001_.png is missing"))
    #expect(
      goneShell.output.stdout.contains("0 pictures (2 missing: the page says why)"),
      "\(goneShell.output.stdout)")
    await h.close()
  }

  @Test func picturesThatWereNotKeptComeFromTheServer() async throws {
    let h = try await ServerHarness()
    await h.loadBasic(color: 0x00FF00)
    _ = await h.ok("record plain.comfy")
    let out = await h.ok("run")
    let id = try #require(h.queuedID(out))
    _ = await h.ok("watch")
    _ = await h.ok("record stop")
    let session = h.shell.folder + "/plain.comfy"
    #expect(try #require(h.shell.read("plain.comfy")).contains("#> queued \(id)"))

    let (status, shell) = await render(options(session, server: h.simulator.baseURL))
    #expect(status == 0, "\(shell.output.stderr)")
    #expect(shell.output.stderr.isEmpty, "\(shell.output.stderr)")
    let html = try #require(h.shell.read("plain.html"))
    let pictures = dataURIs(in: html)
    #expect(pictures.count == 1)
    let onServer = try await h.session.server.client.view(OutputFile(filename: "shell_00001_.png"))
    #expect(try PNGDecoder.decode(try #require(pictures.first).bytes) == PNGDecoder.decode(onServer))
    // After the watch, not after the run.
    let watchAt = try #require(html.firstRange(of: "<code>watch</code>"))
    let pictureAt = try #require(html.firstRange(of: "data:image/png"))
    #expect(watchAt.upperBound < pictureAt.lowerBound)

    // Markdown writes the fetched pictures beside the page.
    let (mdStatus, _) = await render(
      options(session, output: h.shell.folder + "/plain.md", server: h.simulator.baseURL))
    #expect(mdStatus == 0)
    #expect(try #require(h.shell.read("plain.md")).contains("(plain.files/shell_00001_.png)"))
    #expect(try FileIO.read(h.shell.folder + "/plain.files/shell_00001_.png") == onServer)

    // A server that never ran the prompt: the page says so where the picture would be.
    let other = try await ServerHarness()
    let (otherStatus, otherShell) = await render(options(session, server: other.simulator.baseURL))
    #expect(otherStatus == 0)
    let expected =
      "the pictures of prompt \(id) were not kept, and the server \(other.simulator.baseURL) has no prompt \(id): record with --keep-outputs or render --replay"
    #expect(otherShell.output.stderr.contains("warning: " + expected), "\(otherShell.output.stderr)")
    #expect(try #require(h.shell.read("plain.html")).contains(expected))
    await other.close()
    await h.close()
  }

  @Test func replayRunsTheSessionAgainAndShowsWhatItMakesNow() async throws {
    let h = try await ServerHarness()
    _ = h.write("basic.json", ServerHarness.basic(color: 0xFF0000, prefix: "replayed"))
    let session = h.write(
      "old.comfy",
      """
      # Made long ago
      #
      # An old session: its prompt id is on no server now.
      load basic.json
      #> loaded basic.json · 3 nodes · API format
      run
      #> queued 08c130bb-02dd-4065-87a2-a855c955df02 (#0)
      watch
      #>   3  Save Image (SaveImage)      → output/replayed_00001_.png  0.0 s
      #@ output 08c130bb-02dd-4065-87a2-a855c955df02 3 output/replayed_00001_.png -> old.outputs/replayed_00001_.png

      """)
    let (status, shell) = await render(options(session, server: h.simulator.baseURL, replay: true))
    #expect(status == 0, "\(shell.output.stderr)")
    let html = try #require(h.shell.read("old.html"))
    #expect(html.contains("<h1>Made long ago</h1>"))
    #expect(html.contains(" · made by the replay · 64×64</figcaption>"))
    #expect(!html.contains("08c130bb"))
    #expect(html.contains("queued "))
    let pictures = dataURIs(in: html)
    #expect(pictures.count == 1)
    let onServer = try await h.session.server.client.view(OutputFile(filename: "replayed_00001_.png"))
    #expect(try PNGDecoder.decode(try #require(pictures.first).bytes) == PNGDecoder.decode(onServer))
    // The session itself is untouched, and its folder gains no outputs folder.
    #expect(try FileIO.readText(session).contains("08c130bb"))
    #expect(!FileIO.exists(h.shell.folder + "/old.outputs"))

    let (mdStatus, _) = await render(
      options(session, output: h.shell.folder + "/old.md", server: h.simulator.baseURL, replay: true))
    #expect(mdStatus == 0)
    #expect(try #require(h.shell.read("old.md")).contains("(old.files/replayed_00001_.png)"))
    #expect(FileIO.exists(h.shell.folder + "/old.files/replayed_00001_.png"))
    await h.close()
  }

  @Test func inputThatIsNoSessionGetsAClearMessage() async throws {
    let folder = TemporaryFolder.make()
    let broken = folder + "/broken.comfy"
    try FileIO.writeAtomically(broken, text: "echo ok\nset 1.x \"never closed\n")
    var (status, shell) = await render(options(broken))
    #expect(status == 2)
    #expect(shell.output.stderr.contains("broken.comfy"), "\(shell.output.stderr)")
    #expect(!FileIO.exists(folder + "/broken.html"))

    (status, shell) = await render(options(folder + "/nowhere.comfy"))
    #expect(status == 2)
    #expect(
      shell.output.stderr.contains("cannot read the session \(folder)/nowhere.comfy"),
      "\(shell.output.stderr)")

    let json = folder + "/w.json"
    try FileIO.writeAtomically(json, text: "{\"1\": {}}")
    (status, shell) = await render(options(json))
    #expect(status == 2)
    #expect(
      shell.output.stderr.contains("is a JSON file; render takes a recorded session"),
      "\(shell.output.stderr)")

    let good = folder + "/good.comfy"
    try FileIO.writeAtomically(good, text: "echo hi\n#> hi\n")
    (status, shell) = await render(options(good, output: good))
    #expect(status == 2)
    #expect(
      shell.output.stderr.contains("the page would replace the session \(good) itself"),
      "\(shell.output.stderr)")
    #expect(try FileIO.readText(good) == "echo hi\n#> hi\n")
    (status, shell) = await render(options(good, output: folder))
    #expect(status == 2)
    #expect(shell.output.stderr.contains("is a folder"))
  }

  @Test(arguments: [
    ("jpeg-420.jpg", "<img src=\"data:image/jpeg;base64,"),
    ("gif-animated.gif", "<img src=\"data:image/gif;base64,"),
    ("webp-lossy.webp", "<img src=\"data:image/webp;base64,"),
    ("video.mp4", "<video controls src=\"data:video/mp4;base64,"),
    ("video.webm", "<video controls src=\"data:video/webm;base64,"),
    ("audio.wav", "<audio controls src=\"data:audio/wav;base64,"),
    ("audio.flac", "<audio controls src=\"data:audio/flac;base64,"),
  ])
  func eachKindOfOutputIsInsideThePage(file: String, element: String) throws {
    let bytes = try FileIO.read(mediaFixtures + "/" + file)
    let picture = PageImage(
      name: file, serverPath: "output/" + file, promptID: "p1", node: "9", content: .bytes(bytes))
    let html = NotebookHTML.figure(picture, number: 1, keptWord: "kept") { _ in .success([]) }
    #expect(html.contains(element), "\(html.prefix(200))")
    #expect(html.contains("id=\"output-1\""))
    #expect(html.contains("output/\(file) · prompt p1 · node 9 · from the server"))
    let uri = try #require(dataURIs(in: html).first)
    #expect(uri.bytes == bytes)
  }

  @Test func anOutputThePageCannotShowIsNamed() {
    let text = PageImage(
      name: "notes.txt", serverPath: "output/notes.txt", promptID: "p1", node: "2",
      content: .bytes(Array("<hello>".utf8)))
    let html = NotebookHTML.figure(text, number: 3, keptWord: "kept") { _ in .success([]) }
    #expect(html.contains("notes.txt: not a picture, video or sound this page can show (7 bytes)"))
    #expect(!html.contains("<hello>"))
    let unreadable = PageImage(
      name: "a.png", serverPath: nil, promptID: "p1", node: nil, content: .file("/nowhere/a.png"))
    let missing = NotebookHTML.figure(unreadable, number: 4, keptWord: "kept") { path in
      .failure(PageImages.Reason("cannot read \(path)"))
    }
    #expect(missing.contains("<figure class=\"missing\" id=\"output-4\"><p>cannot read /nowhere/a.png</p>"))
  }

  @Test func anUnreadableAnnotationIsLeftOutWithAWarning() async throws {
    let folder = TemporaryFolder.make()
    let session = folder + "/s.comfy"
    try FileIO.writeAtomically(session, text: "echo hi\n#> hi\n#@ output p1 3 output/a.png\n")
    let (status, shell) = await render(options(session))
    #expect(status == 0)
    #expect(
      shell.output.stderr.contains(
        "warning: line 3: an unreadable #@ output line (it needs PROMPT NODE TYPE/SUBFOLDER/NAME -> PATH); it was left out"
      ), "\(shell.output.stderr)")
    #expect(try FileIO.readText(folder + "/s.html").contains("<pre class=\"output\">hi</pre>"))
  }

  /// Tests/Fixtures/Media.
  var mediaFixtures: String {
    var path = String(#filePath)
    for _ in 0..<2 { path = FileIO.parentFolder(of: path) }
    return path + "/Fixtures/Media"
  }

  // MARK: - Helpers

  /// The `data:` URIs of a page's `src` attributes, decoded.
  func dataURIs(in html: String) -> [(type: String, bytes: [UInt8])] {
    var found: [(String, [UInt8])] = []
    var rest = Substring(html)
    while let start = rest.firstRange(of: "src=\"data:") {
      rest = rest[start.upperBound...]
      guard let semicolon = rest.firstIndex(of: ";"), let end = rest.firstIndex(of: "\"") else { break }
      let type = String(rest[..<semicolon])
      let payload = rest[rest.index(semicolon, offsetBy: 8)..<end]
      found.append((type, decodeBase64(String(payload))))
      rest = rest[end...]
    }
    return found
  }

  func decodeBase64(_ text: String) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var value: [UInt8: Int] = [:]
    for (index, byte) in alphabet.enumerated() { value[byte] = index }
    var out: [UInt8] = []
    var buffer = 0
    var bits = 0
    for byte in text.utf8 where byte != UInt8(ascii: "=") {
      guard let v = value[byte] else { return [] }
      buffer = buffer << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(buffer >> bits & 0xFF))
      }
    }
    return out
  }
}
