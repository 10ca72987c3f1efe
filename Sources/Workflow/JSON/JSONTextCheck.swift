/// Text in a JSON file that a Swift string cannot hold as written: bytes that are not UTF-8, and
/// `\uD800`…`\uDFFF` escapes that are not a surrogate pair. Both read as U+FFFD, so a save would
/// change them; the shell says so on load.
public struct LossyJSONText: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case invalidUTF8
    case loneSurrogate
  }

  public let kind: Kind
  /// Where the first one is (1-based).
  public let line: Int
  public let column: Int
  /// How many there are in all.
  public let count: Int

  /// The first place where `bytes` hold lossy text, or nil when every string survives a save.
  public static func find(in bytes: [UInt8]) -> LossyJSONText? {
    var first: (Kind, Int)?
    var count = 0
    func found(_ kind: Kind, at offset: Int) {
      count += 1
      if first == nil { first = (kind, offset) }
    }
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
        if bytes[index + 1] == UInt8(ascii: "u"), let code = hex4(bytes, index + 2) {
          if (0xD800...0xDBFF).contains(code) {
            if index + 12 <= bytes.count, bytes[index + 6] == UInt8(ascii: "\\"),
              bytes[index + 7] == UInt8(ascii: "u"), let low = hex4(bytes, index + 8),
              (0xDC00...0xDFFF).contains(low)
            {
              index += 12
              continue
            }
            found(.loneSurrogate, at: index)
          } else if (0xDC00...0xDFFF).contains(code) {
            found(.loneSurrogate, at: index)
          }
          index += 6
          continue
        }
        index += 2
        continue
      }
      if byte < 0x80 {
        index += 1
        index = skipPlainASCII(bytes, from: index)
        continue
      }
      let length = utf8Length(bytes, index)
      if length == 0 {
        found(.invalidUTF8, at: index)
        index += 1
      } else {
        index += length
      }
    }
    guard let (kind, offset) = first else { return nil }
    var line = 1
    var lineStart = 0
    for i in 0..<offset where bytes[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
    return LossyJSONText(kind: kind, line: line, column: column, count: count)
  }

  /// The first offset at or after `start` of a byte that is not ASCII or is a backslash, looking at eight
  /// bytes at a time (most of a workflow is plain ASCII).
  static func skipPlainASCII(_ bytes: [UInt8], from start: Int) -> Int {
    bytes.withUnsafeBytes { raw in
      var index = start
      let high: UInt64 = 0x8080_8080_8080_8080
      let ones: UInt64 = 0x0101_0101_0101_0101
      let backslashes: UInt64 = 0x5C5C_5C5C_5C5C_5C5C
      while index + 8 <= raw.count {
        let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        let x = word ^ backslashes
        // A byte with its top bit set, or one equal to a backslash (a zero byte of `x`).
        if word & high != 0 || (x &- ones) & ~x & high != 0 { break }
        index += 8
      }
      return index
    }
  }

  private static func hex4(_ bytes: [UInt8], _ start: Int) -> UInt32? {
    guard start + 4 <= bytes.count else { return nil }
    var value: UInt32 = 0
    for byte in bytes[start..<(start + 4)] {
      guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
      value = value << 4 | UInt32(digit)
    }
    return value
  }

  /// The length of the well-formed UTF-8 sequence at `index`, or 0 when it is not one.
  private static func utf8Length(_ bytes: [UInt8], _ index: Int) -> Int {
    let lead = bytes[index]
    let length: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: length = 3; high = 0x9F
    case 0xF0: length = 4; low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; high = 0x8F
    default: return 0
    }
    guard index + length <= bytes.count else { return 0 }
    for i in 1..<length {
      let byte = bytes[index + i]
      if i == 1 {
        guard (low...high).contains(byte) else { return 0 }
      } else {
        guard (0x80...0xBF).contains(byte) else { return 0 }
      }
    }
    return length
  }
}
