/// WEBP's lossy bitstream: a VP8 key frame (RFC 6386) decoded as libwebp does it (its edge pixels,
/// transforms and loop filter), then converted to RGB with libwebp's "fancy" chroma upsampling,
/// so pixels match what Pillow shows within a count or two.
struct VP8Decoder {
  /// The range decoder of RFC 6386 § 7.
  struct BoolDecoder {
    let data: [UInt8]
    var position: Int
    let end: Int
    var value: UInt32 = 0
    var range: UInt32 = 255
    var bitCount = 0
    var overrun = 0

    init(data: [UInt8], start: Int, end: Int) {
      self.data = data
      self.position = start
      self.end = min(end, data.count)
      value = UInt32(nextByte()) << 8 | UInt32(nextByte())
    }

    @inline(__always) mutating func nextByte() -> UInt8 {
      if position < end {
        position += 1
        return data[position - 1]
      }
      overrun += 1
      return 0
    }

    @inline(__always) mutating func read(_ probability: Int) -> Bool {
      let split = 1 + (((range - 1) * UInt32(probability)) >> 8)
      let bigSplit = split << 8
      let bit: Bool
      if value >= bigSplit {
        range -= split
        value -= bigSplit
        bit = true
      } else {
        range = split
        bit = false
      }
      while range < 128 {
        value <<= 1
        range <<= 1
        bitCount += 1
        if bitCount == 8 {
          bitCount = 0
          value |= UInt32(nextByte())
        }
      }
      return bit
    }

    mutating func literal(_ n: Int) -> Int {
      var v = 0
      for _ in 0..<n { v = v << 1 | (read(128) ? 1 : 0) }
      return v
    }

    mutating func signed(_ n: Int) -> Int {
      let v = literal(n)
      return read(128) ? -v : v
    }

    mutating func optionalSigned(_ n: Int) -> Int { read(128) ? signed(n) : 0 }

    /// Too many bytes invented past the partition's end: the data is cut short.
    var exhausted: Bool { overrun > 8 }
  }

  let width: Int
  let height: Int
  let mbWidth: Int
  let mbHeight: Int
  var y: [UInt8]
  var u: [UInt8]
  var v: [UInt8]
  var yStride: Int { mbWidth * 16 }
  var uvStride: Int { mbWidth * 8 }

  // Frame header.
  var segmentationEnabled = false
  var updateSegmentMap = false
  var absoluteSegmentValues = false
  var segmentQuantizer = [0, 0, 0, 0]
  var segmentFilterLevel = [0, 0, 0, 0]
  var segmentProbabilities = [255, 255, 255]
  var simpleFilter = false
  var filterLevel = 0
  var sharpness = 0
  var useFilterDeltas = false
  var referenceDeltas = [0, 0, 0, 0]
  var modeDeltas = [0, 0, 0, 0]
  var coefficientProbabilities = VP8Tables.defaultCoefficientProbabilities
  var skipProbability: Int?
  /// Per segment: (y1 dc, y1 ac, y2 dc, y2 ac, uv dc, uv ac).
  var quantizers: [[Int32]] = []

  struct MacroblockInfo {
    var segment = 0
    var skip = false
    var isSubblockPredicted = false
    var hasCoefficients = false
  }
  var infos: [MacroblockInfo] = []

  static func decode(
    _ data: [UInt8], limits: DecodeLimits
  ) throws(ImageDecodeError) -> (width: Int, height: Int, decoder: VP8Decoder) {
    guard data.count >= 10 else { throw .truncated(.webp, offset: data.count) }
    let tag = Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16
    guard tag & 1 == 0 else { throw .corrupt(.webp, reason: "a VP8 inter frame in a still") }
    guard (tag >> 1) & 7 <= 3 else { throw .unsupported(.webp, feature: "VP8 version \((tag >> 1) & 7)") }
    let firstPartitionSize = tag >> 5
    guard data[3] == 0x9D, data[4] == 0x01, data[5] == 0x2A else {
      throw .corrupt(.webp, reason: "no VP8 start code")
    }
    let width = (Int(data[6]) | Int(data[7]) << 8) & 0x3FFF
    let height = (Int(data[8]) | Int(data[9]) << 8) & 0x3FFF
    try limits.check(width: width, height: height, format: .webp)
    guard 10 + firstPartitionSize <= data.count else { throw .truncated(.webp, offset: data.count) }
    var decoder = VP8Decoder(width: width, height: height)
    try decoder.decodeFrame(data, firstPartitionSize: firstPartitionSize)
    return (width, height, decoder)
  }

  init(width: Int, height: Int) {
    self.width = width
    self.height = height
    mbWidth = (width + 15) / 16
    mbHeight = (height + 15) / 16
    y = [UInt8](repeating: 0, count: mbWidth * 16 * mbHeight * 16)
    u = [UInt8](repeating: 0, count: mbWidth * 8 * mbHeight * 8)
    v = u
  }

