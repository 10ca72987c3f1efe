/// One argument as typed: bare text, quoted parts and JSON values can be glued together (`@"Save Image".images`).
public struct Word: Sendable, Equatable, CustomStringConvertible {
  public enum Segment: Sendable, Equatable {
    /// Unquoted text; `$NAME` expands.
    case bare(String)
    /// The text between `"…"`, escapes not yet decoded; `$NAME` expands.
    case double(String)
    /// The text between `'…'`, taken literally.
    case single(String)
    /// A JSON list or object (`[…]`, `{…}`) as typed; `$NAME` expands outside its strings.
    case json(String)
  }

  public var segments: [Segment]
  /// The argument exactly as typed, quotes included.
  public var raw: String

  public init(segments: [Segment], raw: String) {
    self.segments = segments
    self.raw = raw
  }

  /// A bare word, for building arguments in code.
  public init(_ text: String) {
    segments = [.bare(text)]
    raw = text
  }

  public var description: String { raw }

  /// True when the word is exactly this unquoted text (`{`, `in`, `=`).
  func isBare(_ text: String) -> Bool { segments == [.bare(text)] }
}

/// A parsed unit of a script or command line, with the line it starts on and its source text.
public indirect enum Statement: Sendable, Equatable {
  case command(words: [Word], line: Int, source: String)
  case forLoop(variable: String, items: [Word], body: [Statement], line: Int, source: String)

  public var line: Int {
    switch self {
    case .command(_, let line, _), .forLoop(_, _, _, let line, _): line
    }
  }

  public var source: String {
    switch self {
    case .command(_, _, let source), .forLoop(_, _, _, _, let source): source
    }
  }
}

/// Why a command line or script could not be read.
public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public let line: Int
  /// True when more lines could complete the text (an open `{` block): the shell asks for them.
  public let isIncomplete: Bool

  public var description: String { message }
}
