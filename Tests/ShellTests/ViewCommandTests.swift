import ComfyClient
import ComfySim
import Media
import TerminalGraphics
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// `view` and `images` in a session: what is named, what is drawn, and each mistake. (What reaches a
/// real pseudo-terminal is checked in EndToEndTests/ViewTerminalTests.)
@MainActor
@Suite(.serialized) struct ViewCommandTests {
  /// Makes the session believe it prints to a terminal that names `graphics`, and keeps what is drawn.
  final class Drawn {
    var bytes: [UInt8] = []
  }

  static func pretendTerminal(_ session: Session, environment: [String: String]) -> Drawn {
    let drawn = Drawn()
    session.pictures.canDraw = true
    session.pictures.environment = environment
    session.pictures.askTerminal = { nil }
    session.pictures.terminalSize = { TerminalSize(columns: 80, rows: 24, pixelWidth: 640, pixelHeight: 384) }
    session.pictures.write = { drawn.bytes += $0 }
    return drawn
  }

  @Test func viewNamesEachFileOfTheLastPromptAndDrawsItOnATerminal() async throws {
    let h = try await ServerHarness()
    let drawn = Self.pretendTerminal(h.session, environment: ["TERM": "xterm-kitty"])
    await h.loadBasic(prefix: "vw")
    _ = await h.ok("run; watch")
    let out = await h.ok("view")
    #expect(
      out.hasPrefix("3  Save Image (SaveImage)  output/vw_00001_.png  ") && out.hasSuffix(" PNG\n"), "\(out)")
    let command = try #require(ProtocolReaders.kitty(drawn.bytes).commands.first)
    let sent = try PNGDecoder.decode(try #require(Base64.decode(command.payload)))
    let file = try await h.session.server.client.view(OutputFile(filename: "vw_00001_.png"))
    #expect(sent == (try PNGDecoder.decode(file)))
    // The node and the prompt id name the same file.
    drawn.bytes = []
    #expect(await h.ok("view 3") == out)
    let id = try #require(h.session.server.lastPromptID)
    #expect(await h.ok("view \(id.prefix(8))") == out)
    #expect(ProtocolReaders.kitty(drawn.bytes).commands.count == 2)
    await h.close()
  }

  @Test func offATerminalAndWithImagesOffNothingIsDrawn() async throws {
    let h = try await ServerHarness()
    await h.loadBasic(prefix: "plain")
    _ = await h.ok("run; watch")
    #expect(await h.ok("images").contains("standard output is not a terminal"))
    let drawn = Self.pretendTerminal(h.session, environment: ["TERM": "xterm-kitty"])
    #expect(await h.ok("images off") == "images off: no pictures are drawn, only named\n")
    #expect(await h.ok("view").contains("output/plain_00001_.png"))
    #expect(drawn.bytes.isEmpty)
    // Choosing a protocol turns pictures back on, with that protocol whatever was detected.
    #expect(await h.ok("images sixel").contains("drawn with sixel (chosen with `images sixel`)"))
    _ = await h.ok("view")
    #expect(ProtocolReaders.sixel(drawn.bytes) != nil)
    #expect(await h.ok("images detect").contains("drawn with the kitty graphics protocol (TERM=xterm-kitty)"))
    await h.close()
  }