  mutating func decodeFrame(_ data: [UInt8], firstPartitionSize: Int) throws(ImageDecodeError) {
    var header = BoolDecoder(data: data, start: 10, end: 10 + firstPartitionSize)
    _ = header.literal(2)  // colour space, clamping type
    segmentationEnabled = header.read(128)
    if segmentationEnabled {
      updateSegmentMap = header.read(128)
      if header.read(128) {
        absoluteSegmentValues = header.read(128)
        for s in 0..<4 { segmentQuantizer[s] = header.optionalSigned(7) }
        for s in 0..<4 { segmentFilterLevel[s] = header.optionalSigned(6) }
      }
      if updateSegmentMap {
        for i in 0..<3 { segmentProbabilities[i] = header.read(128) ? header.literal(8) : 255 }
      }
    }
    simpleFilter = header.read(128)
    filterLevel = header.literal(6)
    sharpness = header.literal(3)
    useFilterDeltas = header.read(128)
    if useFilterDeltas, header.read(128) {
      for i in 0..<4 where header.read(128) { referenceDeltas[i] = header.signed(6) }
      for i in 0..<4 where header.read(128) { modeDeltas[i] = header.signed(6) }
    }
    let partitionCount = 1 << header.literal(2)
    var partitionStart = 10 + firstPartitionSize + 3 * (partitionCount - 1)
    guard partitionStart <= data.count else { throw .truncated(.webp, offset: data.count) }
    var partitions: [BoolDecoder] = []
    for p in 0..<partitionCount {
      var size = data.count - partitionStart
      if p < partitionCount - 1 {
        let at = 10 + firstPartitionSize + 3 * p
        size = Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16
      }
      let end = min(data.count, partitionStart + size)
      partitions.append(BoolDecoder(data: data, start: min(partitionStart, data.count), end: end))
      partitionStart = end
    }

    let base = header.literal(7)
    let deltas = (0..<5).map { _ in header.optionalSigned(4) }
    let dc = VP8Tables.dcQuantizer
    let ac = VP8Tables.acQuantizer
    func clip(_ q: Int, _ top: Int) -> Int { max(0, min(top, q)) }
    for s in 0..<4 {
      var q = base
      if segmentationEnabled { q = absoluteSegmentValues ? segmentQuantizer[s] : base + segmentQuantizer[s] }
      let y2ac = max(8, (ac[clip(q + deltas[2], 127)] * 101581) >> 16)
      quantizers.append([
        dc[clip(q + deltas[0], 127)], ac[clip(q, 127)], dc[clip(q + deltas[1], 127)] * 2, y2ac,
        dc[clip(q + deltas[3], 117)], ac[clip(q + deltas[4], 127)],
      ])
    }
    _ = header.read(128)  // refresh_entropy_probs: one frame, nothing to keep
    for i in 0..<(4 * 8 * 3 * 11) where header.read(Int(VP8Tables.coefficientUpdateProbabilities[i])) {
      coefficientProbabilities[i] = UInt8(header.literal(8))
    }
    if header.read(128) { skipProbability = header.literal(8) }

    infos = [MacroblockInfo](repeating: MacroblockInfo(), count: mbWidth * mbHeight)
    var aboveModes = [Int](repeating: 0, count: mbWidth * 4)
    var aboveNonZero = [UInt8](repeating: 0, count: mbWidth * 9)
    for mby in 0..<mbHeight {
      var leftModes = [0, 0, 0, 0]
      var leftNonZero = [UInt8](repeating: 0, count: 9)
      var tokens = partitions[mby % partitionCount]
      for mbx in 0..<mbWidth {
        var info = MacroblockInfo()
        if updateSegmentMap {
          info.segment =
            header.read(segmentProbabilities[0])
            ? (header.read(segmentProbabilities[2]) ? 3 : 2) : (header.read(segmentProbabilities[1]) ? 1 : 0)
        }
        if let skipProbability { info.skip = header.read(skipProbability) }
        var subModes = [Int](repeating: 0, count: 16)
        var lumaMode = 0
        if !header.read(145) {
          info.isSubblockPredicted = true
          for by in 0..<4 {
            for bx in 0..<4 {
              let above = by == 0 ? aboveModes[mbx * 4 + bx] : subModes[(by - 1) * 4 + bx]
              let left = bx == 0 ? leftModes[by] : subModes[by * 4 + bx - 1]
              subModes[by * 4 + bx] = Self.readSubblockMode(&header, above: above, left: left)
            }
          }
        } else {
          lumaMode = header.read(156) ? (header.read(128) ? 3 : 2) : (header.read(163) ? 1 : 0)
          // A whole-block mode counts as the matching subblock mode for the neighbours' contexts.
          let implied = [0, 2, 3, 1][lumaMode]
          for i in 0..<16 { subModes[i] = implied }
        }
        for i in 0..<4 {
          aboveModes[mbx * 4 + i] = subModes[12 + i]
          leftModes[i] = subModes[i * 4 + 3]
        }
        let chromaMode = !header.read(142) ? 0 : !header.read(114) ? 1 : header.read(183) ? 3 : 2

        var coefficients = [Int32](repeating: 0, count: 25 * 16)
        if !info.skip {
          info.hasCoefficients = try readResiduals(
            &tokens, &coefficients, info: info, above: &aboveNonZero, aboveOffset: mbx * 9, left: &leftNonZero
          )
        } else {
          for i in 0..<8 {
            leftNonZero[i] = 0
            aboveNonZero[mbx * 9 + i] = 0
          }
          if !info.isSubblockPredicted {
            leftNonZero[8] = 0
            aboveNonZero[mbx * 9 + 8] = 0
          }
        }
        if header.exhausted || tokens.exhausted { throw .truncated(.webp, offset: data.count) }
        reconstruct(
          mbx: mbx, mby: mby, info: info, lumaMode: lumaMode, subModes: subModes, chromaMode: chromaMode,
          coefficients: coefficients)
        infos[mby * mbWidth + mbx] = info
      }
      partitions[mby % partitionCount] = tokens
    }
    if filterLevel > 0 { loopFilter() }
  }

