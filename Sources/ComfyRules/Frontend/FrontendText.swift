import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A local date and time, for `%date:…%` in file name prefixes.
public struct LocalDateTime: Sendable, Equatable {
  public var year: Int
  public var month: Int
  public var day: Int
  public var hour: Int
  public var minute: Int
  public var second: Int

  public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
    self.year = year
    self.month = month
    self.day = day
    self.hour = hour
    self.minute = minute
    self.second = second
  }

  /// The machine's local time now.
  public static func now() -> LocalDateTime {
    var seconds = time(nil)
    var parts = tm()
    localtime_r(&seconds, &parts)
    return LocalDateTime(
      year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
      hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
  }
}

/// Text transformations the browser applies to widget values while it builds the API prompt.
enum FrontendText {
  /// The frontend's `processDynamicPrompt`: strips `//` and `/* */` comments, then replaces each
  /// `{a|b|c}` (nested allowed) with one option picked by `random()` in [0, 1); `\{`, `\|`, `\}` escape.
  static func processDynamicPrompt(_ source: String, random: () -> Double) -> String {
    let text = Array(stripComments(source).unicodeScalars)
    var i = 0
    return String(String.UnicodeScalarView(parse(text, &i, random: random).unicodeScalars))
      .replacingEscapedChoiceCharacters()
  }

  private static func parse(_ text: [Unicode.Scalar], _ i: inout Int, random: () -> Double) -> String {
    var result = ""
    while i < text.count {
      let c = text[i]
      i += 1
      if c == "\\" {
        result += escape(text, &i)
      } else if c == "{" {
        result += choice(text, &i, random: random)
      } else {
        result.unicodeScalars.append(c)
      }
    }
    return result
  }

  /// `'\\' + input[i++]`; at the very end JavaScript reads `undefined`, and so does this.
  private static func escape(_ text: [Unicode.Scalar], _ i: inout Int) -> String {
    defer { i += 1 }
    return i < text.count ? "\\" + String(Character(text[i])) : "\\undefined"
  }

  private static func choice(_ text: [Unicode.Scalar], _ i: inout Int, random: () -> Double) -> String {
    var options: [String] = []
    var current = ""
    var depth = 0
    while i < text.count {
      let c = text[i]
      i += 1
      if c == "\\" {
        current += escape(text, &i)
        continue
      } else if c == "{" {
        depth += 1
      } else if c == "}" {
        if depth == 0 { break }
        depth -= 1
      } else if c == "|" && depth == 0 {
        options.append(current)
        current = ""
        continue
      }
      current.unicodeScalars.append(c)
    }
    options.append(current)
    let pick = Int((random() * Double(options.count)).rounded(.down))
    let chosen = options[min(max(pick, 0), options.count - 1)]
    // The chosen option is processed again as a prompt of its own (comments and all).
    let inner = Array(stripComments(chosen).unicodeScalars)
    var j = 0
    return parse(inner, &j, random: random).replacingEscapedChoiceCharacters()
  }

  /// `str.replace(/\/\*[\s\S]*?\*\/|\/\/.*/g, '')`: block comments (shortest), then line comments up
  /// to a line break (`.` in JavaScript stops at \n, \r, U+2028 and U+2029).
  static func stripComments(_ source: String) -> String {
    let s = Array(source.unicodeScalars)
    var out = String.UnicodeScalarView()
    var i = 0
    func isLineBreak(_ c: Unicode.Scalar) -> Bool {
      c == "\n" || c == "\r" || c == "\u{2028}" || c == "\u{2029}"
    }
    while i < s.count {
      if s[i] == "/", i + 1 < s.count, s[i + 1] == "*" {
        var j = i + 2
        var closed = false
        while j + 1 < s.count {
          if s[j] == "*" && s[j + 1] == "/" {
            closed = true
            break
          }
          j += 1
        }
        if closed {
          i = j + 2
          continue
        }
      }
      if s[i] == "/", i + 1 < s.count, s[i + 1] == "/" {
        var j = i + 2
        while j < s.count, !isLineBreak(s[j]) { j += 1 }
        i = j
        continue
      }
      out.append(s[i])
      i += 1
    }
    return String(out)
  }

