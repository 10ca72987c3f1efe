import Media
import TerminalGraphics
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `images auto|on|off`: whether pictures are drawn, and whether `watch` draws a prompt's results.
public enum PictureMode: String, Sendable, CaseIterable {
  /// `view` draws; `watch` names the files.
  case auto
  /// `view` draws, and `watch` draws each node's final images under its line.
  case on
  /// Nothing is drawn anywhere: names and sizes only.
  case off
}

/// What the terminal was found to speak, asked once per session.
struct TerminalAbilities: Equatable {
  var detection: GraphicsDetection
  /// From the terminal's reply to XTWINOPS 16/14, when it answered.
  var cellFromReplies: (width: Int, height: Int)?
  var sixelColours: Int?

  static func == (a: TerminalAbilities, b: TerminalAbilities) -> Bool {
    a.detection == b.detection && a.sixelColours == b.sixelColours
      && a.cellFromReplies.map { [$0.width, $0.height] } == b.cellFromReplies.map { [$0.width, $0.height] }
  }
}

/// The session's pictures: the `images` setting, what the terminal can draw, and writing a picture
/// to standard output. Pictures go straight to the terminal, never into a recording or `--json`:
/// the line that names each one is what is recorded.
@MainActor
public final class TerminalPictures {
  public var mode: PictureMode = .auto
  /// `images kitty|iterm|sixel|blocks|blocks256`; nil = detect.
  public var forced: GraphicsProtocol?
  /// The process environment (tests give their own), read when first needed.
  lazy var environment: [String: String] = TerminalPictures.processEnvironment()
  /// Standard output is a terminal and the session prints text (not `--json`).
  var canDraw: Bool
  /// Asks the terminal (`TerminalQuery`); tests replace it.
  var askTerminal: () -> TerminalReplies?
  /// Whether tmux passes wrapped sequences through.
  var tmuxPassthrough: () -> Bool
  var terminalSize: () -> TerminalSize?
  private var abilities: TerminalAbilities?
  /// Writes bytes to the terminal.
  var write: ([UInt8]) -> Void

  public init(jsonMode: Bool) {
    canDraw = !jsonMode && isatty(1) == 1
    askTerminal = TerminalPictures.queryControllingTerminal
    tmuxPassthrough = TmuxProbe.passthroughIsOn
    terminalSize = { TerminalSize.of(fileDescriptor: 1) }
    write = { bytes in TerminalPictures.writeAll(bytes) }
  }

  /// Whether pictures are drawn now (a terminal, not `--json`, not `images off`).
  var drawing: Bool { canDraw && mode != .off }

  /// The protocol pictures are drawn with and why, detecting on first use.
  func decision() -> GraphicsDetection {
    let found = detect()
    guard let forced else { return found.detection }
    return GraphicsDetection(
      graphics: forced, throughTmux: found.detection.throughTmux && forced != .blocks && forced != .blocks256,
      reason: "chosen with `images \(forced.rawValue)`")
  }

  /// Forgets what was detected (`images detect`), so the next picture asks again.
  func forgetDetection() { abilities = nil }

  private func detect() -> TerminalAbilities {
    if let abilities { return abilities }
    var decided = GraphicsDetection.decide(
      environment: environment, replies: nil, tmuxPassthrough: inTmux ? tmuxPassthrough() : false)
    var replies: TerminalReplies?
    // The environment names nothing (xterm, say): the terminal's own answers decide.
    // A chosen protocol needs no asking, except sixel, whose cell size and colour count come from it.
    let undecided = decided.graphics == .blocks || decided.graphics == .blocks256
    let worthAsking = forced.map { $0 == .sixel } ?? (undecided || decided.graphics == .sixel)
    if canDraw, worthAsking, decided.graphics != .off {
      replies = askTerminal()
      if let replies {
        decided = GraphicsDetection.decide(
          environment: environment, replies: replies, tmuxPassthrough: inTmux ? tmuxPassthrough() : false)
      }
    }
    let size = terminalSize()
    let found = TerminalAbilities(
      detection: decided,
      cellFromReplies: replies?.cellSize(columns: size?.columns ?? 0, rows: size?.rows ?? 0),
      sixelColours: replies?.sixelColours)
    abilities = found
    return found
  }

  private var inTmux: Bool { environment["TMUX"] != nil }

  /// Where a picture may go now: the window's width, and `rowsShare` of its height.
  func target(maxColumns: Int? = nil, maxRows: Int? = nil) -> PictureTarget {
    let found = detect()
    let decided = decision()
    let size = terminalSize()
    let columns = size?.columns ?? 80
    let rows = size?.rows ?? 24
    let cell = size?.cellSize ?? found.cellFromReplies ?? (width: 8, height: 16)
    return PictureTarget(
      graphics: decided.graphics, maxColumns: min(maxColumns ?? columns, columns),
      maxRows: min(maxRows ?? max(4, rows - 4), max(1, rows - 2)), cellWidth: max(1, cell.width),
      cellHeight: max(1, cell.height), sixelColours: found.sixelColours ?? 256,
      throughTmux: decided.throughTmux)
  }

  /// The cell size and how it was found, for `images`.
  func cellDescription() -> String {
    let size = terminalSize()
    if let cell = size?.cellSize { return "cells \(cell.width)×\(cell.height) px (from the window size)" }
    if let cell = detect().cellFromReplies {
      return "cells \(cell.width)×\(cell.height) px (the terminal said)"
    }
    return "cell size unknown (8×16 px assumed)"
  }

  // MARK: - The process's terminal

  static func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      pointer += 1
    }
    return result
  }

  /// Asks the controlling terminal (or standard input, when it is the terminal) the graphics
  /// queries; nil when there is none to ask or it answered nothing.
  static func queryControllingTerminal() -> TerminalReplies? {
    let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
    let fd = tty >= 0 ? tty : (isatty(0) == 1 ? 0 : -1)
    defer { if tty >= 0 { close(tty) } }
    guard fd >= 0, let answer = try? TerminalQuery.ask(fileDescriptor: fd, timeoutMs: queryTimeoutMs),
      !answer.isEmpty
    else { return nil }
    return TerminalReplies.parse(answer)
  }

  /// How long a terminal may take to answer: 300 ms, or `COMFYSH_QUERY_TIMEOUT_MS` (a terminal
  /// far away over ssh answers later; every terminal answers the last query, so this is a ceiling).
  static var queryTimeoutMs: Int {
    ShellPaths.environment("COMFYSH_QUERY_TIMEOUT_MS").flatMap { Int($0) }.map { min(max($0, 10), 10_000) }
      ?? 300
  }

  static func writeAll(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { buffer in
      guard let base = buffer.baseAddress else { return }
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(1, base + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += n
      }
    }
  }
}
