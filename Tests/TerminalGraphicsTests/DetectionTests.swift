import Foundation
import TerminalGraphics
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DetectionTests {
  typealias Case = (
    environment: [String: String], replies: TerminalReplies?, tmux: Bool, expected: GraphicsProtocol,
    wrapped: Bool
  )

  static var kittyReply: TerminalReplies {
    var r = TerminalReplies()
    r.kittyGraphics = true
    r.deviceAttributes = [62, 22]
    return r
  }
  static var sixelReply: TerminalReplies {
    var r = TerminalReplies()
    r.deviceAttributes = [63, 1, 2, 4, 6, 9, 15, 22]
    return r
  }
  static var plainReply: TerminalReplies {
    var r = TerminalReplies()
    r.deviceAttributes = [62, 22]
    return r
  }

  static let cases: [Case] = [
    (["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"], nil, false, .kitty, false),
    (["TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"], nil, false, .kitty, false),
    (
      ["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm", "WEZTERM_EXECUTABLE": "/usr/bin/wezterm"], nil,
      false, .iterm, false
    ),
    (
      ["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app", "ITERM_SESSION_ID": "w0t0p0"], nil, false,
      .iterm, false
    ),
    (["TERM": "foot"], nil, false, .sixel, false),
    (["TERM": "xterm-256color", "WT_SESSION": "abc"], nil, false, .sixel, false),
    // xterm -ti vt340 says nothing in the environment; its device attributes include 4.
    (["TERM": "xterm"], sixelReply, false, .sixel, false),
    (["TERM": "xterm-256color"], kittyReply, false, .kitty, false),
    (["TERM": "xterm-256color", "COLORTERM": "truecolor"], plainReply, false, .blocks, false),
    (["TERM": "xterm-256color"], plainReply, false, .blocks256, false),
    (["TERM": "xterm-256color"], nil, false, .blocks256, false),
    (["TERM": "dumb"], nil, false, .off, false),
    // Inside tmux: the outer terminal's protocol, wrapped, only with passthrough.
    (
      ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "KITTY_WINDOW_ID": "3"], nil, true, .kitty,
      true
    ),
    (
      [
        "TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "KITTY_WINDOW_ID": "3",
        "COLORTERM": "truecolor",
      ], nil, false, .blocks, false
    ),
    (["TERM": "screen", "TMUX": "/tmp/tmux-0/default,1,0"], sixelReply, true, .sixel, true),
  ]

  @Test(arguments: 0..<cases.count)
  func decidesFromEnvironmentAndReplies(_ index: Int) {
    let c = Self.cases[index]
    let decision = GraphicsDetection.decide(
      environment: c.environment, replies: c.replies, tmuxPassthrough: c.tmux)
    #expect(decision.graphics == c.expected, "\(c.environment): \(decision)")
    #expect(decision.throughTmux == c.wrapped)
    #expect(!decision.reason.isEmpty)
  }

  @Test func repliesAreParsedAmongOtherInput() {
    let bytes = Array(
      "x\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[4;600;960t\u{1B}[6;20;10t\u{1B}[?1;0;1024S\u{1B}[?63;1;2;4;6;9;15;22cy"
        .utf8)
    let replies = TerminalReplies.parse(bytes)
    #expect(replies.kittyGraphics)
    #expect(replies.supportsSixel)
    #expect(replies.textAreaPixels?.width == 960 && replies.textAreaPixels?.height == 600)
    #expect(replies.cellPixels?.width == 10 && replies.cellPixels?.height == 20)
    #expect(replies.sixelColours == 1024)
    #expect(TerminalQuery.hasDeviceAttributes(bytes))
    #expect(!TerminalQuery.hasDeviceAttributes(Array("\u{1B}[?63;4".utf8)))
    var noCell = TerminalReplies()
    noCell.textAreaPixels = (800, 480)
    #expect(noCell.cellSize(columns: 80, rows: 24).map { [$0.width, $0.height] } == [10, 20])
    #expect(!TerminalReplies.parse(Array("\u{1B}_Gi=31;ENOENT:bad\u{1B}\\".utf8)).kittyGraphics)
  }

  @Test func tmuxPassthroughByVersionAndOption() {
    #expect(TmuxPassthrough.isEnabled(version: "tmux 3.4", option: "on\n"))
    #expect(TmuxPassthrough.isEnabled(version: "tmux 3.3a", option: "all"))
    #expect(!TmuxPassthrough.isEnabled(version: "tmux 3.4", option: "off"))
    #expect(TmuxPassthrough.isEnabled(version: "tmux 3.2a", option: nil))
    #expect(!TmuxPassthrough.isEnabled(version: nil, option: nil))
  }

  /// The query runs against a real pseudo-terminal: the "terminal" side answers, the query
  /// returns as soon as the device attributes arrive, and the line discipline is restored.
  @Test func queryReadsTheAnswerAndRestoresTheTerminal() throws {
    var master: Int32 = -1
    var slave: Int32 = -1
    guard openpty(&master, &slave, nil, nil, nil) == 0 else {
      Issue.record("openpty failed: errno \(errno)")
      return
    }
    defer {
      close(master)
      close(slave)
    }
    var before = termios()
    tcgetattr(slave, &before)
    let terminalSide = master
    let answerer = Thread {
      // Wait for the query's last part, then answer as a sixel terminal would.
      var seen: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 512)
      while !String(decoding: seen, as: UTF8.self).hasSuffix("\u{1B}[c") {
        let n = read(terminalSide, &buffer, buffer.count)
        if n <= 0 { return }
        seen += buffer[0..<n]
      }
      let reply = Array("\u{1B}[6;16;8t\u{1B}[?62;4;22c".utf8)
      _ = reply.withUnsafeBytes { write(terminalSide, $0.baseAddress, $0.count) }
    }
    answerer.start()
    let answer = try TerminalQuery.ask(fileDescriptor: slave, timeoutMs: 10_000)
    let replies = TerminalReplies.parse(answer)
    #expect(replies.supportsSixel && replies.cellPixels?.height == 16)
    var after = termios()
    tcgetattr(slave, &after)
    #expect(after.c_lflag == before.c_lflag)
    #expect(throws: TerminalQuery.Failure.self) { try TerminalQuery.ask(fileDescriptor: -1) }
  }
}
