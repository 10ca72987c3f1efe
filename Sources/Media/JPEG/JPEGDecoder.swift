/// JPEG to RGBA: baseline, extended (8-bit) and progressive Huffman-coded frames, any sampling
/// factors (4:4:4, 4:2:2, 4:2:0, 4:1:1, 4:4:0…), restart intervals, greyscale, RGB and Adobe
/// CMYK/YCCK. Chroma is enlarged with the "fancy" triangle filter libjpeg uses for 2× factors, so
/// pixels come out as Pillow's do.
public enum JPEGDecoder {
  public static func decode(
    _ bytes: [UInt8], limits: DecodeLimits = .standard
  ) throws(ImageDecodeError) -> RGBAImage {
    var decoder = JPEGStream(data: bytes, limits: limits)
    try decoder.run()
    return try decoder.image()
  }
}

struct JPEGComponent {
  var id: Int
  var h: Int
  var v: Int
  var quantTable: Int
  var blocksPerLine = 0
  var blocksPerColumn = 0
  /// Coefficients of every block in zig-zag order, 64 a block, rows of `blocksPerLine`.
  var coefficients: [Int32] = []
  var dcTable = 0
  var acTable = 0
  var prediction: Int32 = 0
}

struct JPEGHuffman {
  /// 9-bit prefix → `symbol << 4 | length`, 0 when the code is longer than 9 bits.
  var lookup = [UInt16](repeating: 0, count: 512)
  var maxCode = [Int32](repeating: -1, count: 18)
  var valueOffset = [Int32](repeating: 0, count: 17)
  var values: [UInt8] = []

  init() {}

  init(counts: [Int], values: [UInt8]) throws(ImageDecodeError) {
    self.values = values
    var code: Int32 = 0
    var k: Int32 = 0
    for length in 1...16 {
      valueOffset[length] = k - code
      let count = Int32(counts[length - 1])
      if count > 0 {
        for i in 0..<count where length <= 9 {
          let c = Int(code + i)
          let shift = 9 - length
          guard c < 1 << length else { throw .corrupt(.jpeg, reason: "over-subscribed Huffman table") }
          let entry = UInt16(Int(values[Int(k + i)]) << 4 | length)
          for fill in 0..<(1 << shift) { lookup[c << shift | fill] = entry }
        }
        k += count
        code += count
        maxCode[length] = code - 1
      }
      code <<= 1
    }
    maxCode[17] = Int32.max
  }
}

struct JPEGBitReader {
  let data: [UInt8]
  var position: Int
  var buffer: UInt32 = 0
  var count = 0
  /// Zero bytes supplied after a marker or the end of data; many mean the data ran out.
  var phantom = 0

  @inline(__always) mutating func fill() {
    while count <= 24 {
      var byte: UInt8 = 0
      if position < data.count, phantom == 0 {
        byte = data[position]
        if byte == 0xFF {
          let next = position + 1 < data.count ? data[position + 1] : 0xD9
          if next == 0 {
            position += 2
          } else {
            byte = 0
            phantom += 1
          }
        } else {
          position += 1
        }
      } else {
        phantom += 1
      }
      buffer |= UInt32(byte) << UInt32(24 - count)
      count += 8
    }
  }

  @inline(__always) mutating func check() throws(ImageDecodeError) {
    if phantom > 16 { throw .truncated(.jpeg, offset: position) }
  }

  @inline(__always) mutating func bits(_ n: Int) throws(ImageDecodeError) -> Int32 {
    if n == 0 { return 0 }
    if count < n { fill() }
    let value = Int32(buffer >> UInt32(32 - n))
    buffer <<= UInt32(n)
    count -= n
    try check()
    return value
  }

  @inline(__always) mutating func bit() throws(ImageDecodeError) -> Bool { try bits(1) != 0 }

  @inline(__always) mutating func extend(_ n: Int) throws(ImageDecodeError) -> Int32 {
    if n == 0 { return 0 }
    let value = try bits(n)
    return value < Int32(1) << Int32(n - 1) ? value - (Int32(1) << Int32(n)) + 1 : value
  }

