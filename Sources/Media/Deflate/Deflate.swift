/// A DEFLATE compressor (RFC 1951): LZ77 over a 32 KB window with hash chains and one-step lazy
/// matching, then per block the smallest of dynamic Huffman, fixed Huffman and stored. It exists so
/// that images sent to a terminal (kitty, iTerm2) are a fraction of their raw size.
public enum Deflate {
  /// How hard to look for matches: more candidates per position find longer matches, slower.
  public struct Effort: Sendable, Equatable {
    public var chainLength: Int
    public var lazy: Bool
    public static let fast = Effort(chainLength: 8, lazy: false)
    public static let standard = Effort(chainLength: 48, lazy: true)
    public init(chainLength: Int, lazy: Bool) {
      self.chainLength = chainLength
      self.lazy = lazy
    }
  }

  /// A zlib stream (RFC 1950) of `data`.
  public static func zlib(_ data: [UInt8], effort: Effort = .standard) -> [UInt8] {
    var writer = BitWriter()
    writer.bytes = [0x78, 0x9C]
    compress(data, effort: effort, into: &writer)
    writer.flush()
    BigEndian.appendUInt32(&writer.bytes, PNGEncoder.adler32(data))
    return writer.bytes
  }

  /// A raw DEFLATE stream of `data`.
  public static func compress(_ data: [UInt8], effort: Effort = .standard) -> [UInt8] {
    var writer = BitWriter()
    compress(data, effort: effort, into: &writer)
    writer.flush()
    return writer.bytes
  }

  struct BitWriter {
    var bytes: [UInt8] = []
    var buffer: UInt64 = 0
    var count = 0

    @inline(__always) mutating func write(_ value: Int, _ n: Int) {
      buffer |= UInt64(truncatingIfNeeded: value) << UInt64(count)
      count += n
      while count >= 8 {
        bytes.append(UInt8(truncatingIfNeeded: buffer))
        buffer >>= 8
        count -= 8
      }
    }

    mutating func flush() {
      if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
      buffer = 0
      count = 0
    }
  }

  /// A literal (< 256) or a match: bit 31 set, length in bits 16–24, distance in bits 0–15.
  typealias Token = UInt32
  static let matchFlag: UInt32 = 1 << 31

  private static let windowSize = 32768
  private static let hashBits = 15
  private static let minimumMatch = 3
  private static let maximumMatch = 258
  private static let tokensPerBlock = 1 << 16

  private static func compress(_ data: [UInt8], effort: Effort, into writer: inout BitWriter) {
    if data.isEmpty {
      writeFixedBlock([], last: true, into: &writer)
      return
    }
    var tokens: [Token] = []
    tokens.reserveCapacity(tokensPerBlock + 2)
    var blockStart = 0
    var head = [Int32](repeating: -1, count: 1 << hashBits)
    var previous = [Int32](repeating: -1, count: windowSize)
    let count = data.count

    data.withUnsafeBufferPointer { input in
      @inline(__always) func hash(_ i: Int) -> Int {
        let value = Int(input[i]) << 16 | Int(input[i + 1]) << 8 | Int(input[i + 2])
        return (value &* 0x9E37_79B1) >> 17 & ((1 << hashBits) - 1)
      }
      @inline(__always) func insert(_ i: Int) {
        guard i + 2 < count else { return }
        let h = hash(i)
        previous[i & (windowSize - 1)] = head[h]
        head[h] = Int32(i)
      }
      /// The longest earlier match at `i`: (length, distance), length 0 when none reaches 3.
      func longestMatch(_ i: Int) -> (Int, Int) {
        guard i + 2 < count else { return (0, 0) }
        var candidate = Int(head[hash(i)])
        var best = 0
        var bestDistance = 0
        let limit = min(maximumMatch, count - i)
        var chain = effort.chainLength
        while candidate >= 0, i - candidate <= windowSize, chain > 0 {
          if candidate < i, input[candidate + best] == input[i + best] || best == 0 {
            var length = 0
            while length < limit && input[candidate + length] == input[i + length] { length += 1 }
            if length > best {
              best = length
              bestDistance = i - candidate
              if length == limit { break }
            }
          }
          let next = Int(previous[candidate & (windowSize - 1)])
          if next >= candidate { break }
          candidate = next
          chain -= 1
        }
        return best >= minimumMatch ? (best, bestDistance) : (0, 0)
      }

      var i = 0
      while i < count {
        var match = longestMatch(i)
        if match.0 > 0, effort.lazy, match.0 < 32, i + 1 < count {
          insert(i)
          let next = longestMatch(i + 1)
          if next.0 > match.0 {
            tokens.append(Token(input[i]))
            i += 1
            match = next
            // The position was already inserted above; the match below starts at the new i.
            tokens.append(matchFlag | UInt32(match.0) << 16 | UInt32(match.1))
            for j in i..<(i + match.0) { insert(j) }
            i += match.0
            flushIfFull(&tokens, data, &blockStart, i, &writer)
            continue
          }
          tokens.append(matchFlag | UInt32(match.0) << 16 | UInt32(match.1))
          for j in (i + 1)..<(i + match.0) { insert(j) }
          i += match.0
        } else if match.0 > 0 {
          tokens.append(matchFlag | UInt32(match.0) << 16 | UInt32(match.1))
          for j in i..<(i + match.0) { insert(j) }
          i += match.0
        } else {
          insert(i)
          tokens.append(Token(input[i]))
          i += 1
        }
        flushIfFull(&tokens, data, &blockStart, i, &writer)
      }
    }
    writeBlock(tokens, data[blockStart..<count], last: true, into: &writer)
  }

