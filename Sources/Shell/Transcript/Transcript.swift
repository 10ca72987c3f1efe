/// A recorded session: its statements, each with the `#> ` output lines recorded after it.
public struct Transcript: Sendable {
  public struct Entry: Sendable {
    public let statement: Statement
    /// The recorded output, without the `#> ` prefix.
    public var expected: [String]
    /// Zero-based index of the file line where the statement's text ends.
    let lastLine: Int
  }

  public let lines: [String]
  public let entries: [Entry]

  /// Splits a script into statements and the output lines that follow each one.
  public init(text: String) throws(SyntaxError) {
    // Lines end where the parser counts them: at any line break, "\r\n" included.
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    if lines.last == "" { lines.removeLast() }
    self.lines = lines
    let statements = try Parser.parse(text)
    var entries: [Entry] = []
    for statement in statements {
      let last = statement.line - 1 + statement.source.count(where: \.isNewline)
      entries.append(Entry(statement: statement, expected: [], lastLine: last))
    }
    // Output lines belong to the statement that ends before them.
    var entryIndex = -1
    for (number, line) in lines.enumerated() {
      while entryIndex + 1 < entries.count, entries[entryIndex + 1].statement.line - 1 <= number {
        entryIndex += 1
      }
      guard entryIndex >= 0, let output = Transcript.outputText(line), number > entries[entryIndex].lastLine
      else {
        continue
      }
      entries[entryIndex].expected.append(output)
    }
    self.entries = entries
  }

  /// The text of a `#> ` line, or nil for any other line.
  static func outputText(_ line: String) -> String? {
    if line == "#>" { return "" }
    guard line.hasPrefix("#> ") else { return nil }
    return String(line.dropFirst(3))
  }

  /// The file with each statement's output lines replaced by `outputs` (same order as `entries`).
  /// Other lines — comments, blank lines, the commands themselves — stay as they were. A `#> ` line
  /// inside a command that spans lines (a JSON value) is part of the command and stays; one inside a
  /// `for` block is an old output line and goes, the block's outputs following it.
  ///
  /// With `annotations` (a replay that kept outputs anew), the old `#@ ` lines go and each statement's
  /// new ones follow its outputs.
  public func rewritten(with outputs: [[String]], annotations: [[String]]? = nil) -> String {
    var result: [String] = []
    var entryIndex = 0
    for (index, line) in lines.enumerated() {
      var keep = Transcript.outputText(line) == nil && !(annotations != nil && line.hasPrefix("#@ "))
      if !keep, entryIndex < entries.count, case .command = entries[entryIndex].statement {
        let entry = entries[entryIndex]
        keep = entry.statement.line - 1 <= index && index <= entry.lastLine
      }
      if keep { result.append(line) }
      // Several statements can end on one line (`load a.json; run`): each gets its outputs, in order.
      while entryIndex < entries.count, entries[entryIndex].lastLine == index {
        let new = entryIndex < outputs.count ? outputs[entryIndex] : entries[entryIndex].expected
        result += new.map { $0.isEmpty ? "#>" : "#> " + $0 }
        if let annotations, entryIndex < annotations.count { result += annotations[entryIndex] }
        entryIndex += 1
      }
    }
    return result.joined(separator: "\n") + "\n"
  }
}

/// Compares recorded output with fresh output, ignoring what changes from run to run (Docs/guide.md, Scripts).
public enum OutputMatcher {
  /// True when `actual` matches the recorded line: exactly after masking volatile values, or as a
  /// pattern when the recorded line ends with ` (re)` or ` (glob)`.
  public static func matches(expected: String, actual: String) -> Bool {
    if expected == actual { return true }
    if expected.hasSuffix(" (re)") {
      guard let regex = try? Regex(String(expected.dropLast(5))) else { return false }
      return (try? regex.wholeMatch(in: actual)) != nil
    }
    if expected.hasSuffix(" (glob)") {
      return Glob.matches(pattern: String(expected.dropLast(7)), actual)
    }
    return normalize(expected) == normalize(actual)
  }

