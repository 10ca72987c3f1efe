/// WEBP's lossless bitstream (VP8L): prefix-coded ARGB with backward references and a colour
/// cache, under the predictor, colour, subtract-green and colour-indexing transforms.
enum VP8LDecoder {
  /// A whole VP8L chunk: its 5-byte header (signature, size, alpha hint), then the image.
  static func decode(
    _ data: [UInt8], limits: DecodeLimits
  ) throws(ImageDecodeError) -> (width: Int, height: Int, argb: [UInt32]) {
    guard data.count >= 5, data[0] == 0x2F else { throw .corrupt(.webp, reason: "no VP8L signature") }
    var reader = Inflate.BitReader(bytes: data, position: 1)
    let width = try bits(&reader, 14) + 1
    let height = try bits(&reader, 14) + 1
    _ = try bits(&reader, 1)
    guard try bits(&reader, 3) == 0 else { throw .unsupported(.webp, feature: "VP8L version other than 0") }
    try limits.check(width: width, height: height, format: .webp)
    return (width, height, try decodeImage(&reader, width: width, height: height))
  }

  /// The image stream alone, as the ALPH chunk stores it (the size comes from the frame).
  static func decodeStream(
    _ data: [UInt8], from start: Int, width: Int, height: Int
  ) throws(ImageDecodeError) -> [UInt32] {
    var reader = Inflate.BitReader(bytes: data, position: start)
    return try decodeImage(&reader, width: width, height: height)
  }

  @inline(__always) static func bits(
    _ reader: inout Inflate.BitReader, _ n: Int
  ) throws(ImageDecodeError) -> Int {
    do {
      return try reader.bits(n)
    } catch {
      throw .truncated(.webp, offset: reader.position)
    }
  }

  enum Transform {
    case predictor(bits: Int, image: [UInt32])
    case colour(bits: Int, image: [UInt32])
    case subtractGreen
    case colourIndexing(table: [UInt32], bits: Int)
  }

  static func decodeImage(
    _ reader: inout Inflate.BitReader, width: Int, height: Int
  ) throws(ImageDecodeError) -> [UInt32] {
    var transforms: [(Transform, Int)] = []
    var codedWidth = width
    var seen = Set<Int>()
    while try bits(&reader, 1) == 1 {
      let type = try bits(&reader, 2)
      guard seen.insert(type).inserted else { throw .corrupt(.webp, reason: "a transform used twice") }
      switch type {
      case 0, 1:
        let sizeBits = try bits(&reader, 3) + 2
        let image = try entropyImage(
          &reader, width: subsampled(codedWidth, sizeBits), height: subsampled(height, sizeBits))
        transforms.append(
          (
            type == 0 ? .predictor(bits: sizeBits, image: image) : .colour(bits: sizeBits, image: image),
            codedWidth
          ))
      case 2:
        transforms.append((.subtractGreen, codedWidth))
      default:
        let size = try bits(&reader, 8) + 1
        var table = try entropyImage(&reader, width: size, height: 1)
        for i in 1..<max(1, table.count) { table[i] = addPixels(table[i], table[i - 1]) }
        let packing = size <= 2 ? 3 : size <= 4 ? 2 : size <= 16 ? 1 : 0
        transforms.append((.colourIndexing(table: table, bits: packing), codedWidth))
        codedWidth = subsampled(codedWidth, packing)
      }
    }
    var pixels = try spatialImage(&reader, width: codedWidth, height: height, main: true)
    for (transform, transformWidth) in transforms.reversed() {
      pixels = try apply(transform, pixels, width: transformWidth, height: height)
    }
    return pixels
  }

  @inline(__always) static func subsampled(_ size: Int, _ bits: Int) -> Int {
    (size + (1 << bits) - 1) >> bits
  }

  static func entropyImage(
    _ reader: inout Inflate.BitReader, width: Int, height: Int
  ) throws(ImageDecodeError) -> [UInt32] {
    try spatialImage(&reader, width: width, height: height, main: false)
  }