  @inline(__always) mutating func decode(_ table: JPEGHuffman) throws(ImageDecodeError) -> Int {
    if count < 16 { fill() }
    let entry = Int(table.lookup[Int(buffer >> 23)])
    if entry != 0 {
      let length = entry & 15
      buffer <<= UInt32(length)
      count -= length
      try check()
      return entry >> 4
    }
    var length = 10
    while length <= 16 {
      let code = Int32(buffer >> UInt32(32 - length))
      if code <= table.maxCode[length] {
        buffer <<= UInt32(length)
        count -= length
        try check()
        let index = Int(code + table.valueOffset[length])
        guard index >= 0, index < table.values.count else {
          throw .corrupt(.jpeg, reason: "bad Huffman code")
        }
        return Int(table.values[index])
      }
      length += 1
    }
    try check()
    throw .corrupt(.jpeg, reason: "bad Huffman code")
  }

  /// Skips to the byte after a restart marker and starts a fresh bit buffer.
  mutating func restart() throws(ImageDecodeError) {
    buffer = 0
    count = 0
    phantom = 0
    while position + 1 < data.count {
      if data[position] == 0xFF, (0xD0...0xD7).contains(data[position + 1]) {
        position += 2
        return
      }
      if data[position] == 0xFF, data[position + 1] != 0, data[position + 1] != 0xFF { return }
      position += 1
    }
    throw .truncated(.jpeg, offset: position)
  }
}

struct JPEGStream {
  let data: [UInt8]
  let limits: DecodeLimits
  var position = 2
  var width = 0
  var height = 0
  var progressive = false
  var components: [JPEGComponent] = []
  var quantTables = [[Int32]](repeating: [Int32](repeating: 1, count: 64), count: 4)
  var dcTables = [JPEGHuffman](repeating: JPEGHuffman(), count: 4)
  var acTables = [JPEGHuffman](repeating: JPEGHuffman(), count: 4)
  var restartInterval = 0
  var adobeTransform: Int?
  var maxH = 1
  var maxV = 1
  var mcusPerLine = 0
  var mcusPerColumn = 0
  var scans = 0
  var eobRun = 0

  init(data: [UInt8], limits: DecodeLimits) {
    self.data = data
    self.limits = limits
  }

  mutating func run() throws(ImageDecodeError) {
    guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else {
      throw .unknownFormat(head: Array(data.prefix(8)))
    }
    while true {
      // Find the next marker; fill bytes (0xFF repeated) are allowed before it.
      while position < data.count && data[position] != 0xFF { position += 1 }
      while position < data.count && data[position] == 0xFF { position += 1 }
      guard position < data.count else {
        if scans > 0 { return }
        throw .truncated(.jpeg, offset: position)
      }
      let marker = data[position]
      position += 1
      switch marker {
      case 0xD9: return
      case 0xD0...0xD7, 0x01: continue
      default: break
      }
      guard position + 2 <= data.count else { throw .truncated(.jpeg, offset: position) }
      let length = Int(data[position]) << 8 | Int(data[position + 1])
      guard length >= 2, position + length <= data.count else {
        if scans > 0 { return }
        throw .truncated(.jpeg, offset: position)
      }
      let segment = Array(data[(position + 2)..<(position + length)])
      position += length
      switch marker {
      case 0xC0, 0xC1, 0xC2: try readFrame(segment, progressive: marker == 0xC2)
      case 0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
        throw .unsupported(
          .jpeg, feature: marker >= 0xC9 ? "arithmetic coding" : "lossless or hierarchical JPEG")
      case 0xC4: try readHuffmanTables(segment)
      case 0xDB: try readQuantTables(segment)
      case 0xDD:
        guard segment.count >= 2 else { throw .corrupt(.jpeg, reason: "short DRI") }
        restartInterval = Int(segment[0]) << 8 | Int(segment[1])
      case 0xEE:
        if segment.count >= 12, segment.starts(with: Array("Adobe".utf8)) {
          adobeTransform = Int(segment[11])
        }
      case 0xDA:
        try readScan(segment)
        scans += 1
      default: break
      }
    }
  }

