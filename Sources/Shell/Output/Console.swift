import ComfyClient
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Where everything the shell prints goes. Commands print through it so that recording, `--json`
/// and text arriving while the user types all see the same lines.
@MainActor
public final class Console {
  /// Machine-readable mode: one JSON object per line instead of text (`--json`).
  public let jsonMode: Bool
  /// ANSI colour; only when stdout is a terminal and neither `--no-color` nor `NO_COLOR` is set.
  public let style: Style
  /// While the line editor is reading a line, lines go above the prompt through this.
  var printAbove: (@Sendable (String) -> Void)?
  /// Collects what commands print while a recording or a transcript check is running (nested: a stack).
  private var captures: [[String]] = []
  /// Only collect, do not write (a transcript check prints its own report instead).
  public var muted = false
  private var out: TextSink
  private var err: TextSink
  /// Replaces known keys (and `comfyui-…` key-shaped text) by their masked form in every line written
  /// or captured; the session keeps it up to date.
  public var masking = KeyMasking()
  /// Runs before anything is written: `trace` prints the traffic that came before it.
  var beforeOutput: (() -> Void)?

  public init(jsonMode: Bool = false, style: Style = .plain, out: TextSink = .stdout, err: TextSink = .stderr)
  {
    self.jsonMode = jsonMode
    self.style = style
    self.out = out
    self.err = err
  }

  /// A result line for the user (stdout). Ignored in `--json` mode, where `emit` carries results.
  public func print(_ line: String) {
    guard !jsonMode else { return }
    write(TerminalText.visible(line), toError: false)
  }

  /// Several result lines at once.
  public func print(lines: [String]) {
    for line in lines { print(line) }
  }

  /// One JSON object (NDJSON) in `--json` mode; nothing in text mode.
  public func emit(_ object: JSONObject) {
    guard jsonMode else { return }
    write(JSONValue.object(object).serialized(), toError: false)
  }

  /// A result in both forms: text for people, an object for `--json`.
  public func result(_ text: String, json: @autoclosure () -> JSONObject) {
    if jsonMode { emit(json()) } else { print(text) }
  }

  public func result(lines: [String], json: @autoclosure () -> JSONObject) {
    if jsonMode { emit(json()) } else { print(lines: lines) }
  }

  /// `warning: …` on stderr (an object with `"type": "warning"` in `--json` mode).
  public func warning(_ message: String) {
    if jsonMode {
      write(JSONValue.object(["type": "warning", "message": .string(message)]).serialized(), toError: false)
    } else {
      let message = TerminalText.visible(message)
      write(style.yellow("warning: ") + message, toError: true, plain: "warning: " + message)
    }
  }

  /// `note: …` on stderr (an object with `"type": "note"` in `--json` mode): worth knowing, not wrong.
  public func note(_ message: String) {
    if jsonMode {
      write(JSONValue.object(["type": "note", "message": .string(message)]).serialized(), toError: false)
    } else {
      let message = TerminalText.visible(message)
      write(style.dim("note: ") + message, toError: true, plain: "note: " + message)
    }
  }

  /// A failed command's message on stderr; `location` is `FILE:LINE` in scripts.
  public func error(_ message: String, location: String? = nil) {
    let prefix = location.map { "\($0): " } ?? "error: "
    if jsonMode {
      var object: JSONObject = ["type": "error", "message": .string(message)]
      if let location { object["location"] = .string(location) }
      write(JSONValue.object(object).serialized(), toError: false)
    } else {
      let message = TerminalText.visible(message)
      write(style.red(prefix) + message, toError: true, plain: prefix + message)
    }
  }

  /// Text that arrives on its own (a finished prompt, background progress); goes above the prompt when
  /// one is shown. Never recorded: when it comes depends on timing, so a replay could not match it.
  public func notice(_ line: String) {
    guard !muted else { return }
    beforeOutput?()
    let line = masking.apply(TerminalText.visible(line))
    if let printAbove {
      printAbove(line)
    } else {
      out.write(line + "\n")
      out.flush()
    }
  }

  /// Starts collecting printed lines (plain text, no colour); captures nest.
  public func beginCapture() { captures.append([]) }

  /// Stops the innermost capture and returns its lines.
  public func endCapture() -> [String] { captures.popLast() ?? [] }

  public var isCapturing: Bool { !captures.isEmpty }

  private func appendToCaptures(_ line: String) {
    guard !captures.isEmpty else { return }
    // A multi-line result (`json`) is one write but several transcript lines.
    let parts = line.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for i in captures.indices { captures[i] += parts }
  }

  /// Pushes buffered output to the terminal or pipe.
  public func flush() {
    out.flush()
    err.flush()
  }

  private func write(_ line: String, toError: Bool, plain: String? = nil) {
    beforeOutput?()
    let line = masking.apply(line)
    appendToCaptures(plain.map(masking.apply) ?? style.strip(line))
    if muted { return }
    // Interactive: warnings can come from background work (the catalog warm-up) while a line is being
    // edited, so they go through the editor, which puts them above the prompt and redraws it.
    if toError, let printAbove {
      out.flush()
      printAbove(line)
      return
    }
    if toError {
      out.flush()
      err.write(line + "\n")
      err.flush()
    } else {
      out.write(line + "\n")
    }
  }
}

/// A destination for text: a file descriptor, or a buffer for tests.
public struct TextSink: Sendable {
  private let writeText: @Sendable (String) -> Void
  private let flushText: @Sendable () -> Void

  public init(write: @escaping @Sendable (String) -> Void, flush: @escaping @Sendable () -> Void = {}) {
    writeText = write
    flushText = flush
  }

  public func write(_ text: String) { writeText(text) }
  public func flush() { flushText() }

  public static let stdout = TextSink(write: { writeAll(1, $0) })
  public static let stderr = TextSink(write: { writeAll(2, $0) })

  /// Writes all of `text` to a file descriptor, retrying after interrupts and partial writes.
  static func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += n
      }
    }
  }
}

/// ANSI styling that can be switched off as a whole.
public struct Style: Sendable {
  public let enabled: Bool
  public static let plain = Style(enabled: false)
  public static let color = Style(enabled: true)

  public init(enabled: Bool) { self.enabled = enabled }

  /// Colour when stdout is a terminal, `NO_COLOR` is unset and `--no-color` was not given.
  public static func detect(noColorFlag: Bool) -> Style {
    if noColorFlag || getenv("NO_COLOR").map({ $0.pointee != 0 }) == true { return .plain }
    if let term = getenv("TERM"), String(cString: term) == "dumb" { return .plain }
    return Style(enabled: isatty(1) == 1)
  }

  private func wrap(_ code: String, _ text: String) -> String {
    enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }
  public func bold(_ t: String) -> String { wrap("1", t) }
  public func dim(_ t: String) -> String { wrap("2", t) }
  public func red(_ t: String) -> String { wrap("31", t) }
  public func green(_ t: String) -> String { wrap("32", t) }
  public func yellow(_ t: String) -> String { wrap("33", t) }
  public func cyan(_ t: String) -> String { wrap("36", t) }

  /// Removes ANSI escape sequences (for recordings and width computations).
  public func strip(_ text: String) -> String {
    guard text.contains("\u{1B}") else { return text }
    var out = ""
    var inEscape = false
    for scalar in text.unicodeScalars {
      if inEscape {
        if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
        continue
      }
      if scalar == "\u{1B}" {
        inEscape = true
        continue
      }
      out.unicodeScalars.append(scalar)
    }
    return out
  }
}
