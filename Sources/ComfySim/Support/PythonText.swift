import Workflow

/// Text the way ComfyUI's Python writes it. aiohttp's `json_response`, `send_json` and SaveImage's
/// PNG metadata all use `json.dumps` defaults (`", "` and `": "` separators, ASCII-only escapes), and
/// `execution_error.current_inputs` holds Python `str()` of dicts; reproducing both keeps the
/// simulator's bytes close to a real server's (Content-Length, PNG chunk text).
enum PythonText {
  /// `json.dumps(value)` with default arguments.
  static func json(_ value: JSONValue) -> String {
    var out = ""
    out.reserveCapacity(128)
    appendJSON(value, to: &out)
    return out
  }

  static func appendJSON(_ value: JSONValue, to out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += n.text
    case .string(let s): appendJSONString(s, to: &out)
    case .array(let elements):
      out += "["
      var first = true
      for element in elements {
        if !first { out += ", " }
        first = false
        appendJSON(element, to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      var first = true
      for (key, member) in members {
        if !first { out += ", " }
        first = false
        appendJSONString(key, to: &out)
        out += ": "
        appendJSON(member, to: &out)
      }
      out += "}"
    }
  }

  /// `json.dumps` string escaping with `ensure_ascii=True`: everything outside space…`~` is escaped.
  static func appendJSONString(_ string: String, to out: inout String) {
    out += "\""
    if string.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
      out += string
      out += "\""
      return
    }
    for scalar in string.unicodeScalars {
      switch scalar.value {
      case 0x22: out += "\\\""
      case 0x5C: out += "\\\\"
      case 0x0A: out += "\\n"
      case 0x0D: out += "\\r"
      case 0x09: out += "\\t"
      case 0x08: out += "\\b"
      case 0x0C: out += "\\f"
      case 0x20..<0x7F: out.unicodeScalars.append(scalar)
      case 0..<0x10000: appendUEscape(scalar.value, to: &out)
      default:
        let v = scalar.value - 0x10000
        appendUEscape(0xD800 + (v >> 10), to: &out)
        appendUEscape(0xDC00 + (v & 0x3FF), to: &out)
      }
    }
    out += "\""
  }

  private static func appendUEscape(_ value: UInt32, to out: inout String) {
    let hex = String(value, radix: 16)
    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
  }

  /// Python's `str()` of a value decoded from JSON: dicts and lists print with `repr` of their
  /// members (`{'a': [1, 'x'], 'b': None}`), a top-level string prints as itself.
  static func str(_ value: JSONValue) -> String {
    if case .string(let s) = value { return s }
    return repr(value)
  }

  static func repr(_ value: JSONValue) -> String {
    var out = ""
    appendRepr(value, to: &out)
    return out
  }

  private static func appendRepr(_ value: JSONValue, to out: inout String) {
    switch value {
    case .null: out += "None"
    case .bool(let b): out += b ? "True" : "False"
    case .number(let n): out += pythonNumberText(n)
    case .string(let s): out += reprString(s)
    case .array(let elements):
      out += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { out += ", " }
        appendRepr(element, to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      var first = true
      for (key, member) in members {
        if !first { out += ", " }
        first = false
        out += reprString(key)
        out += ": "
        appendRepr(member, to: &out)
      }
      out += "}"
    }
  }

  /// How Python prints a number `json.loads` produced: ints as written, floats in `repr` form.
  static func pythonNumberText(_ number: JSONNumber) -> String {
    if number.isInteger { return number.text }
    return floatRepr(number.doubleValue)
  }

  /// Python's `repr(float)`: shortest round-trip digits, always with a `.0` or an exponent.
  static func floatRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let text = "\(value)"
    if text.contains(".") || text.contains("e") { return text }
    return text + ".0"
  }

  /// Python's `repr(str)`: single quotes unless the text has a `'` and no `"`.
  static func reprString(_ s: String) -> String {
    let useDouble = s.contains("'") && !s.contains("\"")
    let quote: Character = useDouble ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if Character(scalar) == quote {
          out += "\\" + String(quote)
        } else if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) {
          let hex = String(scalar.value, radix: 16)
          out += "\\x" + (hex.count < 2 ? "0" : "") + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out.append(quote)
    return out
  }
}