  private static func flushIfFull(
    _ tokens: inout [Token], _ data: [UInt8], _ blockStart: inout Int, _ position: Int,
    _ writer: inout BitWriter
  ) {
    guard tokens.count >= tokensPerBlock, position < data.count else { return }
    writeBlock(tokens, data[blockStart..<position], last: false, into: &writer)
    tokens.removeAll(keepingCapacity: true)
    blockStart = position
  }

  // MARK: - Blocks

  @inline(__always) static func lengthSymbol(_ length: Int) -> (symbol: Int, extraBits: Int, extra: Int) {
    var index = Inflate.lengthBase.count - 1
    if length < 258 {
      index = lengthSymbolIndex[length]
    }
    return (257 + index, Inflate.lengthExtra[index], length - Inflate.lengthBase[index])
  }

  private static let lengthSymbolIndex: [Int] = {
    var table = [Int](repeating: 0, count: 259)
    for length in 3...258 {
      var index = 0
      while index + 1 < Inflate.lengthBase.count - 1 && Inflate.lengthBase[index + 1] <= length { index += 1 }
      table[length] = length == 258 ? 28 : index
    }
    return table
  }()

  @inline(__always) static func distanceSymbol(_ distance: Int) -> (symbol: Int, extraBits: Int, extra: Int) {
    var index = 0
    if distance <= 256 {
      index = distanceSymbolSmall[distance]
    } else {
      index = distanceSymbolLarge[(distance - 1) >> 7]
    }
    return (index, Inflate.distanceExtra[index], distance - Inflate.distanceBase[index])
  }

  private static func distanceIndex(_ distance: Int) -> Int {
    var index = 0
    while index + 1 < Inflate.distanceBase.count && Inflate.distanceBase[index + 1] <= distance { index += 1 }
    return index
  }
  private static let distanceSymbolSmall: [Int] = (0...256).map { $0 == 0 ? 0 : distanceIndex($0) }
  private static let distanceSymbolLarge: [Int] = (0..<256).map { distanceIndex($0 << 7 + 1) }

  private static func writeBlock(
    _ tokens: [Token], _ raw: ArraySlice<UInt8>, last: Bool, into writer: inout BitWriter
  ) {
    var literalFrequencies = [Int](repeating: 0, count: 286)
    var distanceFrequencies = [Int](repeating: 0, count: 30)
    for token in tokens {
      if token & matchFlag != 0 {
        literalFrequencies[lengthSymbol(Int(token >> 16 & 0x1FF)).symbol] += 1
        distanceFrequencies[distanceSymbol(Int(token & 0xFFFF)).symbol] += 1
      } else {
        literalFrequencies[Int(token)] += 1
      }
    }
    literalFrequencies[256] = 1
    let literalLengths = HuffmanBuilder.lengths(literalFrequencies, limit: 15)
    var distanceLengths = HuffmanBuilder.lengths(distanceFrequencies, limit: 15)
    // A block with no match still needs a distance code; one code of length 1 is the usual answer.
    if !distanceLengths.contains(where: { $0 > 0 }) { distanceLengths[0] = 1 }

    let header = DynamicHeader(literalLengths: literalLengths, distanceLengths: distanceLengths)
    let extraBits = tokens.reduce(0) { sum, token in
      guard token & matchFlag != 0 else { return sum }
      return sum + lengthSymbol(Int(token >> 16 & 0x1FF)).extraBits
        + distanceSymbol(Int(token & 0xFFFF)).extraBits
    }
    func cost(_ literal: [Int], _ distance: [Int]) -> Int {
      var bits = extraBits
      for (symbol, frequency) in literalFrequencies.enumerated() where frequency > 0 {
        bits += frequency * literal[symbol]
      }
      for (symbol, frequency) in distanceFrequencies.enumerated() where frequency > 0 {
        bits += frequency * distance[symbol]
      }
      return bits
    }
    let dynamicCost = 3 + header.bitCount + cost(literalLengths, distanceLengths)
    let fixedCost = 3 + cost(Inflate.fixedLiteralLengths, [Int](repeating: 5, count: 30))
    let storedCost = (raw.count / 65535 + 1) * 40 + raw.count * 8 + 8
    if storedCost < dynamicCost && storedCost < fixedCost {
      writeStored(raw, last: last, into: &writer)
    } else if fixedCost <= dynamicCost {
      writeFixedBlock(tokens, last: last, into: &writer)
    } else {
      writer.write(last ? 1 : 0, 1)
      writer.write(2, 2)
      header.write(into: &writer)
      writeTokens(
        tokens, literalCodes: HuffmanBuilder.codes(literalLengths), literalLengths: literalLengths,
        distanceCodes: HuffmanBuilder.codes(distanceLengths), distanceLengths: distanceLengths, into: &writer)
    }
  }