  /// The frontend's `applyTextReplacements` (searchAndReplace.ts): each `%…%` with two parts
  /// `%Node.widget%` becomes the widget's value on the first node whose "Node name for S&R" (else
  /// title) is `Node`, with `/?<>\:*|"` and control characters turned into `_`; one part starting with
  /// `date:` the local time in that format. Anything else (a missing node or widget) stays as written.
  static func applyTextReplacements(
    _ value: String, now: LocalDateTime, widgetValue: (_ node: String, _ widget: String) -> JSONValue??
  ) -> String {
    var result = ""
    var rest = Substring(value)
    while let open = rest.firstIndex(of: "%") {
      let afterOpen = rest.index(after: open)
      guard let close = rest[afterOpen...].firstIndex(of: "%"), close > afterOpen else {
        // No complete %…% group starts here; keep the % and look further.
        result += rest[...open]
        rest = rest[afterOpen...]
        continue
      }
      result += rest[..<open]
      let text = String(rest[afterOpen..<close])
      let match = String(rest[open...close])
      rest = rest[rest.index(after: close)...]
      let split = text.split(separator: ".", omittingEmptySubsequences: false)
      if split.count != 2 {
        if split[0].hasPrefix("date:") {
          result += formatDate(String(split[0].dropFirst(5)), now)
        } else {
          result += match
        }
        continue
      }
      switch widgetValue(String(split[0]), String(split[1])) {
      case .some(let value):
        // `((widget.value ?? '') + '')` with path and control characters made safe.
        let text = value == nil || value == .null ? "" : UIValue.jsString(value)
        result += String(
          String.UnicodeScalarView(
            text.unicodeScalars.map { c in
              "/?<>\\:*|\"".unicodeScalars.contains(c) || c.value < 0x20 || c.value == 0x7F ? "_" : c
            }))
      case .none:
        result += match
      }
    }
    result += rest
    return result
  }

  /// The frontend's `formatDate`: `yyyy`, `yy`, `MM`/`M`, `dd`/`d`, `hh`/`h`, `mm`/`m`, `ss`/`s`.
  static func formatDate(_ format: String, _ date: LocalDateTime) -> String {
    let chars = Array(format)
    var out = ""
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "y" {
        var n = 1
        while i + n < chars.count, chars[i + n] == "y", n < 4 { n += 1 }
        // The pattern `yyy?y?` needs at least "yy".
        if n == 1 {
          out.append(c)
        } else if n == 2 {
          out += String(String(date.year).suffix(2))
        } else if n == 4 {
          out += String(date.year)
        } else {
          out += String(repeating: "y", count: n)
        }
        i += n
        continue
      }
      let part: Int?
      switch c {
      case "d": part = date.day
      case "M": part = date.month
      case "h": part = date.hour
      case "m": part = date.minute
      case "s": part = date.second
      default: part = nil
      }
      if let part {
        let n = i + 1 < chars.count && chars[i + 1] == c ? 2 : 1
        let digits = String(part)
        out += String(repeating: "0", count: max(0, n - digits.count)) + digits
        i += n
        continue
      }
      out.append(c)
      i += 1
    }
    return out
  }
}

extension String {
  /// `result.replace(/\\([{}|])/g, '$1')`.
  fileprivate func replacingEscapedChoiceCharacters() -> String {
    var out = String.UnicodeScalarView()
    let s = Array(unicodeScalars)
    var i = 0
    while i < s.count {
      if s[i] == "\\", i + 1 < s.count, s[i + 1] == "{" || s[i + 1] == "}" || s[i + 1] == "|" {
        out.append(s[i + 1])
        i += 2
        continue
      }
      out.append(s[i])
      i += 1
    }
    return String(out)
  }
}

/// JavaScript's number formatting (`String(x)`, `JSON.stringify`): shortest digits, integers without
/// `.0`, exponent form below 1e-6 and from 1e21.
enum JSNumber {
  static func text(_ x: Double) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
    if x == 0 { return "0" }
    let python = Py.floatRepr(x.magnitude)
    // Split the Python text into digits and exponent, then lay them out the JavaScript way.
    var mantissa = Substring(python)
    var exponent = 0
    if let e = python.firstIndex(of: "e") {
      mantissa = python[..<e]
      exponent = Int(python[python.index(after: e)...]) ?? 0
    }
    var digits = ""
    var point = mantissa.count
    for (i, c) in mantissa.enumerated() {
      if c == "." { point = i } else { digits.append(c) }
    }
    var n = point + exponent  // value = 0.digits × 10^n
    let zeros = digits.prefix { $0 == "0" }.count
    digits.removeFirst(zeros)
    n -= zeros
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    let k = digits.count
    let sign = x < 0 ? "-" : ""
    if k <= n && n <= 21 { return sign + digits + String(repeating: "0", count: n - k) }
    if 0 < n && n <= 21 {
      let split = digits.index(digits.startIndex, offsetBy: n)
      return sign + digits[..<split] + "." + digits[split...]
    }
    if -6 < n && n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + digits }
    let e = n - 1
    let head = k == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
    return sign + head + "e" + (e < 0 ? "-" : "+") + String(abs(e))
  }
}
