/// A small DEFLATE decoder (RFC 1951: stored, fixed and dynamic Huffman blocks): PNG pixels and
/// compressed PNG text chunks.
public enum Inflate {
  /// The payload of a zlib stream (RFC 1950); nil when it is malformed or would exceed `limit` bytes.
  public static func zlib(_ data: [UInt8], limit: Int) -> [UInt8]? {
    guard data.count >= 2, data[0] & 0x0F == 8, (Int(data[0]) << 8 | Int(data[1])) % 31 == 0,
      data[1] & 0x20 == 0
    else { return nil }
    var reader = BitReader(bytes: data, position: 2)
    return inflate(&reader, limit: limit)
  }

  private struct BitReader {
    let bytes: [UInt8]
    var position: Int
    var buffer = 0
    var count = 0

    mutating func bits(_ n: Int) -> Int? {
      while count < n {
        guard position < bytes.count else { return nil }
        buffer |= Int(bytes[position]) << count
        position += 1
        count += 8
      }
      let value = buffer & ((1 << n) - 1)
      buffer >>= n
      count -= n
      return value
    }

    mutating func alignToByte() {
      buffer = 0
      count = 0
    }
  }

  /// A canonical Huffman code: how many codes of each length, and the symbols in code order.
  private struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int]

    init?(lengths: [Int]) {
      for length in lengths { counts[length] += 1 }
      counts[0] = 0
      var left = 1
      for length in 1..<16 {
        left = left * 2 - counts[length]
        if left < 0 { return nil }  // over-subscribed
      }
      var offsets = [Int](repeating: 0, count: 16)
      for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
      symbols = [Int](repeating: 0, count: lengths.count)
      for (symbol, length) in lengths.enumerated() where length != 0 {
        symbols[offsets[length]] = symbol
        offsets[length] += 1
      }
    }

    func decode(_ reader: inout BitReader) -> Int? {
      var code = 0
      var first = 0
      var index = 0
      for length in 1..<16 {
        guard let bit = reader.bits(1) else { return nil }
        code |= bit
        let count = counts[length]
        if code - count < first { return symbols[index + (code - first)] }
        index += count
        first = (first + count) << 1
        code <<= 1
      }
      return nil
    }
  }

  private static let lengthBase = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
  ]
  private static let lengthExtra = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  private static let distanceBase = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097,
    6145, 8193, 12289, 16385, 24577,
  ]
  private static let distanceExtra = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]
  private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  private static let fixed: (Huffman, Huffman)? = {
    var lengths = [Int](repeating: 8, count: 288)
    for i in 144..<256 { lengths[i] = 9 }
    for i in 256..<280 { lengths[i] = 7 }
    guard let literals = Huffman(lengths: lengths),
      let distances = Huffman(lengths: [Int](repeating: 5, count: 30))
    else { return nil }
    return (literals, distances)
  }()

  private static func inflate(_ reader: inout BitReader, limit: Int) -> [UInt8]? {
    var out: [UInt8] = []
    while true {
      guard let last = reader.bits(1), let type = reader.bits(2) else { return nil }
      switch type {
      case 0:
        reader.alignToByte()
        let p = reader.position
        guard p + 4 <= reader.bytes.count else { return nil }
        let length = Int(reader.bytes[p]) | Int(reader.bytes[p + 1]) << 8
        let check = Int(reader.bytes[p + 2]) | Int(reader.bytes[p + 3]) << 8
        guard length == ~check & 0xFFFF, p + 4 + length <= reader.bytes.count, out.count + length <= limit
        else {
          return nil
        }
        out += reader.bytes[(p + 4)..<(p + 4 + length)]
        reader.position = p + 4 + length
      case 1:
        guard let (literals, distances) = fixed, decodeBlock(&reader, literals, distances, &out, limit) else {
          return nil
        }
      case 2:
        guard let (literals, distances) = dynamicTables(&reader),
          decodeBlock(&reader, literals, distances, &out, limit)
        else { return nil }
      default:
        return nil
      }
      if last == 1 { return out }
    }
  }

  private static func dynamicTables(_ reader: inout BitReader) -> (Huffman, Huffman)? {
    guard let hlit = reader.bits(5), let hdist = reader.bits(5), let hclen = reader.bits(4) else {
      return nil
    }
    let literalCount = hlit + 257
    let distanceCount = hdist + 1
    guard literalCount <= 286, distanceCount <= 30 else { return nil }
    var codeLengths = [Int](repeating: 0, count: 19)
    for i in 0..<(hclen + 4) {
      guard let value = reader.bits(3) else { return nil }
      codeLengths[codeLengthOrder[i]] = value
    }
    guard let lengthCode = Huffman(lengths: codeLengths) else { return nil }
    var lengths: [Int] = []
    while lengths.count < literalCount + distanceCount {
      guard let symbol = lengthCode.decode(&reader) else { return nil }
      switch symbol {
      case 0..<16: lengths.append(symbol)
      case 16:
        guard let previous = lengths.last, let repeatCount = reader.bits(2) else { return nil }
        lengths += Array(repeating: previous, count: 3 + repeatCount)
      case 17:
        guard let repeatCount = reader.bits(3) else { return nil }
        lengths += Array(repeating: 0, count: 3 + repeatCount)
      default:
        guard let repeatCount = reader.bits(7) else { return nil }
        lengths += Array(repeating: 0, count: 11 + repeatCount)
      }
    }
    guard lengths.count == literalCount + distanceCount, lengths[256] != 0,
      let literals = Huffman(lengths: Array(lengths[0..<literalCount])),
      let distances = Huffman(lengths: Array(lengths[literalCount...]))
    else { return nil }
    return (literals, distances)
  }

  private static func decodeBlock(
    _ reader: inout BitReader, _ literals: Huffman, _ distances: Huffman, _ out: inout [UInt8], _ limit: Int
  ) -> Bool {
    while true {
      guard let symbol = literals.decode(&reader) else { return false }
      if symbol < 256 {
        guard out.count < limit else { return false }
        out.append(UInt8(symbol))
        continue
      }
      if symbol == 256 { return true }
      let index = symbol - 257
      guard index < lengthBase.count, let extra = reader.bits(lengthExtra[index]),
        let distanceSymbol = distances.decode(&reader), distanceSymbol < distanceBase.count,
        let distanceBits = reader.bits(distanceExtra[distanceSymbol])
      else { return false }
      let length = lengthBase[index] + extra
      let distance = distanceBase[distanceSymbol] + distanceBits
      guard distance <= out.count, out.count + length <= limit else { return false }
      let start = out.count - distance
      for i in 0..<length { out.append(out[start + i]) }
    }
  }
}
