import ComfySim
import Foundation
import Media
import TerminalGraphics
import TestSupport
import Testing

@testable import Workflow

/// `view` and `watch` on a pseudo-terminal: what comfysh writes for each protocol, read back into
/// pixels with readers written from the protocols' documentation.
@Suite(.serialized)
struct ViewTerminalTests {
  /// 100 × 40 cells of 8 × 16 pixels, the size the kernel reports as a terminal emulator sets it.
  static let window = PseudoTerminal.Size(columns: 100, rows: 40, pixelWidth: 800, pixelHeight: 640)

  /// Six flat colours in bands and a white frame: small enough to be sent as it is.
  static func picture(width: Int = 48, height: Int = 30) -> RGBAImage {
    let colours: [(UInt8, UInt8, UInt8)] = [
      (230, 40, 40), (40, 200, 60), (40, 80, 230), (240, 220, 40), (200, 60, 200), (20, 20, 20),
    ]
    var pixels = [UInt8](repeating: 255, count: width * height * 4)
    for y in 0..<height {
      for x in 0..<width where !(x == 0 || y == 0 || x == width - 1 || y == height - 1) {
        let c = colours[x * colours.count / width]
        let i = (y * width + x) * 4
        (pixels[i], pixels[i + 1], pixels[i + 2]) = c
      }
    }
    return RGBAImage(width: width, height: height, pixels: pixels)
  }

  static func folderWithPicture(_ image: RGBAImage = picture()) throws -> String {
    let folder = Binary.temporaryFolder()
    try Data(PNGEncoder.encode(image)).write(to: URL(fileURLWithPath: folder + "/pic.png"))
    return folder
  }

  static func maxDifference(_ a: RGBAImage, _ b: RGBAImage) -> Int {
    guard a.width == b.width, a.height == b.height else { return 256 }
    var worst = 0
    for i in stride(from: 0, to: a.pixels.count, by: 4) {
      for c in 0..<3 { worst = max(worst, abs(Int(a.pixels[i + c]) - Int(b.pixels[i + c]))) }
    }
    return worst
  }

  @Test func kittyPayloadIsThePicture() async throws {
    let folder = try Self.folderWithPicture()
    let result = try await PseudoTerminal.run(
      ["--no-init", "-c", "view pic.png"], in: folder, size: Self.window, environment: ["TERM": "xterm-kitty"]
    )
    #expect(result.status == 0, "\(result.text)")
    #expect(result.text.contains("pic.png  48×30 PNG"))
    let commands = ProtocolReaders.kitty(result.output).commands
    try #require(commands.count == 1, "\(result.text.prefix(300))")
    #expect(commands[0].keys["a"] == "T" && commands[0].keys["f"] == "100")
    #expect(commands[0].keys["c"] == "6" && commands[0].keys["r"] == "2")
    let png = try #require(Base64.decode(commands[0].payload))
    #expect(try PNGDecoder.decode(png) == Self.picture())
  }

