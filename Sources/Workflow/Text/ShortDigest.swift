/// FNV-1a over 64 bits, as 16 hex digits: a short, stable name for some bytes (a cache key, a file
/// name), not a security boundary.
public enum ShortDigest {
  public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    let digits = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  public static func hex(_ text: String) -> String { hex(text.utf8) }
}
