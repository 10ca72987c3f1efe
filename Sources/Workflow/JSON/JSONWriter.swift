/// How JSON text is laid out when written.
public enum JSONLayout: Sendable, Equatable {
  /// No white space at all, as `JSON.stringify(value)` writes request bodies.
  case compact
  /// One member or element per line, indented by this many spaces, as `JSON.stringify(value, null, n)`
  /// writes ComfyUI's "Export (API)" files (n = 2).
  case indented(Int)
}

extension JSONValue {
  /// Writes the value; numbers keep their text, strings are escaped as JavaScript's `JSON.stringify` does.
  public func serialized(_ layout: JSONLayout = .compact) -> String {
    var writer = JSONWriter(layout: layout)
    writer.write(self, level: 0)
    return writer.output
  }
}

struct JSONWriter {
  let layout: JSONLayout
  var output = ""

  init(layout: JSONLayout) {
    self.layout = layout
    output.reserveCapacity(256)
  }

  mutating func write(_ value: JSONValue, level: Int) {
    switch value {
    case .null: output += "null"
    case .bool(let b): output += b ? "true" : "false"
    case .number(let n): output += n.text
    case .string(let s): JSONWriter.appendQuoted(s, to: &output)
    case .array(let elements):
      if elements.isEmpty {
        output += "[]"
        return
      }
      output += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { output += "," }
        newline(level + 1)
        write(element, level: level + 1)
      }
      newline(level)
      output += "]"
    case .object(let members):
      if members.isEmpty {
        output += "{}"
        return
      }
      output += "{"
      var first = true
      for (key, member) in members {
        if !first { output += "," }
        first = false
        newline(level + 1)
        JSONWriter.appendQuoted(key, to: &output)
        output += layout == .compact ? ":" : ": "
        write(member, level: level + 1)
      }
      newline(level)
      output += "}"
    }
  }

  private mutating func newline(_ level: Int) {
    guard case .indented(let width) = layout else { return }
    output += "\n"
    output += String(repeating: " ", count: width * level)
  }

  /// Escapes `"`, `\` and control characters only; other text (non-ASCII included) is written as is.
  static func appendQuoted(_ string: String, to output: inout String) {
    output += "\""
    let utf8 = string.utf8
    if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
      output += string
      output += "\""
      return
    }
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case "\u{08}": output += "\\b"
      case "\u{0C}": output += "\\f"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          output.unicodeScalars.append(scalar)
        }
      }
    }
    output += "\""
  }
}