  mutating func readFrame(_ s: [UInt8], progressive: Bool) throws(ImageDecodeError) {
    guard components.isEmpty else { throw .corrupt(.jpeg, reason: "a second frame header") }
    guard s.count >= 6 else { throw .corrupt(.jpeg, reason: "short frame header") }
    guard s[0] == 8 else { throw .unsupported(.jpeg, feature: "\(s[0])-bit samples") }
    self.progressive = progressive
    height = Int(s[1]) << 8 | Int(s[2])
    width = Int(s[3]) << 8 | Int(s[4])
    let count = Int(s[5])
    guard height > 0 else { throw .unsupported(.jpeg, feature: "a height given by a DNL marker") }
    try limits.check(width: width, height: height, format: .jpeg)
    guard count == 1 || count == 3 || count == 4, s.count >= 6 + count * 3 else {
      throw .corrupt(.jpeg, reason: "\(count) components")
    }
    for i in 0..<count {
      let h = Int(s[7 + i * 3] >> 4)
      let v = Int(s[7 + i * 3] & 15)
      let q = Int(s[8 + i * 3])
      guard (1...4).contains(h), (1...4).contains(v), q < 4 else {
        throw .corrupt(.jpeg, reason: "sampling \(h)×\(v) or table \(q)")
      }
      components.append(JPEGComponent(id: Int(s[6 + i * 3]), h: h, v: v, quantTable: q))
    }
    maxH = components.map(\.h).max() ?? 1
    maxV = components.map(\.v).max() ?? 1
    mcusPerLine = (width + 8 * maxH - 1) / (8 * maxH)
    mcusPerColumn = (height + 8 * maxV - 1) / (8 * maxV)
    for i in components.indices {
      components[i].blocksPerLine = mcusPerLine * components[i].h
      components[i].blocksPerColumn = mcusPerColumn * components[i].v
      components[i].coefficients = [Int32](
        repeating: 0, count: components[i].blocksPerLine * components[i].blocksPerColumn * 64)
    }
  }

  mutating func readHuffmanTables(_ s: [UInt8]) throws(ImageDecodeError) {
    var i = 0
    while i + 17 <= s.count {
      let kind = s[i] >> 4
      let index = Int(s[i] & 15)
      let counts = (0..<16).map { Int(s[i + 1 + $0]) }
      let total = counts.reduce(0, +)
      guard index < 4, kind <= 1, i + 17 + total <= s.count, total <= 256 else {
        throw .corrupt(.jpeg, reason: "bad Huffman table")
      }
      let table = try JPEGHuffman(counts: counts, values: Array(s[(i + 17)..<(i + 17 + total)]))
      if kind == 0 { dcTables[index] = table } else { acTables[index] = table }
      i += 17 + total
    }
  }

  mutating func readQuantTables(_ s: [UInt8]) throws(ImageDecodeError) {
    var i = 0
    while i < s.count {
      let precision = Int(s[i] >> 4)
      let index = Int(s[i] & 15)
      let size = precision == 0 ? 64 : 128
      guard index < 4, i + 1 + size <= s.count else {
        throw .corrupt(.jpeg, reason: "bad quantisation table")
      }
      quantTables[index] = (0..<64).map { k in
        precision == 0 ? Int32(s[i + 1 + k]) : Int32(s[i + 1 + 2 * k]) << 8 | Int32(s[i + 2 + 2 * k])
      }
      i += 1 + size
    }
  }

