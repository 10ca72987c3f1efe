/// A DEFLATE decoder (RFC 1951: stored, fixed and dynamic Huffman blocks) for PNG pixels and
/// compressed PNG text; Huffman codes are decoded through one 15-bit lookup table per block.
public enum Inflate {
  /// Why a stream did not inflate.
  public enum Failure: Error, Sendable, Equatable {
    case badHeader
    /// The input ended before the final block; `produced` bytes were decoded so far.
    case truncated(produced: Int)
    case corrupt(String)
    /// The output would pass the caller's limit.
    case limitExceeded(Int)
  }

  /// The payload of a zlib stream (RFC 1950); nil when it is malformed or would exceed `limit` bytes.
  public static func zlib(_ data: [UInt8], limit: Int) -> [UInt8]? {
    try? decompressZlib(data, limit: limit)
  }

  /// The payload of a zlib stream, or why not (the Adler-32 trailer is not required: many PNG
  /// writers get it right, but a missing one costs no pixel).
  public static func decompressZlib(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
    guard data.count >= 2, data[0] & 0x0F == 8, (Int(data[0]) << 8 | Int(data[1])) % 31 == 0,
      data[1] & 0x20 == 0
    else { throw .badHeader }
    return try decompressRaw(data, from: 2, limit: limit)
  }

  /// A raw DEFLATE stream starting at `start` (WEBP's lossless bitstream does not use this; zlib does).
  public static func decompressRaw(
    _ data: [UInt8], from start: Int = 0, limit: Int
  ) throws(Failure) -> [UInt8] {
    var reader = BitReader(bytes: data, position: start)
    var out: [UInt8] = []
    out.reserveCapacity(min(limit, max(1024, data.count * 4)))
    do {
      try inflate(&reader, &out, limit: limit)
    } catch .truncated {
      throw .truncated(produced: out.count)
    }
    return out
  }

  struct BitReader {
    let bytes: [UInt8]
    var position: Int
    var buffer: UInt64 = 0
    var count = 0
    /// Zero bits appended past the end so a peek never fails; reading them is an error.
    var padding = 0

    init(bytes: [UInt8], position: Int) {
      self.bytes = bytes
      self.position = position
    }

    @inline(__always) mutating func refill() {
      while count <= 56 {
        if position < bytes.count {
          buffer |= UInt64(bytes[position]) << UInt64(count)
          position += 1
        } else {
          padding += 8
        }
        count += 8
      }
    }

    @inline(__always) mutating func peek(_ n: Int) -> Int {
      if count < n { refill() }
      return Int(truncatingIfNeeded: buffer & ((1 << UInt64(n)) - 1))
    }

    @inline(__always) mutating func consume(_ n: Int) throws(Failure) {
      buffer >>= UInt64(n)
      count -= n
      if count < padding { throw .truncated(produced: -1) }
    }

    @inline(__always) mutating func bits(_ n: Int) throws(Failure) -> Int {
      guard n > 0 else { return 0 }
      let value = peek(n)
      try consume(n)
      return value
    }

    mutating func alignToByte() {
      let drop = count % 8
      buffer >>= UInt64(drop)
      count -= drop
    }

    /// Bytes at the reader's position after `alignToByte`, returning buffered bytes first.
    mutating func takeBytes(_ n: Int, into out: inout [UInt8]) throws(Failure) {
      var left = n
      while left > 0 && count >= 8 {
        guard count - 8 >= padding else { throw .truncated(produced: out.count) }
        out.append(UInt8(truncatingIfNeeded: buffer))
        buffer >>= 8
        count -= 8
        left -= 1
      }
      guard position + left <= bytes.count else { throw .truncated(produced: out.count) }
      out += bytes[position..<(position + left)]
      position += left
    }
  }

  /// A canonical Huffman code as a table indexed by the next 15 input bits (LSB-first, as DEFLATE
  /// packs codes); each entry is `symbol << 4 | length`, 0 for bit patterns no code starts with.
  struct Huffman {
    var table: [UInt16]

    init(lengths: [Int]) throws(Failure) {
      var counts = [Int](repeating: 0, count: 16)
      for length in lengths { counts[length] += 1 }
      counts[0] = 0
      var left = 1
      for length in 1..<16 {
        left = left * 2 - counts[length]
        if left < 0 { throw .corrupt("over-subscribed Huffman code") }
      }
      var next = [Int](repeating: 0, count: 16)
      var code = 0
      for length in 1..<16 {
        code = (code + counts[length - 1]) << 1
        next[length] = code
      }
      // counts[0] was zeroed, so the first step starts at 0 as RFC 1951 §3.2.2 does.
      table = [UInt16](repeating: 0, count: 1 << 15)
      for (symbol, length) in lengths.enumerated() where length != 0 {
        let code = next[length]
        next[length] += 1
        var reversed = 0
        for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
        let entry = UInt16(symbol << 4 | length)
        var index = reversed
        while index < 1 << 15 {
          table[index] = entry
          index += 1 << length
        }
      }
    }