  static func readSubblockMode(_ d: inout BoolDecoder, above: Int, left: Int) -> Int {
    let base = (above * 10 + left) * 9
    let p = VP8Tables.keyFrameSubblockModeProbabilities
    @inline(__always) func bit(_ node: Int) -> Bool { d.read(Int(p[base + node])) }
    // The tree of RFC 6386 § 11.2; modes numbered DC TM VE HE LD RD VR VL HD HU.
    if !bit(0) { return 0 }
    if !bit(1) { return 1 }
    if !bit(2) { return 2 }
    if !bit(3) {
      if !bit(4) { return 3 }
      return bit(5) ? 6 : 5
    }
    if !bit(6) { return 4 }
    if !bit(7) { return 7 }
    return bit(8) ? 9 : 8
  }

  static let zigzag = [0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15]
  static let bands = [0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0]
  static let largeCategories: [[Int]] = [
    [173, 148, 140], [176, 155, 140, 135], [180, 157, 141, 134, 130],
    [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129],
  ]

  /// Reads one block's tokens into `out` (natural order, dequantised); returns the position after
  /// the last token read, as libwebp's GetCoeffs does (more than `first` means "has coefficients").
  func readBlock(
    _ d: inout BoolDecoder, type: Int, context: Int, first: Int, dc: Int32, ac: Int32,
    into out: inout [Int32],
    at offset: Int
  ) -> Int {
    let probabilities = coefficientProbabilities
    @inline(__always) func p(_ n: Int, _ context: Int, _ node: Int) -> Int {
      Int(probabilities[((type * 8 + Self.bands[n]) * 3 + context) * 11 + node])
    }
    var n = first
    var ctx = context
    while n < 16 {
      if !d.read(p(n, ctx, 0)) { return n }
      while !d.read(p(n, ctx, 1)) {
        n += 1
        ctx = 0
        if n == 16 { return 16 }
      }
      var value: Int
      if !d.read(p(n, ctx, 2)) {
        value = 1
        ctx = 1
      } else {
        if !d.read(p(n, ctx, 3)) {
          value = !d.read(p(n, ctx, 4)) ? 2 : 3 + (d.read(p(n, ctx, 5)) ? 1 : 0)
        } else if !d.read(p(n, ctx, 6)) {
          if !d.read(p(n, ctx, 7)) {
            value = 5 + (d.read(159) ? 1 : 0)
          } else {
            value = 7 + 2 * (d.read(165) ? 1 : 0)
            value += d.read(145) ? 1 : 0
          }
        } else {
          let high = d.read(p(n, ctx, 8)) ? 1 : 0
          let low = d.read(p(n, ctx, 9 + high)) ? 1 : 0
          let category = 2 * high + low
          var extra = 0
          for probability in Self.largeCategories[category] {
            extra = extra * 2 + (d.read(probability) ? 1 : 0)
          }
          value = extra + 3 + (8 << category)
        }
        ctx = 2
      }
      let signed = d.read(128) ? -value : value
      out[offset + Self.zigzag[n]] = Int32(signed) * (n > 0 ? ac : dc)
      n += 1
    }
    return 16
  }

  mutating func readResiduals(
    _ d: inout BoolDecoder, _ coefficients: inout [Int32], info: MacroblockInfo, above: inout [UInt8],
    aboveOffset: Int, left: inout [UInt8]
  ) throws(ImageDecodeError) -> Bool {
    let q = quantizers[info.segment]
    var any = false
    var firstCoefficient = 0
    var lumaType = 3
    if !info.isSubblockPredicted {
      var dcs = [Int32](repeating: 0, count: 16)
      let context = Int(left[8] + above[aboveOffset + 8])
      let n = readBlock(&d, type: 1, context: context, first: 0, dc: q[2], ac: q[3], into: &dcs, at: 0)
      let nonZero: UInt8 = n > 0 ? 1 : 0
      left[8] = nonZero
      above[aboveOffset + 8] = nonZero
      Self.inverseWalshHadamard(dcs, into: &coefficients)
      firstCoefficient = 1
      lumaType = 0
    }
    for by in 0..<4 {
      for bx in 0..<4 {
        let context = Int(left[by] + above[aboveOffset + bx])
        let n = readBlock(
          &d, type: lumaType, context: context, first: firstCoefficient, dc: q[0], ac: q[1],
          into: &coefficients,
          at: (by * 4 + bx) * 16)
        let nonZero: UInt8 = n > firstCoefficient ? 1 : 0
        left[by] = nonZero
        above[aboveOffset + bx] = nonZero
        if n > firstCoefficient { any = true }
      }
    }
    for plane in 0..<2 {
      for by in 0..<2 {
        for bx in 0..<2 {
          let l = 4 + plane * 2 + by
          let a = aboveOffset + 4 + plane * 2 + bx
          let n = readBlock(
            &d, type: 2, context: Int(left[l] + above[a]), first: 0, dc: q[4], ac: q[5], into: &coefficients,
            at: (16 + plane * 4 + by * 2 + bx) * 16)
          let nonZero: UInt8 = n > 0 ? 1 : 0
          left[l] = nonZero
          above[a] = nonZero
          if n > 0 { any = true }
        }
      }
    }
    if !info.isSubblockPredicted {
      // The DC terms from the Y2 block make the luma blocks non-empty for the filter too.
      if coefficients.withUnsafeBufferPointer({ b in (0..<16).contains { b[$0 * 16] != 0 } }) { any = true }
    }
    return any
  }

