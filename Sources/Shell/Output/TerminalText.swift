/// Text from files and servers made safe to print on a terminal: a control character (an escape
/// sequence, a carriage return, a bell), a C1 control or a bidirectional override could move the cursor,
/// retitle the window or hide text, so each is shown as a visible escape (`\u{1B}` as `\e`).
enum TerminalText {
  static func visible(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      guard isUnsafe(scalar) else {
        out.append(scalar)
        continue
      }
      let shown: String
      switch scalar {
      case "\u{1B}": shown = "\\e"
      case "\r": shown = "\\r"
      case "\u{07}": shown = "\\a"
      case "\u{08}": shown = "\\b"
      default:
        let hex = String(scalar.value, radix: 16, uppercase: true)
        shown =
          scalar.value <= 0xFF ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{\(hex)}"
      }
      out.append(contentsOf: shown.unicodeScalars)
    }
    return String(out)
  }

  /// C0 controls but line break and tab, DEL, C1 controls, and the bidirectional embeddings, overrides
  /// and isolates.
  static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0A, 0x09: false
    case 0x00...0x1F, 0x7F...0x9F: true
    case 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }
}