    @inline(__always) func decode(_ reader: inout BitReader) throws(Failure) -> Int {
      let entry = Int(table[reader.peek(15)])
      guard entry != 0 else { throw .corrupt("invalid Huffman code") }
      try reader.consume(entry & 15)
      return entry >> 4
    }
  }

  static let lengthBase = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
    227, 258,
  ]
  static let lengthExtra = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  static let distanceBase = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577,
  ]
  static let distanceExtra = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]
  static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  static let fixedLiteralLengths: [Int] = (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 }

  private static func inflate(_ reader: inout BitReader, _ out: inout [UInt8], limit: Int) throws(Failure) {
    var fixed: (Huffman, Huffman)?
    while true {
      let last = try reader.bits(1)
      let type = try reader.bits(2)
      switch type {
      case 0:
        reader.alignToByte()
        let length = try reader.bits(16)
        let check = try reader.bits(16)
        guard length == ~check & 0xFFFF else { throw .corrupt("stored block length check") }
        guard out.count + length <= limit else { throw .limitExceeded(limit) }
        try reader.takeBytes(length, into: &out)
      case 1:
        if fixed == nil {
          fixed = (
            try Huffman(lengths: fixedLiteralLengths), try Huffman(lengths: [Int](repeating: 5, count: 30))
          )
        }
        guard let (literals, distances) = fixed else { continue }
        try decodeBlock(&reader, literals, distances, &out, limit)
      case 2:
        let (literals, distances) = try dynamicTables(&reader)
        try decodeBlock(&reader, literals, distances, &out, limit)
      default:
        throw .corrupt("block type 3")
      }
      if last == 1 { return }
    }
  }

  private static func dynamicTables(_ reader: inout BitReader) throws(Failure) -> (Huffman, Huffman) {
    let literalCount = try reader.bits(5) + 257
    let distanceCount = try reader.bits(5) + 1
    let lengthCodes = try reader.bits(4) + 4
    guard literalCount <= 286, distanceCount <= 30 else { throw .corrupt("too many codes") }
    var codeLengths = [Int](repeating: 0, count: 19)
    for i in 0..<lengthCodes { codeLengths[codeLengthOrder[i]] = try reader.bits(3) }
    let lengthCode = try Huffman(lengths: codeLengths)
    var lengths: [Int] = []
    lengths.reserveCapacity(literalCount + distanceCount + 138)
    while lengths.count < literalCount + distanceCount {
      let symbol = try lengthCode.decode(&reader)
      switch symbol {
      case 0..<16: lengths.append(symbol)
      case 16:
        guard let previous = lengths.last else { throw .corrupt("repeat with no previous length") }
        lengths += Array(repeating: previous, count: 3 + (try reader.bits(2)))
      case 17: lengths += Array(repeating: 0, count: 3 + (try reader.bits(3)))
      default: lengths += Array(repeating: 0, count: 11 + (try reader.bits(7)))
      }
    }
    guard lengths.count == literalCount + distanceCount, lengths[256] != 0 else {
      throw .corrupt("code lengths overrun")
    }
    return (
      try Huffman(lengths: Array(lengths[0..<literalCount])),
      try Huffman(lengths: Array(lengths[literalCount...]))
    )
  }

  private static func decodeBlock(
    _ reader: inout BitReader, _ literals: Huffman, _ distances: Huffman, _ out: inout [UInt8], _ limit: Int
  ) throws(Failure) {
    while true {
      let symbol = try literals.decode(&reader)
      if symbol < 256 {
        guard out.count < limit else { throw .limitExceeded(limit) }
        out.append(UInt8(symbol))
        continue
      }
      if symbol == 256 { return }
      let index = symbol - 257
      guard index < lengthBase.count else { throw .corrupt("length symbol \(symbol)") }
      let length = lengthBase[index] + (try reader.bits(lengthExtra[index]))
      let distanceSymbol = try distances.decode(&reader)
      guard distanceSymbol < distanceBase.count else { throw .corrupt("distance symbol \(distanceSymbol)") }
      let distance = distanceBase[distanceSymbol] + (try reader.bits(distanceExtra[distanceSymbol]))
      guard distance <= out.count else { throw .corrupt("distance \(distance) before the start") }
      guard out.count + length <= limit else { throw .limitExceeded(limit) }
      // Element by element: a slice of `out` appended to itself would copy the whole buffer.
      let start = out.count - distance
      for i in 0..<length { out.append(out[start + i]) }
    }
  }
}