  static func inverseWalshHadamard(_ input: [Int32], into out: inout [Int32]) {
    var t = [Int32](repeating: 0, count: 16)
    for i in 0..<4 {
      let a0 = input[i] + input[12 + i]
      let a1 = input[4 + i] + input[8 + i]
      let a2 = input[4 + i] - input[8 + i]
      let a3 = input[i] - input[12 + i]
      t[i] = a0 + a1
      t[8 + i] = a0 - a1
      t[4 + i] = a3 + a2
      t[12 + i] = a3 - a2
    }
    for i in 0..<4 {
      let dc = t[i * 4] + 3
      let a0 = dc + t[i * 4 + 3]
      let a1 = t[i * 4 + 1] + t[i * 4 + 2]
      let a2 = t[i * 4 + 1] - t[i * 4 + 2]
      let a3 = dc - t[i * 4 + 3]
      out[(i * 4 + 0) * 16] = (a0 + a1) >> 3
      out[(i * 4 + 1) * 16] = (a3 + a2) >> 3
      out[(i * 4 + 2) * 16] = (a0 - a1) >> 3
      out[(i * 4 + 3) * 16] = (a3 - a2) >> 3
    }
  }

  /// libwebp's TransformOne: adds the inverse DCT of `block` to the 4×4 pixels at `offset`.
  static func addInverseDCT(_ c: [Int32], _ at: Int, _ plane: inout [UInt8], _ offset: Int, _ stride: Int) {
    @inline(__always) func mul1(_ a: Int32) -> Int32 { ((a * 20091) >> 16) + a }
    @inline(__always) func mul2(_ a: Int32) -> Int32 { (a * 35468) >> 16 }
    var t = [Int32](repeating: 0, count: 16)
    for i in 0..<4 {
      let a = c[at + i] + c[at + 8 + i]
      let b = c[at + i] - c[at + 8 + i]
      let cc = mul2(c[at + 4 + i]) - mul1(c[at + 12 + i])
      let d = mul1(c[at + 4 + i]) + mul2(c[at + 12 + i])
      t[i * 4] = a + d
      t[i * 4 + 1] = b + cc
      t[i * 4 + 2] = b - cc
      t[i * 4 + 3] = a - d
    }
    for i in 0..<4 {
      let dc = t[i] + 4
      let a = dc + t[8 + i]
      let b = dc - t[8 + i]
      let cc = mul2(t[4 + i]) - mul1(t[12 + i])
      let d = mul1(t[4 + i]) + mul2(t[12 + i])
      let row = offset + i * stride
      @inline(__always) func store(_ x: Int, _ value: Int32) {
        plane[row + x] = UInt8(max(0, min(255, Int32(plane[row + x]) + (value >> 3))))
      }
      store(0, a + d)
      store(1, b + cc)
      store(2, b - cc)
      store(3, a - d)
    }
  }

  // MARK: - Prediction

  /// The edge pixels a block is predicted from, with libwebp's values where there is no neighbour:
  /// 127 above the picture, 129 left of it.
  struct Edges {
    var top: [Int]  // size + 4 entries (the last four are the top-right for 4×4 blocks)
    var left: [Int]
    var topLeft: Int
  }

  static func macroblockEdges(
    _ plane: [UInt8], stride: Int, size: Int, mbx: Int, mby: Int, mbWidth: Int
  ) -> Edges {
    var top = [Int](repeating: 127, count: size + 4)
    var left = [Int](repeating: 129, count: size)
    var topLeft = 127
    let x0 = mbx * size
    let y0 = mby * size
    if mby > 0 {
      let row = (y0 - 1) * stride
      for i in 0..<size { top[i] = Int(plane[row + x0 + i]) }
      for i in 0..<4 {
        top[size + i] = mbx < mbWidth - 1 ? Int(plane[row + x0 + size + i]) : Int(plane[row + x0 + size - 1])
      }
      topLeft = mbx > 0 ? Int(plane[row + x0 - 1]) : 129
    }
    if mbx > 0 {
      for i in 0..<size { left[i] = Int(plane[(y0 + i) * stride + x0 - 1]) }
    }
    if mby == 0 { topLeft = 127 }
    return Edges(top: top, left: left, topLeft: topLeft)
  }

  static func predictBlock(
    mode: Int, size: Int, edges: Edges, hasTop: Bool, hasLeft: Bool, into plane: inout [UInt8],
    at offset: Int,
    stride: Int
  ) {
    let shift = size == 16 ? 5 : 4
    for yy in 0..<size {
      for xx in 0..<size {
        let value: Int
        switch mode {
        case 0:
          var sum = 0
          if hasTop && hasLeft {
            for i in 0..<size { sum += edges.top[i] + edges.left[i] }
            value = (sum + (1 << (shift - 1))) >> shift
          } else if hasTop {
            for i in 0..<size { sum += edges.top[i] }
            value = (sum + (1 << (shift - 2))) >> (shift - 1)
          } else if hasLeft {
            for i in 0..<size { sum += edges.left[i] }
            value = (sum + (1 << (shift - 2))) >> (shift - 1)
          } else {
            value = 128
          }
        case 1: value = edges.top[xx]
        case 2: value = edges.left[yy]
        default: value = max(0, min(255, edges.top[xx] + edges.left[yy] - edges.topLeft))
        }
        plane[offset + yy * stride + xx] = UInt8(value)
        if mode == 0 {
          // DC fills the block with one value: write it everywhere at once.
          for y2 in 0..<size { for x2 in 0..<size { plane[offset + y2 * stride + x2] = UInt8(value) } }
          return
        }
      }
    }
  }