  /// A prefix code; a code with one used symbol takes no bits.
  struct Code {
    var single: Int?
    var table: Inflate.Huffman?

    init(lengths: [Int]) throws(ImageDecodeError) {
      let used = lengths.indices.filter { lengths[$0] > 0 }
      if used.count <= 1 {
        single = used.first ?? 0
        return
      }
      do {
        table = try Inflate.Huffman(lengths: lengths)
      } catch {
        throw .corrupt(.webp, reason: "bad prefix code")
      }
    }

    @inline(__always) func read(_ reader: inout Inflate.BitReader) throws(ImageDecodeError) -> Int {
      if let single { return single }
      guard let table else { return 0 }
      do {
        return try table.decode(&reader)
      } catch {
        throw .corrupt(.webp, reason: "bad prefix code")
      }
    }
  }

  static let codeLengthOrder = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]

  static func readCode(_ reader: inout Inflate.BitReader, alphabet: Int) throws(ImageDecodeError) -> Code {
    var lengths = [Int](repeating: 0, count: alphabet)
    if try bits(&reader, 1) == 1 {
      let count = try bits(&reader, 1) + 1
      let first = try bits(&reader, try bits(&reader, 1) == 1 ? 8 : 1)
      guard first < alphabet else { throw .corrupt(.webp, reason: "symbol past the alphabet") }
      lengths[first] = 1
      if count == 2 {
        let second = try bits(&reader, 8)
        guard second < alphabet else { throw .corrupt(.webp, reason: "symbol past the alphabet") }
        lengths[second] = 1
      }
      return try Code(lengths: lengths)
    }
    var lengthLengths = [Int](repeating: 0, count: 19)
    let count = try bits(&reader, 4) + 4
    guard count <= 19 else { throw .corrupt(.webp, reason: "code length count") }
    for i in 0..<count { lengthLengths[codeLengthOrder[i]] = try bits(&reader, 3) }
    let lengthCode = try Code(lengths: lengthLengths)
    var maxSymbol = alphabet
    if try bits(&reader, 1) == 1 {
      let lengthBits = 2 + 2 * (try bits(&reader, 3))
      maxSymbol = 2 + (try bits(&reader, lengthBits))
      guard maxSymbol <= alphabet else { throw .corrupt(.webp, reason: "max symbol past the alphabet") }
    }
    var symbol = 0
    var previous = 8
    while symbol < alphabet {
      if maxSymbol == 0 { break }
      maxSymbol -= 1
      let length = try lengthCode.read(&reader)
      if length < 16 {
        lengths[symbol] = length
        symbol += 1
        if length != 0 { previous = length }
        continue
      }
      let (extraBits, offset, value) = length == 16 ? (2, 3, previous) : length == 17 ? (3, 3, 0) : (7, 11, 0)
      let repeatCount = try bits(&reader, extraBits) + offset
      guard symbol + repeatCount <= alphabet else { throw .corrupt(.webp, reason: "code lengths overrun") }
      for _ in 0..<repeatCount {
        lengths[symbol] = value
        symbol += 1
      }
    }
    return try Code(lengths: lengths)
  }

  struct Group {
    var green: Code
    var red: Code
    var blue: Code
    var alpha: Code
    var distance: Code
  }

  static func spatialImage(
    _ reader: inout Inflate.BitReader, width: Int, height: Int, main: Bool
  ) throws(ImageDecodeError) -> [UInt32] {
    var cacheBits = 0
    if try bits(&reader, 1) == 1 {
      cacheBits = try bits(&reader, 4)
      guard (1...11).contains(cacheBits) else {
        throw .corrupt(.webp, reason: "colour cache size \(cacheBits)")
      }
    }
    var groupBits = 0
    var groupImage: [UInt32] = []
    var groupCount = 1
    if main, try bits(&reader, 1) == 1 {
      groupBits = try bits(&reader, 3) + 2
      groupImage = try entropyImage(
        &reader, width: subsampled(width, groupBits), height: subsampled(height, groupBits))
      groupCount = Int(groupImage.map { $0 >> 8 & 0xFFFF }.max() ?? 0) + 1
    }
    let cacheSize = cacheBits > 0 ? 1 << cacheBits : 0
    var groups: [Group] = []
    for _ in 0..<groupCount {
      groups.append(
        Group(
          green: try readCode(&reader, alphabet: 256 + 24 + cacheSize),
          red: try readCode(&reader, alphabet: 256),
          blue: try readCode(&reader, alphabet: 256), alpha: try readCode(&reader, alphabet: 256),
          distance: try readCode(&reader, alphabet: 40)))
    }
    let total = width * height
    var out = [UInt32](repeating: 0, count: total)
    var cache = [UInt32](repeating: 0, count: max(1, cacheSize))
    var cached = 0
    let groupWidth = groupBits > 0 ? subsampled(width, groupBits) : 0
    var i = 0
    func insertCache(upTo end: Int) {
      guard cacheBits > 0 else { return }
      while cached < end {
        let pixel = out[cached]
        cache[Int((0x1E35_A7BD &* pixel) >> UInt32(32 - cacheBits))] = pixel
        cached += 1
      }
    }
    while i < total {
      let group: Group
      if groupBits > 0 {
        let x = i % width
        let y = i / width
        group = groups[Int(groupImage[(y >> groupBits) * groupWidth + (x >> groupBits)] >> 8 & 0xFFFF)]
      } else {
        group = groups[0]
      }
      let symbol = try group.green.read(&reader)
      if symbol < 256 {
        let red = try group.red.read(&reader)
        let blue = try group.blue.read(&reader)
        let alpha = try group.alpha.read(&reader)
        out[i] = UInt32(alpha) << 24 | UInt32(red) << 16 | UInt32(symbol) << 8 | UInt32(blue)
        i += 1
      } else if symbol < 256 + 24 {
        let length = try prefixValue(&reader, symbol - 256)
        let distanceSymbol = try group.distance.read(&reader)
        let code = try prefixValue(&reader, distanceSymbol)
        var distance: Int
        if code > 120 {
          distance = code - 120
        } else {
          let (dx, dy) = distanceMap[code - 1]
          distance = max(1, dx + dy * width)
        }
        guard distance <= i, i + length <= total else {
          throw .corrupt(.webp, reason: "backward reference out of range")
        }
        for k in 0..<length { out[i + k] = out[i + k - distance] }
        i += length
      } else {
        insertCache(upTo: i)
        let index = symbol - 280
        guard index < cacheSize else { throw .corrupt(.webp, reason: "colour cache index") }
        out[i] = cache[index]
        i += 1
      }
      insertCache(upTo: i)
    }
    return out
  }

  @inline(__always) static func prefixValue(
    _ reader: inout Inflate.BitReader, _ prefix: Int
  ) throws(ImageDecodeError) -> Int {
    if prefix < 4 { return prefix + 1 }
    let extra = (prefix - 2) >> 1
    guard extra < 24 else { throw .corrupt(.webp, reason: "prefix \(prefix)") }
    let offset = (2 + (prefix & 1)) << extra
    return offset + (try bits(&reader, extra)) + 1
  }

  static let distanceMap: [(Int, Int)] = [
    (0, 1), (1, 0), (1, 1), (-1, 1), (0, 2), (2, 0), (1, 2), (-1, 2), (2, 1), (-2, 1), (2, 2), (-2, 2),
    (0, 3),
    (3, 0), (1, 3), (-1, 3), (3, 1), (-3, 1), (2, 3), (-2, 3), (3, 2), (-3, 2), (0, 4), (4, 0), (1, 4),
    (-1, 4),
    (4, 1), (-4, 1), (3, 3), (-3, 3), (2, 4), (-2, 4), (4, 2), (-4, 2), (0, 5), (3, 4), (-3, 4), (4, 3),
    (-4, 3),
    (5, 0), (1, 5), (-1, 5), (5, 1), (-5, 1), (2, 5), (-2, 5), (5, 2), (-5, 2), (4, 4), (-4, 4), (3, 5),
    (-3, 5),
    (5, 3), (-5, 3), (0, 6), (6, 0), (1, 6), (-1, 6), (6, 1), (-6, 1), (2, 6), (-2, 6), (6, 2), (-6, 2),
    (4, 5),
    (-4, 5), (5, 4), (-5, 4), (3, 6), (-3, 6), (6, 3), (-6, 3), (0, 7), (7, 0), (1, 7), (-1, 7), (5, 5),
    (-5, 5),
    (7, 1), (-7, 1), (4, 6), (-4, 6), (6, 4), (-6, 4), (2, 7), (-2, 7), (7, 2), (-7, 2), (3, 7), (-3, 7),
    (7, 3),
    (-7, 3), (5, 6), (-5, 6), (6, 5), (-6, 5), (8, 0), (4, 7), (-4, 7), (7, 4), (-7, 4), (8, 1), (8, 2),
    (6, 6),
    (-6, 6), (8, 3), (5, 7), (-5, 7), (7, 5), (-7, 5), (8, 4), (6, 7), (-6, 7), (7, 6), (-7, 6), (8, 5),
    (7, 7),
    (-7, 7), (8, 6), (8, 7),
  ]

  // MARK: - Transforms

  @inline(__always) static func addPixels(_ a: UInt32, _ b: UInt32) -> UInt32 {
    let alphaGreen = (a & 0xFF00_FF00) &+ (b & 0xFF00_FF00)
    let redBlue = (a & 0x00FF_00FF) &+ (b & 0x00FF_00FF)
    return (alphaGreen & 0xFF00_FF00) | (redBlue & 0x00FF_00FF)
  }

  @inline(__always) static func average(_ a: UInt32, _ b: UInt32) -> UInt32 {
    (((a ^ b) & 0xFEFE_FEFE) >> 1) &+ (a & b)
  }

  @inline(__always) static func channel(_ p: UInt32, _ shift: UInt32) -> Int { Int(p >> shift & 0xFF) }

  static func select(_ left: UInt32, _ top: UInt32, _ topLeft: UInt32) -> UInt32 {
    var predictLeft = 0
    var predictTop = 0
    for shift: UInt32 in [24, 16, 8, 0] {
      let l = channel(left, shift)
      let t = channel(top, shift)
      let tl = channel(topLeft, shift)
      predictLeft += abs(t - tl)
      predictTop += abs(l - tl)
    }
    return predictLeft < predictTop ? left : top
  }

  static func clampAddSubtractFull(_ a: UInt32, _ b: UInt32, _ c: UInt32) -> UInt32 {
    var out: UInt32 = 0
    for shift: UInt32 in [24, 16, 8, 0] {
      let v = max(0, min(255, channel(a, shift) + channel(b, shift) - channel(c, shift)))
      out |= UInt32(v) << shift
    }
    return out
  }

  static func clampAddSubtractHalf(_ a: UInt32, _ b: UInt32) -> UInt32 {
    var out: UInt32 = 0
    for shift: UInt32 in [24, 16, 8, 0] {
      let x = channel(a, shift)
      let v = max(0, min(255, x + (x - channel(b, shift)) / 2))
      out |= UInt32(v) << shift
    }
    return out
  }

  static func predict(
    _ mode: Int, _ left: UInt32, _ top: UInt32, _ topRight: UInt32, _ topLeft: UInt32
  ) -> UInt32 {
    switch mode {
    case 0: return 0xFF00_0000
    case 1: return left
    case 2: return top
    case 3: return topRight
    case 4: return topLeft
    case 5: return average(average(left, topRight), top)
    case 6: return average(left, topLeft)
    case 7: return average(left, top)
    case 8: return average(topLeft, top)
    case 9: return average(top, topRight)
    case 10: return average(average(left, topLeft), average(top, topRight))
    case 11: return select(left, top, topLeft)
    case 12: return clampAddSubtractFull(left, top, topLeft)
    case 13: return clampAddSubtractHalf(average(left, top), topLeft)
    default: return 0xFF00_0000
    }
  }

  @inline(__always) static func colourDelta(_ t: UInt32, _ c: UInt32) -> Int {
    (Int(Int8(truncatingIfNeeded: t)) * Int(Int8(truncatingIfNeeded: c))) >> 5
  }

  /// Undoes one transform; `width` is the image's width at that stage (colour indexing widens
  /// its packed input to it).
  static func apply(
    _ transform: Transform, _ input: [UInt32], width: Int, height: Int
  ) throws(ImageDecodeError)
    -> [UInt32]
  {
    var pixels = input
    if case .colourIndexing = transform {
    } else if pixels.count != width * height {
      throw .corrupt(.webp, reason: "transform size")
    }
    switch transform {
    case .subtractGreen:
      for i in pixels.indices {
        let p = pixels[i]
        let green = p >> 8 & 0xFF
        let redBlue = ((p & 0x00FF_00FF) &+ (green << 16 | green)) & 0x00FF_00FF
        pixels[i] = p & 0xFF00_FF00 | redBlue
      }
      return pixels
    case .predictor(let bits, let image):
      let blocksPerRow = subsampled(width, bits)
      for y in 0..<height {
        for x in 0..<width {
          let i = y * width + x
          let prediction: UInt32
          if y == 0 {
            prediction = x == 0 ? 0xFF00_0000 : pixels[i - 1]
          } else if x == 0 {
            prediction = pixels[i - width]
          } else {
            let mode = Int(image[(y >> bits) * blocksPerRow + (x >> bits)] >> 8 & 0xF)
            prediction = predict(
              mode, pixels[i - 1], pixels[i - width], pixels[i - width + 1], pixels[i - width - 1])
          }
          pixels[i] = addPixels(pixels[i], prediction)
        }
      }
      return pixels
    case .colour(let bits, let image):
      let blocksPerRow = subsampled(width, bits)
      for y in 0..<height {
        for x in 0..<width {
          let i = y * width + x
          let element = image[(y >> bits) * blocksPerRow + (x >> bits)]
          let greenToRed = element & 0xFF
          let greenToBlue = element >> 8 & 0xFF
          let redToBlue = element >> 16 & 0xFF
          let p = pixels[i]
          let green = p >> 8 & 0xFF
          var red = Int(p >> 16 & 0xFF)
          var blue = Int(p & 0xFF)
          red = (red + colourDelta(greenToRed, green)) & 0xFF
          blue = (blue + colourDelta(greenToBlue, green)) & 0xFF
          blue = (blue + colourDelta(redToBlue, UInt32(red))) & 0xFF
          pixels[i] = p & 0xFF00_FF00 | UInt32(red) << 16 | UInt32(blue)
        }
      }
      return pixels
    case .colourIndexing(let table, let bits):
      let finalWidth = width
      let packedWidth = subsampled(finalWidth, bits)
      guard input.count == packedWidth * height else { throw .corrupt(.webp, reason: "colour index size") }
      var out = [UInt32](repeating: 0, count: finalWidth * height)
      let perPixel = 1 << bits
      let bitsPerIndex = 8 >> bits
      let mask = (1 << bitsPerIndex) - 1
      for y in 0..<height {
        for x in 0..<finalWidth {
          let packed = Int(input[y * packedWidth + (x >> bits)] >> 8 & 0xFF)
          let index = bits == 0 ? packed : packed >> (bitsPerIndex * (x & (perPixel - 1))) & mask
          out[y * finalWidth + x] = index < table.count ? table[index] : 0
        }
      }
      return out
    }
  }
}