  mutating func readScan(_ s: [UInt8]) throws(ImageDecodeError) {
    guard !components.isEmpty else { throw .corrupt(.jpeg, reason: "a scan before the frame header") }
    guard let count = s.first.map(Int.init), count >= 1, count <= 4, s.count >= 4 + count * 2 else {
      throw .corrupt(.jpeg, reason: "bad scan header")
    }
    var scanComponents: [Int] = []
    for i in 0..<count {
      let id = Int(s[1 + i * 2])
      guard let index = components.firstIndex(where: { $0.id == id }) else {
        throw .corrupt(.jpeg, reason: "scan names component \(id)")
      }
      components[index].dcTable = Int(s[2 + i * 2] >> 4) & 3
      components[index].acTable = Int(s[2 + i * 2] & 15) & 3
      components[index].prediction = 0
      scanComponents.append(index)
    }
    let spectralStart = Int(s[1 + count * 2])
    let spectralEnd = min(63, Int(s[2 + count * 2]))
    let approximationHigh = Int(s[3 + count * 2] >> 4)
    let approximationLow = Int(s[3 + count * 2] & 15)
    if !progressive, spectralStart != 0 || approximationHigh != 0 {
      throw .corrupt(.jpeg, reason: "progressive scan parameters in a sequential frame")
    }
    guard spectralStart <= spectralEnd, approximationLow < 14 else {
      throw .corrupt(.jpeg, reason: "scan parameters")
    }

    var reader = JPEGBitReader(data: data, position: position)
    eobRun = 0
    let blockDecoder: (inout JPEGStream, inout JPEGBitReader, Int, Int) throws(ImageDecodeError) -> Void
    if !progressive {
      blockDecoder = {
        (
          stream: inout JPEGStream, reader: inout JPEGBitReader, c: Int, offset: Int
        ) throws(ImageDecodeError)
        in
        try stream.decodeBaseline(&reader, c, offset)
      }
    } else if spectralStart == 0 {
      blockDecoder = {
        (
          stream: inout JPEGStream, reader: inout JPEGBitReader, c: Int, offset: Int
        ) throws(ImageDecodeError)
        in
        try stream.decodeDC(&reader, c, offset, refine: approximationHigh != 0, shift: approximationLow)
      }
    } else if approximationHigh == 0 {
      blockDecoder = {
        (
          stream: inout JPEGStream, reader: inout JPEGBitReader, c: Int, offset: Int
        ) throws(ImageDecodeError)
        in
        try stream.decodeACFirst(&reader, c, offset, spectralStart, spectralEnd, approximationLow)
      }
    } else {
      blockDecoder = {
        (
          stream: inout JPEGStream, reader: inout JPEGBitReader, c: Int, offset: Int
        ) throws(ImageDecodeError)
        in
        try stream.decodeACRefine(&reader, c, offset, spectralStart, spectralEnd, approximationLow)
      }
    }

    var unitsSinceRestart = 0
    func restartIfDue(_ stream: inout JPEGStream, _ reader: inout JPEGBitReader) throws(ImageDecodeError) {
      guard stream.restartInterval > 0 else { return }
      unitsSinceRestart += 1
      if unitsSinceRestart == stream.restartInterval {
        unitsSinceRestart = 0
        try reader.restart()
        stream.eobRun = 0
        for c in scanComponents { stream.components[c].prediction = 0 }
      }
    }

    if scanComponents.count == 1 {
      // A non-interleaved scan covers the component's own blocks, not whole MCUs.
      // Only numbers are kept from the component: a copy of it would share its coefficients and
      // make every write below copy them all.
      let c = scanComponents[0]
      let (h, v, blocksPerLine) = (components[c].h, components[c].v, components[c].blocksPerLine)
      let componentWidth = (width * h + maxH - 1) / maxH
      let componentHeight = (height * v + maxV - 1) / maxV
      let blocksX = (componentWidth + 7) / 8
      let blocksY = (componentHeight + 7) / 8
      for by in 0..<blocksY {
        for bx in 0..<blocksX {
          try blockDecoder(&self, &reader, c, (by * blocksPerLine + bx) * 64)
          try restartIfDue(&self, &reader)
        }
      }
    } else {
      for my in 0..<mcusPerColumn {
        for mx in 0..<mcusPerLine {
          for c in scanComponents {
            let (ch, cv, blocksPerLine) = (components[c].h, components[c].v, components[c].blocksPerLine)
            for v in 0..<cv {
              for h in 0..<ch {
                let row = my * cv + v
                let column = mx * ch + h
                try blockDecoder(&self, &reader, c, (row * blocksPerLine + column) * 64)
              }
            }
          }
          try restartIfDue(&self, &reader)
        }
      }
    }
    position = reader.position
  }

  mutating func decodeBaseline(
    _ reader: inout JPEGBitReader, _ c: Int, _ offset: Int
  ) throws(ImageDecodeError) {
    let dc = dcTables[components[c].dcTable]
    let ac = acTables[components[c].acTable]
    let t = try reader.decode(dc)
    guard t <= 16 else { throw .corrupt(.jpeg, reason: "DC magnitude \(t)") }
    components[c].prediction &+= try reader.extend(t)
    components[c].coefficients[offset] = components[c].prediction
    var k = 1
    while k < 64 {
      let rs = try reader.decode(ac)
      let s = rs & 15
      let r = rs >> 4
      if s == 0 {
        if r == 15 {
          k += 16
          continue
        }
        break
      }
      k += r
      guard k < 64 else { throw .corrupt(.jpeg, reason: "coefficient past the block") }
      components[c].coefficients[offset + k] = try reader.extend(s)
      k += 1
    }
  }