  /// Replaces prompt and client ids (UUIDs and 32-hex ids), durations, timestamps and queue numbers.
  public static func normalize(_ line: String) -> String {
    var out = ""
    let chars = Array(line)
    var i = 0
    while i < chars.count {
      // UUID or 32 hex digits
      if let end = hexID(chars, i) {
        out += "<id>"
        i = end
        continue
      }
      // ISO-8601 timestamp
      if let end = timestamp(chars, i) {
        out += "<time>"
        i = end
        continue
      }
      // #27 queue numbers
      if chars[i] == "#", i + 1 < chars.count, chars[i + 1].isASCII, chars[i + 1].isNumber,
        i == 0 || !chars[i - 1].isLetter
      {
        var j = i + 1
        while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
        out += "#<n>"
        i = j
        continue
      }
      // durations: 9.8 s, 120 ms, 1.5s, 0:03
      if chars[i].isASCII, chars[i].isNumber,
        i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "_"),
        let end = duration(chars, i)
      {
        out += "<duration>"
        i = end
        continue
      }
      out.append(chars[i])
      i += 1
    }
    return out
  }

  private static func isHex(_ c: Character) -> Bool { c.isHexDigit }

  private static func hexID(_ c: [Character], _ i: Int) -> Int? {
    if i > 0, isHex(c[i - 1]) || c[i - 1] == "-" { return nil }
    // 8-4-4-4-12
    let groups = [8, 4, 4, 4, 12]
    var j = i
    var ok = true
    for (n, length) in groups.enumerated() {
      for _ in 0..<length {
        guard j < c.count, isHex(c[j]) else {
          ok = false
          break
        }
        j += 1
      }
      if !ok { break }
      if n < groups.count - 1 {
        guard j < c.count, c[j] == "-" else {
          ok = false
          break
        }
        j += 1
      }
    }
    if ok, j >= c.count || !isHex(c[j]) { return j }
    // 32 hex digits (uuid4().hex client ids)
    j = i
    while j < c.count, isHex(c[j]) { j += 1 }
    if j - i == 32 { return j }
    return nil
  }

  private static func timestamp(_ c: [Character], _ i: Int) -> Int? {
    // YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±HH:MM)?
    let shape = Array("dddd-dd-ddTdd:dd:dd")
    guard i + shape.count <= c.count else { return nil }
    for (k, s) in shape.enumerated() {
      let ch = c[i + k]
      if s == "d" {
        guard ch.isASCII, ch.isNumber else { return nil }
      } else if s == "T" {
        guard ch == "T" || ch == " " else { return nil }
      } else if ch != s {
        return nil
      }
    }
    var j = i + shape.count
    if j < c.count, c[j] == "." {
      j += 1
      while j < c.count, c[j].isNumber { j += 1 }
    }
    if j < c.count, c[j] == "Z" { j += 1 }
    return j
  }

  private static func duration(_ c: [Character], _ i: Int) -> Int? {
    var j = i
    while j < c.count, c[j].isASCII, c[j].isNumber { j += 1 }
    if j < c.count, c[j] == ".", j + 1 < c.count, c[j + 1].isNumber {
      j += 1
      while j < c.count, c[j].isASCII, c[j].isNumber { j += 1 }
    }
    var k = j
    if k < c.count, c[k] == " " { k += 1 }
    for unit in ["ms", "s", "min"] {
      let u = Array(unit)
      if k + u.count <= c.count, Array(c[k..<(k + u.count)]) == u,
        k + u.count == c.count || !(c[k + u.count].isLetter || c[k + u.count].isNumber)
      {
        return k + u.count
      }
    }
    return nil
  }
}

/// `*` and `?` wildcards for `(glob)` lines.
enum Glob {
  static func matches(pattern: String, _ text: String) -> Bool {
    let p = Array(pattern)
    let t = Array(text)
    var pi = 0
    var ti = 0
    var star = -1
    var mark = 0
    while ti < t.count {
      if pi < p.count, p[pi] == "\\", pi + 1 < p.count, p[pi + 1] == t[ti] {
        pi += 2
        ti += 1
      } else if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
        pi += 1
        ti += 1
      } else if pi < p.count, p[pi] == "*" {
        star = pi
        mark = ti
        pi += 1
      } else if star >= 0 {
        pi = star + 1
        mark += 1
        ti = mark
      } else {
        return false
      }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
  }
}