  @Test func itermPayloadIsThePicture() async throws {
    let folder = try Self.folderWithPicture()
    let result = try await PseudoTerminal.run(
      ["--no-init", "-c", "view pic.png"], in: folder, size: Self.window,
      environment: ["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"])
    #expect(result.status == 0, "\(result.text)")
    let sent = try #require(ProtocolReaders.iterm(result.output))
    #expect(
      sent.arguments["inline"] == "1" && sent.arguments["width"] == "6" && sent.arguments["height"] == "2")
    #expect(try PNGDecoder.decode(sent.file) == Self.picture())
  }

  /// xterm names itself nowhere in the environment: its answer to the device attributes query
  /// (4 = sixel) decides, and its cell size comes from XTWINOPS 16.
  @Test func sixelIsChosenFromTheTerminalsAnswerAndParsesBack() async throws {
    let folder = try Self.folderWithPicture()
    let replies = [
      PseudoTerminal.Reply(
        trigger: Array("\u{1B}[c".utf8),
        answer: Array("\u{1B}[6;13;6t\u{1B}[?1;0;256S\u{1B}[?63;1;2;4;6;9;15;22c".utf8))
    ]
    let result = try await PseudoTerminal.run(
      ["--no-init", "-c", "images; view pic.png"], in: folder,
      size: PseudoTerminal.Size(columns: 100, rows: 40),
      // The test answers as fast as its thread is scheduled: on a loaded machine that can pass 300 ms.
      environment: ["TERM": "xterm", "COMFYSH_QUERY_TIMEOUT_MS": "5000"], replies: replies)
    #expect(result.status == 0, "\(result.text)")
    #expect(result.text.contains("drawn with sixel (the terminal's device attributes include 4 (sixel))"))
    #expect(result.text.contains("cells 6×13 px (the terminal said)"))
    let drawn = try #require(ProtocolReaders.sixel(result.output))
    #expect(Self.maxDifference(drawn, Self.picture()) <= 2)
  }

  @Test func halfBlocksParseBackWhereNoProtocolIsFound() async throws {
    let folder = try Self.folderWithPicture()
    let replies = [
      PseudoTerminal.Reply(trigger: Array("\u{1B}[c".utf8), answer: Array("\u{1B}[?62;22c".utf8))
    ]
    let result = try await PseudoTerminal.run(
      ["--no-init", "-c", "view pic.png"], in: folder, size: Self.window,
      environment: ["TERM": "xterm-256color", "COLORTERM": "truecolor", "COMFYSH_QUERY_TIMEOUT_MS": "5000"],
      replies: replies)
    #expect(result.status == 0, "\(result.text)")
    // The terminal turns each line feed into CR LF; the block rows are the lines with half blocks,
    // once the queries comfysh asked the terminal are taken out.
    let query = String(decoding: TerminalQuery.graphicsQueries, as: UTF8.self)
    let rows = result.text.replacingOccurrences(of: query, with: "").replacingOccurrences(of: "\r", with: "")
      .split(separator: "\n")
      .filter { $0.contains("▀") || $0.contains("▄") }
    let drawn = try #require(
      ProtocolReaders.halfBlocks(Array(rows.joined(separator: "\n").utf8), palette256: { _ in (0, 0, 0) }))
    #expect(drawn.width == 48 && drawn.height == 30)
    #expect(Self.maxDifference(drawn, Self.picture()) == 0)
  }

  @Test func aLargePictureIsScaledToTheWindow() async throws {
    let folder = try Self.folderWithPicture(Self.picture(width: 1000, height: 600))
    let result = try await PseudoTerminal.run(
      ["--no-init", "-c", "view pic.png"], in: folder,
      size: PseudoTerminal.Size(columns: 80, rows: 24, pixelWidth: 640, pixelHeight: 384),
      environment: ["TERM": "xterm-kitty"])
    #expect(result.status == 0, "\(result.text)")
    let command = try #require(ProtocolReaders.kitty(result.output).commands.first)
    let sent = try PNGDecoder.decode(try #require(Base64.decode(command.payload)))
    // 20 rows of 16 pixels (the window less four rows) bound it: 533 × 320, the aspect kept.
    #expect(sent.width == 533 && sent.height == 320)
    #expect(Int(command.keys["c"] ?? "") == 67 && Int(command.keys["r"] ?? "") == 20)
  }

  @Test func offATerminalOnlyTheNameIsWritten() async throws {
    let folder = try Self.folderWithPicture()
    let result = try await Binary.run(
      ["--no-init", "-c", "view pic.png"], in: folder, environment: ["TERM": "xterm-kitty"])
    #expect(result.status == 0)
    #expect(result.stdout == "pic.png  48×30 PNG\n")
  }

  /// After a run on the simulator: `view` draws the prompt's output, `images on` makes `watch` draw it
  /// under the node's line, and both are the file `download` saves.
  @Test func viewAndWatchDrawWhatThePromptMade() async throws {
    let folder = Binary.temporaryFolder()
    let script =
      "images on; new; add EmptyImage as 1 width=64 height=40 color=16711680; add SaveImage as 2 filename_prefix=pty; link 2.images 1:0; run; watch; view; download out"
    let result = try await PseudoTerminal.run(
      ["--no-init", "--sim", "-c", script], in: folder, size: Self.window,
      environment: ["TERM": "xterm-kitty"])
    #expect(result.status == 0, "\(result.text)")
    let saved = try PNGDecoder.decode(try FileIO.read(folder + "/out/pty_00001_.png", limit: .workflow))
    let commands = ProtocolReaders.kitty(result.output).commands
    try #require(commands.count == 2, "\(result.text.suffix(600))")
    for command in commands {
      #expect(try PNGDecoder.decode(try #require(Base64.decode(command.payload))) == saved)
    }
    // watch's picture comes right after the line that names the file, before the prompt's end.
    let text = result.text
    let nodeLine = try #require(text.range(of: "→ output/pty_00001_.png"))
    let firstPicture = try #require(text.range(of: "\u{1B}_G"))
    let done = try #require(text.range(of: "done in"))
    #expect(
      nodeLine.upperBound <= firstPicture.lowerBound && firstPicture.lowerBound < done.lowerBound,
      "\(text.debugDescription)")
    #expect(text.contains("2  Save Image (SaveImage)  output/pty_00001_.png  64×40 PNG"))
  }

  /// `watch --preview` against a simulator that sends the sampler's previews: each is drawn with the
  /// same kitty image and placement ids (so it replaces the last, cursor left in place), and the pane
  /// is deleted when the sampler ends.
  /// Without kitty's ids, each preview is drawn over the last with the cursor saved and restored:
  /// every frame moves up over the same rows the pane holds, and comes back down under them.
  @Test(arguments: ["sixel", "blocks", "iterm"])
  func previewsOfOtherProtocolsAreDrawnOverTheSameRows(_ graphics: String) async throws {
    let simulator = try ComfySimulator(
      SimulatorConfiguration(stepDelay: .milliseconds(250), samplerPreviews: true))
    try await simulator.start()
    defer { Task { await simulator.stop() } }
    let example = Binary.packageRoot + "/Docs/examples/txt2img.json"
    let result = try await PseudoTerminal.run(
      [
        "--no-init", "--server", simulator.baseURL, "-c",
        "images \(graphics); load \(example); set 3.steps 8; run; watch --preview",
      ], in: Binary.temporaryFolder(), size: Self.window, environment: ["TERM": "xterm-256color"])
    await simulator.stop()
    #expect(result.status == 0, "\(result.text.suffix(800))")
    let text = result.text
    // A frame: up N rows, save the cursor, the picture, restore it, down N rows.
    let frames = try Regex(#"\x1B\[(\d+)A\r\x1B7"#).matchCount(in: text)
    let returns = try Regex(#"\x1B8\x1B\[(\d+)B\r"#).matchCount(in: text)
    #expect(frames >= 2 && frames == returns, "\(frames) frames, \(returns) returns")
    let pictures: Int
    switch graphics {
    case "sixel": pictures = text.components(separatedBy: "\u{1B}P0;1;0q").count - 1
    case "iterm": pictures = text.components(separatedBy: "\u{1B}]1337;File=").count - 1
    default:
      // A row of half blocks right after the saved cursor.
      pictures = try Regex(#"\x1B7\x1B\[38;2;"#).matchCount(in: text)
    }
    #expect(pictures == frames)
    // The pane is erased (up over it, erase below) before the sampler's own line.
    let erase = try #require(text.range(of: "\r\u{1B}[J", options: .backwards))
    let samplerLine = try #require(text.range(of: "3  KSampler", options: .backwards))
    #expect(erase.lowerBound < samplerLine.lowerBound)
  }

  @Test func previewsReplaceEachOtherInPlace() async throws {
    let simulator = try ComfySimulator(
      SimulatorConfiguration(stepDelay: .milliseconds(250), samplerPreviews: true))
    try await simulator.start()
    defer { Task { await simulator.stop() } }
    let folder = Binary.temporaryFolder()
    let example = Binary.packageRoot + "/Docs/examples/txt2img.json"
    let result = try await PseudoTerminal.run(
      [
        "--no-init", "--server", simulator.baseURL, "-c",
        "load \(example); set 3.steps 8; run; watch --preview",
      ],
      in: folder, size: Self.window, environment: ["TERM": "xterm-kitty"])
    await simulator.stop()
    #expect(result.status == 0, "\(result.text.suffix(800))")
    let commands = ProtocolReaders.kitty(result.output).commands
    let previews = commands.filter { $0.keys["a"] == "T" }
    #expect(previews.count >= 2, "\(commands.map(\.keys))")
    #expect(Set(previews.map { $0.keys["i"] ?? "" }).count == 1)
    #expect(previews.allSatisfy { $0.keys["p"] == "1" && $0.keys["C"] == "1" })
    for preview in previews {
      let image = try PNGDecoder.decode(try #require(Base64.decode(preview.payload)))
      #expect(image.width > 0)
    }
    let deletes = commands.filter { $0.keys["a"] == "d" }
    #expect(deletes.count >= 1 && deletes.allSatisfy { $0.keys["i"] == previews.first?.keys["i"] })
    let text = result.text
    let lastDelete = try #require(text.range(of: "\u{1B}_Ga=d", options: .backwards))
    // The sampler's own line, printed when it ended (the live line before it shows the same start).
    let samplerLine = try #require(text.range(of: "3  KSampler", options: .backwards))
    #expect(lastDelete.lowerBound < samplerLine.lowerBound)
  }
}