  mutating func decodeDC(
    _ reader: inout JPEGBitReader, _ c: Int, _ offset: Int, refine: Bool, shift: Int
  )
    throws(ImageDecodeError)
  {
    if refine {
      if try reader.bit() { components[c].coefficients[offset] |= 1 << Int32(shift) }
      return
    }
    let t = try reader.decode(dcTables[components[c].dcTable])
    guard t <= 16 else { throw .corrupt(.jpeg, reason: "DC magnitude \(t)") }
    components[c].prediction &+= try reader.extend(t)
    components[c].coefficients[offset] = components[c].prediction << Int32(shift)
  }

  mutating func decodeACFirst(
    _ reader: inout JPEGBitReader, _ c: Int, _ offset: Int, _ start: Int, _ end: Int, _ shift: Int
  )
    throws(ImageDecodeError)
  {
    if eobRun > 0 {
      eobRun -= 1
      return
    }
    let ac = acTables[components[c].acTable]
    var k = start
    while k <= end {
      let rs = try reader.decode(ac)
      let s = rs & 15
      let r = rs >> 4
      if s == 0 {
        if r < 15 {
          eobRun = (1 << r) - 1
          if r > 0 { eobRun += Int(try reader.bits(r)) }
          break
        }
        k += 16
        continue
      }
      k += r
      guard k <= 63 else { throw .corrupt(.jpeg, reason: "coefficient past the block") }
      components[c].coefficients[offset + k] = try reader.extend(s) * (1 << Int32(shift))
      k += 1
    }
  }

  mutating func decodeACRefine(
    _ reader: inout JPEGBitReader, _ c: Int, _ offset: Int, _ start: Int, _ end: Int, _ shift: Int
  ) throws(ImageDecodeError) {
    let p1 = Int32(1) << Int32(shift)
    let m1 = Int32(-1) * p1
    let ac = acTables[components[c].acTable]
    var k = start
    func refineExisting(
      _ reader: inout JPEGBitReader, _ stream: inout JPEGStream, _ index: Int
    ) throws(ImageDecodeError) {
      let value = stream.components[c].coefficients[index]
      if try reader.bit(), value & p1 == 0 {
        stream.components[c].coefficients[index] = value >= 0 ? value + p1 : value + m1
      }
    }
    if eobRun == 0 {
      while k <= end {
        let rs = try reader.decode(ac)
        var r = rs >> 4
        var s: Int32 = 0
        if rs & 15 != 0 {
          s = try reader.bit() ? p1 : m1
        } else if r != 15 {
          eobRun = 1 << r
          if r > 0 { eobRun += Int(try reader.bits(r)) }
          break
        }
        while k <= end {
          let index = offset + k
          if components[c].coefficients[index] != 0 {
            try refineExisting(&reader, &self, index)
          } else {
            r -= 1
            if r < 0 { break }
          }
          k += 1
        }
        if s != 0, k <= end { components[c].coefficients[offset + k] = s }
        k += 1
      }
    }
    if eobRun > 0 {
      while k <= end {
        if components[c].coefficients[offset + k] != 0 { try refineExisting(&reader, &self, offset + k) }
        k += 1
      }
      eobRun -= 1
    }
  }

  // MARK: - Pixels