  static func predictSubblock(
    mode: Int, top: [Int], left: [Int], topLeft: Int, into plane: inout [UInt8], at offset: Int, stride: Int
  ) {
    // top[0...7] = A…H, left[0...3] = I…L, topLeft = M.
    @inline(__always) func avg3(_ a: Int, _ b: Int, _ c: Int) -> Int { (a + 2 * b + c + 2) >> 2 }
    @inline(__always) func avg2(_ a: Int, _ b: Int) -> Int { (a + b + 1) >> 1 }
    var p = [Int](repeating: 0, count: 16)
    let (a, b, c, d, e, f, g, h) = (top[0], top[1], top[2], top[3], top[4], top[5], top[6], top[7])
    let (i, j, k, l, m) = (left[0], left[1], left[2], left[3], topLeft)
    func set(_ r: Int, _ col: Int, _ v: Int) { p[r * 4 + col] = v }
    switch mode {
    case 0:
      let dc = (a + b + c + d + i + j + k + l + 4) >> 3
      for n in 0..<16 { p[n] = dc }
    case 1:
      for r in 0..<4 { for col in 0..<4 { set(r, col, max(0, min(255, top[col] + left[r] - m))) } }
    case 2:
      let values = [avg3(m, a, b), avg3(a, b, c), avg3(b, c, d), avg3(c, d, e)]
      for r in 0..<4 { for col in 0..<4 { set(r, col, values[col]) } }
    case 3:
      let values = [avg3(m, i, j), avg3(i, j, k), avg3(j, k, l), avg3(k, l, l)]
      for r in 0..<4 { for col in 0..<4 { set(r, col, values[r]) } }
    case 4:
      let diagonal = [
        avg3(a, b, c), avg3(b, c, d), avg3(c, d, e), avg3(d, e, f), avg3(e, f, g), avg3(f, g, h),
        avg3(g, h, h),
      ]
      for r in 0..<4 { for col in 0..<4 { set(r, col, diagonal[r + col]) } }
    case 5:
      let edge = [l, k, j, i, m, a, b, c, d]
      for r in 0..<4 {
        for col in 0..<4 {
          let n = 3 - r + col + 1
          set(r, col, avg3(edge[n - 1], edge[n], edge[n + 1]))
        }
      }
    case 6:
      set(0, 0, avg2(m, a)); set(2, 1, avg2(m, a))
      set(0, 1, avg2(a, b)); set(2, 2, avg2(a, b))
      set(0, 2, avg2(b, c)); set(2, 3, avg2(b, c))
      set(0, 3, avg2(c, d))
      set(1, 0, avg3(i, m, a)); set(3, 1, avg3(i, m, a))
      set(1, 1, avg3(m, a, b)); set(3, 2, avg3(m, a, b))
      set(1, 2, avg3(a, b, c)); set(3, 3, avg3(a, b, c))
      set(1, 3, avg3(b, c, d))
      set(2, 0, avg3(j, i, m))
      set(3, 0, avg3(k, j, i))
    case 7:
      set(0, 0, avg2(a, b)); set(0, 1, avg2(b, c)); set(0, 2, avg2(c, d)); set(0, 3, avg2(d, e))
      set(1, 0, avg3(a, b, c)); set(1, 1, avg3(b, c, d)); set(1, 2, avg3(c, d, e)); set(1, 3, avg3(d, e, f))
      set(2, 0, avg2(b, c)); set(2, 1, avg2(c, d)); set(2, 2, avg2(d, e)); set(2, 3, avg3(e, f, g))
      set(3, 0, avg3(b, c, d)); set(3, 1, avg3(c, d, e)); set(3, 2, avg3(d, e, f)); set(3, 3, avg3(f, g, h))
    case 8:
      set(3, 0, avg2(k, l)); set(3, 1, avg3(j, k, l))
      set(2, 0, avg2(j, k)); set(3, 2, avg2(j, k))
      set(2, 1, avg3(i, j, k)); set(3, 3, avg3(i, j, k))
      set(1, 0, avg2(i, j)); set(2, 2, avg2(i, j))
      set(1, 1, avg3(m, i, j)); set(2, 3, avg3(m, i, j))
      set(0, 0, avg2(m, i)); set(1, 2, avg2(m, i))
      set(0, 1, avg3(a, m, i)); set(1, 3, avg3(a, m, i))
      set(0, 2, avg3(b, a, m)); set(0, 3, avg3(c, b, a))
    default:
      set(0, 0, avg2(i, j)); set(0, 1, avg3(i, j, k)); set(0, 2, avg2(j, k)); set(0, 3, avg3(j, k, l))
      set(1, 0, avg2(j, k)); set(1, 1, avg3(j, k, l)); set(1, 2, avg2(k, l)); set(1, 3, avg3(k, l, l))
      set(2, 0, avg2(k, l)); set(2, 1, avg3(k, l, l))
      set(2, 2, l); set(2, 3, l); set(3, 0, l); set(3, 1, l); set(3, 2, l); set(3, 3, l)
    }
    for r in 0..<4 { for col in 0..<4 { plane[offset + r * stride + col] = UInt8(p[r * 4 + col]) } }
  }