  /// Inside tmux, pictures reach the terminal outside only wrapped for passthrough, and only when
  /// tmux allows it; else half blocks, which tmux draws itself.
  @Test func insideTmuxPicturesAreWrappedOrFallBack() async throws {
    let h = try await ServerHarness()
    let picture = PNGEncoder.encode(RGBAImage(width: 4, height: 4, fill: (200, 10, 10, 255)))
    try NewFile.write(h.shell.folder + "/red.png", picture)
    let tmux = ["TMUX": "/tmp/tmux-0/default,1,0", "TERM": "screen-256color", "KITTY_WINDOW_ID": "3"]
    let drawn = Self.pretendTerminal(h.session, environment: tmux)
    h.session.pictures.tmuxPassthrough = { true }
    #expect(await h.ok("images").contains("KITTY_WINDOW_ID, through tmux passthrough"))
    _ = await h.ok("view red.png")
    let text = String(decoding: drawn.bytes, as: UTF8.self)
    #expect(text.hasPrefix("\u{1B}Ptmux;\u{1B}\u{1B}_G"), "\(text.prefix(40).debugDescription)")
    let unwrapped = Array(
      text.replacing("\u{1B}Ptmux;", with: "")
        .replacing("\u{1B}\u{1B}", with: "\u{1B}").utf8)
    let command = try #require(ProtocolReaders.kitty(unwrapped).commands.first)
    #expect(
      try PNGDecoder.decode(try #require(Base64.decode(command.payload))) == (try PNGDecoder.decode(picture)))

    let blocked = Self.pretendTerminal(h.session, environment: tmux)
    h.session.pictures.tmuxPassthrough = { false }
    _ = await h.ok("images detect")
    #expect(h.output.stdout.contains("inside tmux without allow-passthrough"), "\(h.output.stdout)")
    _ = await h.ok("view red.png")
    #expect(String(decoding: blocked.bytes, as: UTF8.self).contains("▀"))
    await h.close()
  }

  static let mediaFolder = FileIO.parentFolder(of: FileIO.parentFolder(of: #filePath)) + "/Fixtures/Media"

  /// Files real encoders made (Tests/Fixtures/Media): the picture sent is Pillow's decoding of
  /// each, within the tolerance the decoder tests allow (JPEG's float IDCT), first frames of animations.
  @Test(arguments: [
    "jpeg-420.jpg", "jpeg-progressive.jpg", "webp-lossy.webp", "webp-lossless-alpha.webp", "gif-animated.gif",
    "webp-animated.webp", "png-interlaced-rgba.png",
  ])
  func everyFormatIsDrawnAsPillowDecodesIt(_ name: String) async throws {
    let manifest = try JSONValue.parse(
      bytes: FileIO.read(Self.mediaFolder + "/manifest.json", limit: .workflow))
    let entry = try #require(manifest["images"]?.arrayValue?.first { $0["file"]?.stringValue == name })
    let width = try #require(entry["width"]?.numberValue.flatMap { Int($0.text) })
    let height = try #require(entry["height"]?.numberValue.flatMap { Int($0.text) })
    let tolerance = entry["maxTolerance"]?.numberValue.flatMap { Int($0.text) } ?? 0
    let reference = try #require(entry["reference"]?.stringValue)
    let pixels = try Inflate.decompressZlib(
      FileIO.read(Self.mediaFolder + "/" + reference, limit: .workflow), limit: width * height * 4)
    let expected = RGBAImage(width: width, height: height, pixels: pixels)

    let h = ShellHarness()
    let drawn = Self.pretendTerminal(h.session, environment: ["TERM": "xterm-kitty"])
    let out = await h.ok("view \(Self.mediaFolder)/\(name)")
    #expect(out.contains("\(width)×\(height)"), "\(out)")
    if let frames = entry["frames"]?.numberValue.flatMap({ Int($0.text) }), frames > 1 {
      #expect(out.contains("\(frames) frames") && out.contains("(first frame shown)"), "\(out)")
    }
    let command = try #require(ProtocolReaders.kitty(drawn.bytes).commands.first)
    let sent = try PNGDecoder.decode(try #require(Base64.decode(command.payload)))
    try #require(sent.width == width && sent.height == height)
    var worst = 0
    for i in 0..<(width * height) where expected.pixels[i * 4 + 3] > 0 {
      for c in 0..<4 {
        worst = max(worst, abs(Int(sent.pixels[i * 4 + c]) - Int(expected.pixels[i * 4 + c])))
      }
    }
    #expect(worst <= max(tolerance, 0), "\(name): differs by \(worst)")
  }

  @Test(arguments: ["audio.mp3", "audio.flac", "audio.ogg"])
  func audioIsDescribed(_ name: String) async throws {
    let h = ShellHarness()
    let drawn = Self.pretendTerminal(h.session, environment: ["TERM": "xterm-kitty"])
    let out = await h.ok("view \(Self.mediaFolder)/\(name)")
    #expect(out.contains(" audio, ") && out.contains(" s, ") && out.contains(" kHz"), "\(out)")
    #expect(drawn.bytes.isEmpty)
  }

  @Test func jsonDescribesEachFileAndDrawsNothing() async throws {
    let h = try await ServerHarness(json: true)
    await h.loadBasic(prefix: "js")
    _ = await h.ok("run; watch")
    let out = await h.ok("view")
    let object = try #require(try JSONValue.parse(out.trimmedTrailing).objectValue)
    #expect(object["type"]?.stringValue == "view")
    #expect(object["name"]?.stringValue == "output/js_00001_.png")
    #expect(object["format"]?.stringValue == "png")
    #expect(object["drawn"]?.boolValue == false)
    #expect(object["width"]?.numberValue != nil && object["node"]?.stringValue == "3")
    await h.close()
  }

  @Test func videoAndAudioFilesAreDescribedNotDrawn() async throws {
    let h = try await ServerHarness()
    let drawn = Self.pretendTerminal(h.session, environment: ["TERM": "xterm-kitty"])
    // A WAV of one second of silence at 8 kHz, mono, 16-bit.
    var wav: [UInt8] = Array("RIFF".utf8) + le32(36 + 16000) + Array("WAVEfmt ".utf8) + le32(16)
    wav += [1, 0, 1, 0] + le32(8000) + le32(16000) + [2, 0, 16, 0] + Array("data".utf8) + le32(16000)
    wav += [UInt8](repeating: 0, count: 16000)
    let path = h.shell.folder + "/tone.wav"
    try NewFile.write(path, wav)
    #expect(await h.ok("view tone.wav") == "tone.wav  WAV audio, 1.0 s, 8 kHz, mono\n")
    #expect(drawn.bytes.isEmpty)
    await h.close()
  }

  func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }

  @Test func mistakesSayWhatToDo() async throws {
    let h = try await ServerHarness()
    #expect(await h.fails("view").contains("no prompt was run in this session"))
    #expect(
      await h.fails("view nothing-here.png").contains("is not a node of the workflow, a file, or a prompt id")
    )
    _ = h.shell.write("broken.png", "not a picture at all")
    let broken = await h.ok("view broken.png")
    #expect(broken.contains("broken.png  20 B, not a picture, video or audio file comfysh knows"))
    try NewFile.write(
      h.shell.folder + "/cut.png", Array(PNGEncoder.encode(RGBAImage(width: 8, height: 8)).prefix(40)))
    _ = Self.pretendTerminal(h.session, environment: ["TERM": "xterm-kitty"])
    _ = await h.ok("view cut.png")
    #expect(h.output.stderr.contains("cannot draw cut.png: the PNG data ends early"), "\(h.output.stderr)")
    #expect(await h.fails("view . ").contains("is a folder"))
    #expect(
      await h.fails("view x --rows 0").contains("--rows takes a number of terminal rows from 1 to 1000"))
    #expect(await h.fails("images purple").contains("images takes auto, on, off, kitty"))
    await h.loadBasic(prefix: "none")
    #expect(await h.fails("view 1").contains("node 1 wrote no files in this session's prompts"))
    await h.close()
  }

  @Test func previewOffATerminalSaysWhereThePreviewsGo() async throws {
    let h = try await ServerHarness()
    await h.loadBasic(prefix: "pv")
    _ = await h.ok("run")
    _ = await h.ok("watch --preview")
    #expect(h.output.stderr.contains("--preview draws only on a terminal"))
    #expect(await h.fails("watch --preview --background").contains("use one of them"))
    await h.close()
  }
}