  func image() throws(ImageDecodeError) -> RGBAImage {
    guard !components.isEmpty else { throw .truncated(.jpeg, offset: data.count) }
    guard scans > 0 else { throw .truncated(.jpeg, offset: data.count) }
    let planes = components.map { plane($0) }
    let full = components.indices.map { i in upsample(planes[i], components[i]) }
    var out = [UInt8](repeating: 255, count: width * height * 4)
    let n = width * height
    switch components.count {
    case 1:
      for i in 0..<n {
        let g = full[0][i]
        out[i * 4] = g
        out[i * 4 + 1] = g
        out[i * 4 + 2] = g
      }
    case 3:
      let isRGB =
        adobeTransform == 0
        || (adobeTransform == nil && components.map(\.id) == [0x52, 0x47, 0x42])
      for i in 0..<n {
        if isRGB {
          out[i * 4] = full[0][i]
          out[i * 4 + 1] = full[1][i]
          out[i * 4 + 2] = full[2][i]
        } else {
          let (r, g, b) = Self.ycc(full[0][i], full[1][i], full[2][i])
          out[i * 4] = r
          out[i * 4 + 1] = g
          out[i * 4 + 2] = b
        }
      }
    default:
      // Adobe writes CMYK inverted (Photoshop's convention); YCCK is YCbCr of the inverted CMY.
      for i in 0..<n {
        var c = Int(full[0][i])
        var m = Int(full[1][i])
        var y = Int(full[2][i])
        let k = Int(full[3][i])
        if adobeTransform == 2 {
          let (r, g, b) = Self.ycc(full[0][i], full[1][i], full[2][i])
          c = Int(r)
          m = Int(g)
          y = Int(b)
        }
        if adobeTransform != nil {
          out[i * 4] = UInt8((c * k + 127) / 255)
          out[i * 4 + 1] = UInt8((m * k + 127) / 255)
          out[i * 4 + 2] = UInt8((y * k + 127) / 255)
        } else {
          out[i * 4] = UInt8(((255 - c) * (255 - k) + 127) / 255)
          out[i * 4 + 1] = UInt8(((255 - m) * (255 - k) + 127) / 255)
          out[i * 4 + 2] = UInt8(((255 - y) * (255 - k) + 127) / 255)
        }
      }
    }
    return RGBAImage(width: width, height: height, pixels: out)
  }

  @inline(__always) static func ycc(_ y: UInt8, _ cb: UInt8, _ cr: UInt8) -> (UInt8, UInt8, UInt8) {
    // libjpeg's constants, in 16-bit fixed point.
    let yy = Int(y) << 16
    let b = Int(cb) - 128
    let r = Int(cr) - 128
    @inline(__always) func clamp(_ v: Int) -> UInt8 { UInt8(max(0, min(255, (v + 32768) >> 16))) }
    return (clamp(yy + 91881 * r), clamp(yy - 22554 * b - 46802 * r), clamp(yy + 116130 * b))
  }

  /// The component's samples at its own resolution: every block dequantised and inverse-transformed.
  func plane(_ component: JPEGComponent) -> [UInt8] {
    let stride = component.blocksPerLine * 8
    var out = [UInt8](repeating: 0, count: stride * component.blocksPerColumn * 8)
    let q = quantTables[component.quantTable]
    var block = [Float](repeating: 0, count: 64)
    var temp = [Float](repeating: 0, count: 64)
    component.coefficients.withUnsafeBufferPointer { coefficients in
      for by in 0..<component.blocksPerColumn {
        for bx in 0..<component.blocksPerLine {
          let offset = (by * component.blocksPerLine + bx) * 64
          for k in 0..<64 { block[Self.natural[k]] = Float(coefficients[offset + k] * q[k]) }
          Self.inverseDCT(&block, &temp)
          for y in 0..<8 {
            let row = (by * 8 + y) * stride + bx * 8
            for x in 0..<8 {
              out[row + x] = UInt8(max(0, min(255, (block[y * 8 + x] + 128).rounded())))
            }
          }
        }
      }
    }
    return out
  }

