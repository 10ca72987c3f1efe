/// Turns terminal input bytes into characters for libedit. The LineEditor reads stdin itself
/// (to also watch its wake-up pipe), so it decodes UTF-8 here: independent of the locale, and a
/// character split across two reads waits for its remaining bytes.
struct UTF8InputDecoder: Sendable {
  private var bytes: [UInt8] = []
  private var position = 0

  /// Whether bytes are waiting (possibly an incomplete character).
  var hasPendingBytes: Bool { position < bytes.count }

  mutating func feed(_ input: some Sequence<UInt8>) {
    if position > 0 && position == bytes.count {
      bytes.removeAll(keepingCapacity: true)
      position = 0
    }
    bytes.append(contentsOf: input)
  }

  /// Forgets pending input (Ctrl-C discards type-ahead, as the terminal driver does).
  mutating func reset() {
    bytes.removeAll(keepingCapacity: true)
    position = 0
  }

  /// The next complete character, or nil when more bytes are needed. Malformed input yields
  /// U+FFFD and decoding resumes at the next byte that can start a character.
  mutating func next() -> Unicode.Scalar? {
    guard position < bytes.count else { return nil }
    let lead = bytes[position]
    let length: Int
    let initial: UInt32
    switch lead {
    case 0x00...0x7F:
      position += 1
      return Unicode.Scalar(lead)
    case 0xC2...0xDF:
      (length, initial) = (2, UInt32(lead & 0x1F))
    case 0xE0...0xEF:
      (length, initial) = (3, UInt32(lead & 0x0F))
    case 0xF0...0xF4:
      (length, initial) = (4, UInt32(lead & 0x07))
    default:
      position += 1
      return Self.replacement
    }
    var value = initial
    var offset = 1
    while offset < length {
      guard position + offset < bytes.count else { return nil }
      let byte = bytes[position + offset]
      guard byte & 0xC0 == 0x80, Self.allowed(second: byte, after: lead, at: offset) else {
        position += offset
        return Self.replacement
      }
      value = value << 6 | UInt32(byte & 0x3F)
      offset += 1
    }
    position += length
    return Unicode.Scalar(value) ?? Self.replacement
  }

  private static let replacement: Unicode.Scalar = "\u{FFFD}"

  /// Rejects overlong forms, surrogates and values past U+10FFFF at their second byte.
  private static func allowed(second byte: UInt8, after lead: UInt8, at offset: Int) -> Bool {
    guard offset == 1 else { return true }
    switch lead {
    case 0xE0: return byte >= 0xA0
    case 0xED: return byte <= 0x9F
    case 0xF0: return byte >= 0x90
    case 0xF4: return byte <= 0x8F
    default: return true
    }
  }
}