  mutating func reconstruct(
    mbx: Int, mby: Int, info: MacroblockInfo, lumaMode: Int, subModes: [Int], chromaMode: Int,
    coefficients: [Int32]
  ) {
    let ys = yStride
    let yOffset = mby * 16 * ys + mbx * 16
    let edges = Self.macroblockEdges(y, stride: ys, size: 16, mbx: mbx, mby: mby, mbWidth: mbWidth)
    if info.isSubblockPredicted {
      for by in 0..<4 {
        for bx in 0..<4 {
          var top = [Int](repeating: 0, count: 8)
          var left = [Int](repeating: 0, count: 4)
          var topLeft: Int
          let offset = yOffset + by * 4 * ys + bx * 4
          if by == 0 {
            for n in 0..<8 { top[n] = edges.top[bx * 4 + n] }
          } else {
            for n in 0..<4 { top[n] = Int(y[offset - ys + n]) }
            for n in 4..<8 { top[n] = bx < 3 ? Int(y[offset - ys + n]) : edges.top[16 + n - 4] }
          }
          if bx == 0 {
            for n in 0..<4 { left[n] = edges.left[by * 4 + n] }
          } else {
            for n in 0..<4 { left[n] = Int(y[offset + n * ys - 1]) }
          }
          if by == 0 {
            topLeft = bx == 0 ? edges.topLeft : edges.top[bx * 4 - 1]
          } else {
            topLeft = bx == 0 ? edges.left[by * 4 - 1] : Int(y[offset - ys - 1])
          }
          Self.predictSubblock(
            mode: subModes[by * 4 + bx], top: top, left: left, topLeft: topLeft, into: &y, at: offset,
            stride: ys)
          Self.addInverseDCT(coefficients, (by * 4 + bx) * 16, &y, offset, ys)
        }
      }
    } else {
      Self.predictBlock(
        mode: lumaMode, size: 16, edges: edges, hasTop: mby > 0, hasLeft: mbx > 0, into: &y, at: yOffset,
        stride: ys)
      for b in 0..<16 {
        Self.addInverseDCT(coefficients, b * 16, &y, yOffset + (b / 4) * 4 * ys + (b % 4) * 4, ys)
      }
    }
    let cs = uvStride
    let cOffset = mby * 8 * cs + mbx * 8
    // In place: a local copy of a plane would be copied whole on the first write.
    let width = mbWidth
    func chroma(_ pixels: inout [UInt8], _ plane: Int) {
      let chromaEdges = Self.macroblockEdges(pixels, stride: cs, size: 8, mbx: mbx, mby: mby, mbWidth: width)
      Self.predictBlock(
        mode: chromaMode, size: 8, edges: chromaEdges, hasTop: mby > 0, hasLeft: mbx > 0, into: &pixels,
        at: cOffset, stride: cs)
      for b in 0..<4 {
        Self.addInverseDCT(
          coefficients, (16 + plane * 4 + b) * 16, &pixels, cOffset + (b / 2) * 4 * cs + (b % 2) * 4, cs)
      }
    }
    chroma(&u, 0)
    chroma(&v, 1)
  }

  // MARK: - Loop filter

  mutating func loopFilter() {
    for mby in 0..<mbHeight {
      for mbx in 0..<mbWidth {
        let info = infos[mby * mbWidth + mbx]
        var level = filterLevel
        if segmentationEnabled {
          level =
            absoluteSegmentValues
            ? segmentFilterLevel[info.segment] : filterLevel + segmentFilterLevel[info.segment]
        }
        if useFilterDeltas {
          level += referenceDeltas[0]
          if info.isSubblockPredicted { level += modeDeltas[0] }
        }
        level = max(0, min(63, level))
        guard level > 0 else { continue }
        var interior = level
        if sharpness > 0 {
          interior >>= sharpness > 4 ? 2 : 1
          interior = min(interior, 9 - sharpness)
        }
        interior = max(1, interior)
        let limit = 2 * level + interior
        let hevThreshold = level >= 40 ? 2 : level >= 15 ? 1 : 0
        let inner = info.isSubblockPredicted || info.hasCoefficients
        let ys = yStride
        let yOrigin = mby * 16 * ys + mbx * 16
        let cs = uvStride
        let cOrigin = mby * 8 * cs + mbx * 8
        if simpleFilter {
          if mbx > 0 { Self.simpleEdge(&y, yOrigin, step: 1, across: ys, count: 16, limit: limit + 4) }
          if inner {
            for i in [4, 8, 12] {
              Self.simpleEdge(&y, yOrigin + i, step: 1, across: ys, count: 16, limit: limit)
            }
          }
          if mby > 0 { Self.simpleEdge(&y, yOrigin, step: ys, across: 1, count: 16, limit: limit + 4) }
          if inner {
            for i in [4, 8, 12] {
              Self.simpleEdge(&y, yOrigin + i * ys, step: ys, across: 1, count: 16, limit: limit)
            }
          }
          continue
        }
        if mbx > 0 {
          Self.edge(
            &y, yOrigin, step: 1, across: ys, count: 16, limit: limit + 4, interior: interior,
            hev: hevThreshold, macroblock: true)
          Self.edge(
            &u, cOrigin, step: 1, across: cs, count: 8, limit: limit + 4, interior: interior,
            hev: hevThreshold, macroblock: true)
          Self.edge(
            &v, cOrigin, step: 1, across: cs, count: 8, limit: limit + 4, interior: interior,
            hev: hevThreshold, macroblock: true)
        }
        if inner {
          for i in [4, 8, 12] {
            Self.edge(
              &y, yOrigin + i, step: 1, across: ys, count: 16, limit: limit, interior: interior,
              hev: hevThreshold, macroblock: false)
          }
          Self.edge(
            &u, cOrigin + 4, step: 1, across: cs, count: 8, limit: limit, interior: interior,
            hev: hevThreshold, macroblock: false)
          Self.edge(
            &v, cOrigin + 4, step: 1, across: cs, count: 8, limit: limit, interior: interior,
            hev: hevThreshold, macroblock: false)
        }
        if mby > 0 {
          Self.edge(
            &y, yOrigin, step: ys, across: 1, count: 16, limit: limit + 4, interior: interior,
            hev: hevThreshold, macroblock: true)
          Self.edge(
            &u, cOrigin, step: cs, across: 1, count: 8, limit: limit + 4, interior: interior,
            hev: hevThreshold, macroblock: true)
          Self.edge(
            &v, cOrigin, step: cs, across: 1, count: 8, limit: limit + 4, interior: interior,
            hev: hevThreshold, macroblock: true)
        }
        if inner {
          for i in [4, 8, 12] {
            Self.edge(
              &y, yOrigin + i * ys, step: ys, across: 1, count: 16, limit: limit, interior: interior,
              hev: hevThreshold, macroblock: false)
          }
          Self.edge(
            &u, cOrigin + 4 * cs, step: cs, across: 1, count: 8, limit: limit, interior: interior,
            hev: hevThreshold, macroblock: false)
          Self.edge(
            &v, cOrigin + 4 * cs, step: cs, across: 1, count: 8, limit: limit, interior: interior,
            hev: hevThreshold, macroblock: false)
        }
      }
    }
  }

