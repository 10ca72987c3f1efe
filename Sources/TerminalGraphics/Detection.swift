/// The ways a picture can be drawn, best first.
public enum GraphicsProtocol: String, Sendable, Equatable, CaseIterable {
  case kitty
  case iterm
  case sixel
  /// Half blocks in 24-bit colour.
  case blocks
  /// Half blocks in xterm's 256 colours.
  case blocks256
  /// No picture: the name and size only.
  case off
}

/// What the terminal said to the queries `TerminalQuery` sends.
public struct TerminalReplies: Sendable, Equatable {
  /// Primary device attributes (`CSI ? … c`); 4 means sixel.
  public var deviceAttributes: [Int]?
  /// The kitty graphics query was answered with OK.
  public var kittyGraphics = false
  /// Text area in pixels (XTWINOPS 14: `CSI 4 ; height ; width t`).
  public var textAreaPixels: (width: Int, height: Int)?
  /// One cell in pixels (XTWINOPS 16: `CSI 6 ; height ; width t`).
  public var cellPixels: (width: Int, height: Int)?
  /// Colour registers for sixel (XTSMGRAPHICS: `CSI ? 1 ; 0 ; N S`).
  public var sixelColours: Int?

  public init() {}

  public static func == (a: TerminalReplies, b: TerminalReplies) -> Bool {
    a.deviceAttributes == b.deviceAttributes && a.kittyGraphics == b.kittyGraphics
      && a.textAreaPixels.map { [$0.width, $0.height] } == b.textAreaPixels.map { [$0.width, $0.height] }
      && a.cellPixels.map { [$0.width, $0.height] } == b.cellPixels.map { [$0.width, $0.height] }
      && a.sixelColours == b.sixelColours
  }

  public var supportsSixel: Bool { deviceAttributes?.contains(4) ?? false }

  /// Reads every reply in `bytes`; anything else (keys typed meanwhile) is left out.
  public static func parse(_ bytes: [UInt8]) -> TerminalReplies {
    var replies = TerminalReplies()
    var i = 0
    while i < bytes.count {
      guard bytes[i] == 0x1B, i + 1 < bytes.count else {
        i += 1
        continue
      }
      if bytes[i + 1] == UInt8(ascii: "[") {
        // CSI: parameters up to a final byte in 0x40…0x7E.
        var j = i + 2
        while j < bytes.count && !(0x40...0x7E).contains(bytes[j]) { j += 1 }
        guard j < bytes.count else { break }
        let body = Array(bytes[(i + 2)..<j])
        let final = bytes[j]
        let isPrivate = body.first == UInt8(ascii: "?")
        let numbers = String(decoding: isPrivate ? Array(body.dropFirst()) : body, as: UTF8.self)
          .split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
        switch (final, isPrivate) {
        case (UInt8(ascii: "c"), true): replies.deviceAttributes = numbers
        case (UInt8(ascii: "t"), false) where numbers.count == 3 && numbers[0] == 4:
          replies.textAreaPixels = (numbers[2], numbers[1])
        case (UInt8(ascii: "t"), false) where numbers.count == 3 && numbers[0] == 6:
          replies.cellPixels = (numbers[2], numbers[1])
        case (UInt8(ascii: "S"), true) where numbers.count >= 3 && numbers[0] == 1 && numbers[1] == 0:
          replies.sixelColours = numbers[2]
        default: break
        }
        i = j + 1
      } else if bytes[i + 1] == UInt8(ascii: "_") {
        // APC: the kitty reply `ESC _ G i=…;OK ESC \`.
        var j = i + 2
        while j + 1 < bytes.count && !(bytes[j] == 0x1B && bytes[j + 1] == 0x5C) { j += 1 }
        let body = String(decoding: bytes[(i + 2)..<min(j, bytes.count)], as: UTF8.self)
        if body.hasPrefix("G"), body.hasSuffix(";OK") { replies.kittyGraphics = true }
        i = j + 2
      } else {
        i += 2
      }
    }
    return replies
  }

  /// The cell size: asked directly, else the text area divided by the window's cells.
  public func cellSize(columns: Int, rows: Int) -> (width: Int, height: Int)? {
    if let cellPixels, cellPixels.width > 0, cellPixels.height > 0 { return cellPixels }
    if let area = textAreaPixels, columns > 0, rows > 0, area.width > 0, area.height > 0 {
      return (area.width / columns, area.height / rows)
    }
    return nil
  }
}

