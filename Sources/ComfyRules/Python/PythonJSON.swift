import Workflow

extension Py {
  /// `json.dumps(value)` with default arguments (`", "` and `": "` separators, ASCII-only escapes), as
  /// aiohttp's `json_response`, `send_json` and SaveImage's PNG metadata write it. Numbers are written
  /// as they are held: values that came through `roundTrip` are already in Python's form.
  package static func jsonDumps(_ value: JSONValue) -> String {
    var out = ""
    out.reserveCapacity(128)
    appendJSON(value, to: &out)
    return out
  }

  package static func appendJSON(_ value: JSONValue, to out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += n.text
    case .string(let s): appendJSONString(s, to: &out)
    case .array(let elements):
      out += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { out += ", " }
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
  package static func appendJSONString(_ string: String, to out: inout String) {
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
    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
  }
}