  @inline(__always) static func clampSigned(_ v: Int, _ low: Int, _ high: Int) -> Int {
    max(low, min(high, v))
  }
  @inline(__always) static func clampPixel(_ v: Int) -> UInt8 { UInt8(max(0, min(255, v))) }

  /// Filters `count` pixel positions along an edge: `step` crosses the edge, `across` moves along it.
  static func simpleEdge(
    _ plane: inout [UInt8], _ origin: Int, step: Int, across: Int, count: Int, limit: Int
  ) {
    for n in 0..<count {
      let at = origin + n * across
      let p1 = Int(plane[at - 2 * step])
      let p0 = Int(plane[at - step])
      let q0 = Int(plane[at])
      let q1 = Int(plane[at + step])
      if 4 * abs(p0 - q0) + abs(p1 - q1) <= 2 * limit + 1 {
        filter2(&plane, at, step, p1, p0, q0, q1)
      }
    }
  }

  @inline(__always) static func filter2(
    _ plane: inout [UInt8], _ at: Int, _ step: Int, _ p1: Int, _ p0: Int, _ q0: Int, _ q1: Int
  ) {
    let a = 3 * (q0 - p0) + clampSigned(p1 - q1, -128, 127)
    let a1 = clampSigned((a + 4) >> 3, -16, 15)
    let a2 = clampSigned((a + 3) >> 3, -16, 15)
    plane[at - step] = clampPixel(p0 + a2)
    plane[at] = clampPixel(q0 - a1)
  }

  static func edge(
    _ plane: inout [UInt8], _ origin: Int, step: Int, across: Int, count: Int, limit: Int, interior: Int,
    hev: Int,
    macroblock: Bool
  ) {
    for n in 0..<count {
      let at = origin + n * across
      let p3 = Int(plane[at - 4 * step])
      let p2 = Int(plane[at - 3 * step])
      let p1 = Int(plane[at - 2 * step])
      let p0 = Int(plane[at - step])
      let q0 = Int(plane[at])
      let q1 = Int(plane[at + step])
      let q2 = Int(plane[at + 2 * step])
      let q3 = Int(plane[at + 3 * step])
      guard 4 * abs(p0 - q0) + abs(p1 - q1) <= 2 * limit + 1, abs(p3 - p2) <= interior,
        abs(p2 - p1) <= interior,
        abs(p1 - p0) <= interior, abs(q3 - q2) <= interior, abs(q2 - q1) <= interior, abs(q1 - q0) <= interior
      else { continue }
      if abs(p1 - p0) > hev || abs(q1 - q0) > hev {
        filter2(&plane, at, step, p1, p0, q0, q1)
      } else if macroblock {
        let a = clampSigned(3 * (q0 - p0) + clampSigned(p1 - q1, -128, 127), -128, 127)
        let a1 = (27 * a + 63) >> 7
        let a2 = (18 * a + 63) >> 7
        let a3 = (9 * a + 63) >> 7
        plane[at - 3 * step] = clampPixel(p2 + a3)
        plane[at - 2 * step] = clampPixel(p1 + a2)
        plane[at - step] = clampPixel(p0 + a1)
        plane[at] = clampPixel(q0 - a1)
        plane[at + step] = clampPixel(q1 - a2)
        plane[at + 2 * step] = clampPixel(q2 - a3)
      } else {
        let a = 3 * (q0 - p0)
        let a1 = clampSigned((a + 4) >> 3, -16, 15)
        let a2 = clampSigned((a + 3) >> 3, -16, 15)
        let a3 = (a1 + 1) >> 1
        plane[at - 2 * step] = clampPixel(p1 + a3)
        plane[at - step] = clampPixel(p0 + a2)
        plane[at] = clampPixel(q0 - a1)
        plane[at + step] = clampPixel(q1 - a3)
      }
    }
  }