/// Chooses how to draw pictures from the environment and (when given) the terminal's replies: a
/// pure decision, so every case is testable without a terminal.
public struct GraphicsDetection: Sendable, Equatable {
  public var graphics: GraphicsProtocol
  /// Sequences must be wrapped for tmux passthrough (`TmuxPassthrough.wrapEach`).
  public var throughTmux: Bool
  /// Why: the variable or reply that decided, for `images` to show.
  public var reason: String

  public init(graphics: GraphicsProtocol, throughTmux: Bool, reason: String) {
    self.graphics = graphics
    self.throughTmux = throughTmux
    self.reason = reason
  }

  /// - Parameters:
  ///   - environment: the process environment (TERM, TERM_PROGRAM, KITTY_WINDOW_ID, …).
  ///   - replies: what the terminal answered to `TerminalQuery.graphicsQueries`, or nil when not asked.
  ///   - tmuxPassthrough: whether tmux passes wrapped sequences (`TmuxPassthrough.isEnabled`);
  ///     only consulted inside tmux.
  public static func decide(
    environment: [String: String], replies: TerminalReplies?, tmuxPassthrough: Bool = false
  ) -> GraphicsDetection {
    let term = environment["TERM"] ?? ""
    let program = environment["TERM_PROGRAM"] ?? ""
    let colourTerm = environment["COLORTERM"] ?? ""
    let insideTmux = environment["TMUX"] != nil || term.hasPrefix("tmux") || program == "tmux"
    let trueColour = colourTerm == "truecolor" || colourTerm == "24bit"
    let blocks: GraphicsDetection = {
      if term == "dumb" { return GraphicsDetection(graphics: .off, throughTmux: false, reason: "TERM=dumb") }
      return trueColour
        ? GraphicsDetection(graphics: .blocks, throughTmux: false, reason: "COLORTERM=\(colourTerm)")
        : GraphicsDetection(
          graphics: .blocks256, throughTmux: false, reason: "no graphics protocol or 24-bit colour found")
    }()

    // What the environment names. Inside tmux these are inherited from the terminal tmux runs in.
    var named: (GraphicsProtocol, String)?
    if environment["KITTY_WINDOW_ID"] != nil || term == "xterm-kitty" {
      named = (.kitty, environment["KITTY_WINDOW_ID"] != nil ? "KITTY_WINDOW_ID" : "TERM=xterm-kitty")
    } else if term == "xterm-ghostty" || program == "ghostty" || environment["GHOSTTY_RESOURCES_DIR"] != nil {
      named = (.kitty, "Ghostty")
    } else if program == "WezTerm" || environment["WEZTERM_EXECUTABLE"] != nil {
      named = (.iterm, program == "WezTerm" ? "TERM_PROGRAM=WezTerm" : "WEZTERM_EXECUTABLE")
    } else if program == "iTerm.app" || environment["ITERM_SESSION_ID"] != nil
      || environment["LC_TERMINAL"] == "iTerm2"
    {
      named = (.iterm, program == "iTerm.app" ? "TERM_PROGRAM=iTerm.app" : "ITERM_SESSION_ID")
    } else if program == "mintty" {
      named = (.iterm, "TERM_PROGRAM=mintty")
    } else if term.hasPrefix("foot") || term.hasPrefix("mlterm") || environment["MLTERM"] != nil {
      named = (.sixel, "TERM=\(term)")
    } else if environment["WT_SESSION"] != nil {
      named = (.sixel, "WT_SESSION (Windows Terminal)")
    }

    var found: (GraphicsProtocol, String)? = named
    if found == nil, let replies {
      if replies.kittyGraphics {
        found = (.kitty, "the terminal answered the kitty graphics query")
      } else if replies.supportsSixel {
        found = (.sixel, "the terminal's device attributes include 4 (sixel)")
      }
    }
    guard let (graphics, why) = found else { return blocks }
    if insideTmux {
      guard tmuxPassthrough else {
        var fallback = blocks
        fallback.reason = "inside tmux without allow-passthrough (\(why) outside); " + fallback.reason
        return fallback
      }
      return GraphicsDetection(
        graphics: graphics, throughTmux: true, reason: "\(why), through tmux passthrough")
    }
    return GraphicsDetection(graphics: graphics, throughTmux: false, reason: why)
  }
}