  static let natural: [Int] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
    14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
    60, 61,
    54, 47, 55, 62, 63,
  ]

  /// cos((2x + 1) u π / 16) · C(u) / 2, indexed [x * 8 + u].
  static let cosines: [Float] = {
    var table = [Float](repeating: 0, count: 64)
    // cos(nπ/16) for n = 0…31 from the exact values of the eight angles.
    let base: [Double] = [
      1, 0.9807852804032304, 0.9238795325112867, 0.8314696123025452, 0.7071067811865476, 0.5555702330196022,
      0.3826834323650898, 0.19509032201612825,
    ]
    func cosine(_ n: Int) -> Double {
      let m = n % 32
      switch m {
      case 0..<8: return base[m]
      case 8: return 0
      case 9..<16: return -base[16 - m]
      case 16..<24: return -base[m - 16]
      case 24: return 0
      default: return base[32 - m]
      }
    }
    for x in 0..<8 {
      for u in 0..<8 {
        let scale = u == 0 ? 0.3535533905932738 : 0.5
        table[x * 8 + u] = Float(scale * cosine((2 * x + 1) * u))
      }
    }
    return table
  }()

  static func inverseDCT(_ block: inout [Float], _ temp: inout [Float]) {
    let c = cosines
    // Rows, then columns; a row of zero AC terms is its DC term everywhere.
    for y in 0..<8 {
      let r = y * 8
      var allZero = true
      for u in 1..<8 where block[r + u] != 0 {
        allZero = false
        break
      }
      if allZero {
        let value = block[r] * c[0]
        for x in 0..<8 { temp[r + x] = value }
        continue
      }
      for x in 0..<8 {
        var sum: Float = 0
        for u in 0..<8 { sum += c[x * 8 + u] * block[r + u] }
        temp[r + x] = sum
      }
    }
    for x in 0..<8 {
      for y in 0..<8 {
        var sum: Float = 0
        for v in 0..<8 { sum += c[y * 8 + v] * temp[v * 8 + x] }
        block[y * 8 + x] = sum
      }
    }
  }

  /// The component at full image size: 2× factors use libjpeg's fancy (triangle) filter, others
  /// repeat samples.
  func upsample(_ plane: [UInt8], _ component: JPEGComponent) -> [UInt8] {
    let stride = component.blocksPerLine * 8
    let sx = maxH / component.h
    let sy = maxV / component.v
    let cw = (width * component.h + maxH - 1) / maxH
    let ch = (height * component.v + maxV - 1) / maxV
    var out = [UInt8](repeating: 0, count: width * height)
    let fancyH = sx == 2 && maxH % component.h == 0
    let fancyV = sy == 2 && maxV % component.v == 0
    if sx == 1 && sy == 1 {
      for y in 0..<height {
        for x in 0..<width { out[y * width + x] = plane[y * stride + x] }
      }
      return out
    }
    @inline(__always) func at(_ x: Int, _ y: Int) -> Int {
      Int(plane[min(ch - 1, max(0, y)) * stride + min(cw - 1, max(0, x))])
    }
    if fancyH && fancyV {
      for y in 0..<height {
        let sourceRow = y / 2
        let neighbour = y % 2 == 0 ? sourceRow - 1 : sourceRow + 1
        for x in 0..<width {
          let sourceColumn = x / 2
          let this = at(sourceColumn, sourceRow) * 3 + at(sourceColumn, neighbour)
          let value: Int
          if x % 2 == 0 {
            value =
              sourceColumn == 0
              ? (this * 4 + 8) >> 4
              : (this * 3 + at(sourceColumn - 1, sourceRow) * 3 + at(sourceColumn - 1, neighbour) + 8) >> 4
          } else {
            value =
              sourceColumn >= cw - 1
              ? (this * 4 + 7) >> 4
              : (this * 3 + at(sourceColumn + 1, sourceRow) * 3 + at(sourceColumn + 1, neighbour) + 7) >> 4
          }
          out[y * width + x] = UInt8(value)
        }
      }
    } else if fancyH && sy == 1 {
      for y in 0..<height {
        for x in 0..<width {
          let s = x / 2
          let value: Int
          if x % 2 == 0 {
            value = s == 0 ? at(0, y) : (at(s, y) * 3 + at(s - 1, y) + 1) >> 2
          } else {
            value = s >= cw - 1 ? at(s, y) : (at(s, y) * 3 + at(s + 1, y) + 2) >> 2
          }
          out[y * width + x] = UInt8(value)
        }
      }
    } else if fancyV && sx == 1 {
      for y in 0..<height {
        let s = y / 2
        let neighbour = y % 2 == 0 ? s - 1 : s + 1
        let bias = y % 2 == 0 ? 1 : 2
        for x in 0..<width { out[y * width + x] = UInt8((at(x, s) * 3 + at(x, neighbour) + bias) >> 2) }
      }
    } else {
      for y in 0..<height {
        for x in 0..<width { out[y * width + x] = UInt8(at(x / sx, y / sy)) }
      }
    }
    return out
  }
}