  // MARK: - Colour

  @inline(__always) static func toRGB(_ y: Int, _ u: Int, _ v: Int) -> (UInt8, UInt8, UInt8) {
    @inline(__always) func multiplyHigh(_ value: Int, _ coefficient: Int) -> Int {
      (value * coefficient) >> 8
    }
    @inline(__always) func clip(_ value: Int) -> UInt8 {
      value & ~16383 == 0 ? UInt8(value >> 6) : value < 0 ? 0 : 255
    }
    let luma = multiplyHigh(y, 19077)
    return (
      clip(luma + multiplyHigh(v, 26149) - 14234),
      clip(luma - multiplyHigh(u, 6419) - multiplyHigh(v, 13320) + 8708),
      clip(luma + multiplyHigh(u, 33050) - 17685)
    )
  }

  /// RGBA with libwebp's fancy upsampling: each chroma sample is spread over the 2×2 pixels
  /// around it with 9-3-3-1 weights.
  func rgba(alpha: [UInt8]?) -> [UInt8] {
    var out = [UInt8](repeating: 255, count: width * height * 4)
    let chromaWidth = (width + 1) / 2
    let chromaHeight = (height + 1) / 2
    var topU = [Int](repeating: 0, count: chromaWidth)
    var topV = topU
    var currentU = topU
    var currentV = topU
    func loadChroma(_ row: Int, _ us: inout [Int], _ vs: inout [Int]) {
      for x in 0..<chromaWidth {
        us[x] = Int(u[row * uvStride + x])
        vs[x] = Int(v[row * uvStride + x])
      }
    }
    func line(_ row: Int, _ near: ([Int], [Int]), _ far: ([Int], [Int])) {
      // For each pixel, the chroma of the nearer and farther rows, then the same horizontally.
      let o = row * width * 4
      let ys = row * yStride
      func emit(_ x: Int, _ cu: Int, _ cv: Int) {
        let (r, g, b) = Self.toRGB(Int(y[ys + x]), cu, cv)
        out[o + x * 4] = r
        out[o + x * 4 + 1] = g
        out[o + x * 4 + 2] = b
      }
      @inline(__always) func vertical(_ plane: Int, _ x: Int) -> Int {
        let n = plane == 0 ? near.0[x] : near.1[x]
        let f = plane == 0 ? far.0[x] : far.1[x]
        return 3 * n + f
      }
      // libwebp's formula works on 16× values with its own rounding; reproduced exactly.
      emit(0, (vertical(0, 0) + 2) >> 2, (vertical(1, 0) + 2) >> 2)
      let lastPair = (width - 1) >> 1
      if lastPair >= 1 {
        for x in 1...lastPair {
          for plane in 0..<2 {
            let nearLeft = plane == 0 ? near.0[x - 1] : near.1[x - 1]
            let nearRight = plane == 0 ? near.0[x] : near.1[x]
            let farLeft = plane == 0 ? far.0[x - 1] : far.1[x - 1]
            let farRight = plane == 0 ? far.0[x] : far.1[x]
            let average = nearLeft + nearRight + farLeft + farRight + 8
            let diagonal12 = (average + 2 * (nearRight + farLeft)) >> 3
            let diagonal03 = (average + 2 * (nearLeft + farRight)) >> 3
            let left = (diagonal12 + nearLeft) >> 1
            let right = (diagonal03 + nearRight) >> 1
            if plane == 0 {
              out[o + (2 * x - 1) * 4] = UInt8(truncatingIfNeeded: left)
              out[o + (2 * x) * 4] = UInt8(truncatingIfNeeded: right)
            } else {
              let (r1, g1, b1) = Self.toRGB(Int(y[ys + 2 * x - 1]), Int(out[o + (2 * x - 1) * 4]), left)
              let (r2, g2, b2) = Self.toRGB(Int(y[ys + 2 * x]), Int(out[o + (2 * x) * 4]), right)
              out[o + (2 * x - 1) * 4] = r1
              out[o + (2 * x - 1) * 4 + 1] = g1
              out[o + (2 * x - 1) * 4 + 2] = b1
              out[o + (2 * x) * 4] = r2
              out[o + (2 * x) * 4 + 1] = g2
              out[o + (2 * x) * 4 + 2] = b2
            }
          }
        }
      }
      if width & 1 == 0 {
        let x = (width - 1) >> 1
        emit(width - 1, (3 * near.0[x] + far.0[x] + 2) >> 2, (3 * near.1[x] + far.1[x] + 2) >> 2)
      }
    }
    loadChroma(0, &topU, &topV)
    line(0, (topU, topV), (topU, topV))
    var k = 1
    while 2 * k - 1 < height {
      if k < chromaHeight {
        loadChroma(k, &currentU, &currentV)
      } else {
        currentU = topU
        currentV = topV
      }
      line(2 * k - 1, (topU, topV), (currentU, currentV))
      if 2 * k < height { line(2 * k, (currentU, currentV), (topU, topV)) }
      topU = currentU
      topV = currentV
      k += 1
    }
    if let alpha {
      for i in 0..<(width * height) { out[i * 4 + 3] = alpha[i] }
    }
    return out
  }
}