  private static func writeFixedBlock(_ tokens: [Token], last: Bool, into writer: inout BitWriter) {
    writer.write(last ? 1 : 0, 1)
    writer.write(1, 2)
    let distanceLengths = [Int](repeating: 5, count: 30)
    writeTokens(
      tokens, literalCodes: fixedLiteralCodes, literalLengths: Inflate.fixedLiteralLengths,
      distanceCodes: HuffmanBuilder.codes(distanceLengths), distanceLengths: distanceLengths, into: &writer)
  }

  private static let fixedLiteralCodes = HuffmanBuilder.codes(Inflate.fixedLiteralLengths)

  private static func writeStored(_ raw: ArraySlice<UInt8>, last: Bool, into writer: inout BitWriter) {
    var offset = raw.startIndex
    repeat {
      let length = min(65535, raw.endIndex - offset)
      let isLast = last && offset + length == raw.endIndex
      writer.write(isLast ? 1 : 0, 1)
      writer.write(0, 2)
      writer.flush()
      writer.bytes += [
        UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8 & 0xFF),
      ]
      writer.bytes += raw[offset..<(offset + length)]
      offset += length
    } while offset < raw.endIndex
  }

  private static func writeTokens(
    _ tokens: [Token], literalCodes: [Int], literalLengths: [Int], distanceCodes: [Int],
    distanceLengths: [Int],
    into writer: inout BitWriter
  ) {
    for token in tokens {
      if token & matchFlag != 0 {
        let length = lengthSymbol(Int(token >> 16 & 0x1FF))
        writer.write(literalCodes[length.symbol], literalLengths[length.symbol])
        if length.extraBits > 0 { writer.write(length.extra, length.extraBits) }
        let distance = distanceSymbol(Int(token & 0xFFFF))
        writer.write(distanceCodes[distance.symbol], distanceLengths[distance.symbol])
        if distance.extraBits > 0 { writer.write(distance.extra, distance.extraBits) }
      } else {
        writer.write(literalCodes[Int(token)], literalLengths[Int(token)])
      }
    }
    writer.write(literalCodes[256], literalLengths[256])
  }

  /// The code-length header of a dynamic block, run-length coded with symbols 16, 17 and 18.
  private struct DynamicHeader {
    var literalCount: Int
    var distanceCount: Int
    var symbols: [(symbol: Int, extra: Int, extraBits: Int)] = []
    var codeLengthLengths: [Int]
    var codeLengthCount: Int

    init(literalLengths: [Int], distanceLengths: [Int]) {
      literalCount = max(257, (literalLengths.lastIndex { $0 > 0 } ?? 0) + 1)
      distanceCount = max(1, (distanceLengths.lastIndex { $0 > 0 } ?? 0) + 1)
      let all = Array(literalLengths[0..<literalCount]) + Array(distanceLengths[0..<distanceCount])
      var i = 0
      while i < all.count {
        let value = all[i]
        var run = 1
        while i + run < all.count && all[i + run] == value { run += 1 }
        if value == 0 && run >= 3 {
          let take = min(run, 138)
          symbols.append(take >= 11 ? (18, take - 11, 7) : (17, take - 3, 3))
          i += take
        } else if value != 0 && run >= 4 {
          symbols.append((value, 0, 0))
          let take = min(run - 1, 6)
          symbols.append((16, take - 3, 2))
          i += 1 + take
        } else {
          symbols.append((value, 0, 0))
          i += 1
        }
      }
      var frequencies = [Int](repeating: 0, count: 19)
      for entry in symbols { frequencies[entry.symbol] += 1 }
      codeLengthLengths = HuffmanBuilder.lengths(frequencies, limit: 7)
      var count = 19
      while count > 4 && codeLengthLengths[Inflate.codeLengthOrder[count - 1]] == 0 { count -= 1 }
      codeLengthCount = count
    }

    var bitCount: Int {
      14 + 3 * codeLengthCount + symbols.reduce(0) { $0 + codeLengthLengths[$1.symbol] + $1.extraBits }
    }

    func write(into writer: inout BitWriter) {
      writer.write(literalCount - 257, 5)
      writer.write(distanceCount - 1, 5)
      writer.write(codeLengthCount - 4, 4)
      for i in 0..<codeLengthCount { writer.write(codeLengthLengths[Inflate.codeLengthOrder[i]], 3) }
      let codes = HuffmanBuilder.codes(codeLengthLengths)
      for entry in symbols {
        writer.write(codes[entry.symbol], codeLengthLengths[entry.symbol])
        if entry.extraBits > 0 { writer.write(entry.extra, entry.extraBits) }
      }
    }
  }
}

