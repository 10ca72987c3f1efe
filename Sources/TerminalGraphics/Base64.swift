/// Standard base64 (RFC 4648, with padding), which every graphics protocol here carries.
public enum Base64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  public static func encode<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var iterator = bytes.makeIterator()
    while let a = iterator.next() {
      let b = iterator.next()
      let c = iterator.next()
      let value = Int(a) << 16 | Int(b ?? 0) << 8 | Int(c ?? 0)
      out.append(alphabet[value >> 18 & 63])
      out.append(alphabet[value >> 12 & 63])
      out.append(b == nil ? UInt8(ascii: "=") : alphabet[value >> 6 & 63])
      out.append(c == nil ? UInt8(ascii: "=") : alphabet[value & 63])
    }
    return out
  }

  public static func encodeString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    String(decoding: encode(bytes), as: UTF8.self)
  }

  /// Decodes base64, ignoring padding; nil on a character outside the alphabet.
  public static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
    var lookup = [Int](repeating: -1, count: 256)
    for (i, c) in alphabet.enumerated() { lookup[Int(c)] = i }
    var out: [UInt8] = []
    var buffer = 0
    var bits = 0
    for c in text {
      if c == UInt8(ascii: "=") { break }
      let v = lookup[Int(c)]
      guard v >= 0 else { return nil }
      buffer = buffer << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(buffer >> bits & 0xFF))
      }
    }
    return out
  }
}