/// Huffman code lengths from symbol frequencies, limited to a maximum length, and the canonical
/// codes for given lengths (bit-reversed, ready for an LSB-first writer).
enum HuffmanBuilder {
  static func lengths(_ frequencies: [Int], limit: Int) -> [Int] {
    var scaled = frequencies
    while true {
      let lengths = unlimitedLengths(scaled)
      if (lengths.max() ?? 0) <= limit { return lengths }
      // Flattening the distribution shortens the longest codes; a few rounds always suffice.
      scaled = scaled.map { $0 == 0 ? 0 : max(1, $0 >> 1) }
    }
  }

  private static func unlimitedLengths(_ frequencies: [Int]) -> [Int] {
    var lengths = [Int](repeating: 0, count: frequencies.count)
    let used = frequencies.indices.filter { frequencies[$0] > 0 }
    if used.count == 1 {
      lengths[used[0]] = 1
      return lengths
    }
    if used.isEmpty { return lengths }
    // Nodes: leaves first, then internal nodes; parent links give each leaf its depth.
    var weight = used.map { frequencies[$0] }
    var parent = [Int](repeating: -1, count: used.count * 2)
    var heap = MinHeap()
    for (node, w) in weight.enumerated() { heap.push(w, node) }
    while heap.count > 1 {
      let (wa, a) = heap.pop()
      let (wb, b) = heap.pop()
      let node = weight.count
      weight.append(wa + wb)
      parent[a] = node
      parent[b] = node
      heap.push(wa + wb, node)
    }
    var depth = [Int](repeating: 0, count: weight.count)
    for node in stride(from: weight.count - 2, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
    for (leaf, symbol) in used.enumerated() { lengths[symbol] = depth[leaf] }
    return lengths
  }

  static func codes(_ lengths: [Int]) -> [Int] {
    var counts = [Int](repeating: 0, count: 16)
    for length in lengths where length > 0 { counts[length] += 1 }
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1..<16 {
      code = (code + counts[length - 1]) << 1
      next[length] = code
    }
    var codes = [Int](repeating: 0, count: lengths.count)
    for (symbol, length) in lengths.enumerated() where length > 0 {
      let value = next[length]
      next[length] += 1
      var reversed = 0
      for bit in 0..<length where value & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
      codes[symbol] = reversed
    }
    return codes
  }

  private struct MinHeap {
    var items: [(weight: Int, node: Int)] = []
    var count: Int { items.count }

    mutating func push(_ weight: Int, _ node: Int) {
      items.append((weight, node))
      var i = items.count - 1
      while i > 0 {
        let p = (i - 1) / 2
        if less(items[i], items[p]) {
          items.swapAt(i, p)
          i = p
        } else {
          break
        }
      }
    }

    mutating func pop() -> (Int, Int) {
      let top = items[0]
      let last = items.removeLast()
      if !items.isEmpty {
        items[0] = last
        var i = 0
        while true {
          let l = 2 * i + 1
          let r = l + 1
          var smallest = i
          if l < items.count && less(items[l], items[smallest]) { smallest = l }
          if r < items.count && less(items[r], items[smallest]) { smallest = r }
          if smallest == i { break }
          items.swapAt(i, smallest)
          i = smallest
        }
      }
      return (top.weight, top.node)
    }

    private func less(_ a: (weight: Int, node: Int), _ b: (weight: Int, node: Int)) -> Bool {
      a.weight != b.weight ? a.weight < b.weight : a.node < b.node
    }
  }
}
