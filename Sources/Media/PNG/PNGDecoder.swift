/// PNG to RGBA: every colour type (grey, RGB, palette, grey + alpha, RGBA) at every bit depth the
/// format allows (1, 2, 4, 8, 16), `tRNS` transparency, and Adam7 interlacing. 16-bit samples keep
/// their high byte, as Pillow and libpng's `strip_16` do.
public enum PNGDecoder {
  struct Header {
    var width: Int
    var height: Int
    var depth: Int
    var colourType: Int
    var interlaced: Bool

    var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colourType] ?? 0 }
    var bitsPerPixel: Int { channels * depth }
    func rowBytes(_ width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }
  }

  public static func decode(
    _ bytes: [UInt8], limits: DecodeLimits = .standard
  ) throws(ImageDecodeError) -> RGBAImage {
    let chunks: [PNGChunks.Chunk]
    do {
      chunks = try PNGChunks.read(bytes)
    } catch .notPNG {
      throw .unknownFormat(head: Array(bytes.prefix(8)))
    } catch {
      throw .truncated(.png, offset: bytes.count)
    }
    guard let ihdr = chunks.first, ihdr.type == "IHDR", ihdr.data.count == 13 else {
      throw .corrupt(.png, reason: "the first chunk is not a 13-byte IHDR")
    }
    let d = ihdr.data
    let header = Header(
      width: Int(BigEndian.readUInt32(d, 0)), height: Int(BigEndian.readUInt32(d, 4)), depth: Int(d[8]),
      colourType: Int(d[9]), interlaced: d[12] == 1)
    let allowedDepths: [Int: [Int]] = [
      0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16],
    ]
    guard let depths = allowedDepths[header.colourType], depths.contains(header.depth) else {
      throw .corrupt(.png, reason: "colour type \(header.colourType) with bit depth \(header.depth)")
    }
    guard d[10] == 0, d[11] == 0, d[12] <= 1 else {
      throw .corrupt(.png, reason: "unknown compression, filter or interlace method")
    }
    try limits.check(width: header.width, height: header.height, format: .png)

    var palette: [UInt8] = []
    var transparency: [UInt8] = []
    var stream: [UInt8] = []
    for chunk in chunks {
      switch chunk.type {
      case "PLTE": palette = chunk.data
      case "tRNS": transparency = chunk.data
      case "IDAT": stream += chunk.data
      default: break
      }
    }
    if header.colourType == 3 && palette.isEmpty {
      throw .corrupt(.png, reason: "a palette image without PLTE")
    }
    guard !stream.isEmpty else { throw .truncated(.png, offset: bytes.count) }

    let passes = header.interlaced ? adam7 : [(0, 0, 1, 1)]
    var expected = 0
    for pass in passes {
      let (w, h) = passSize(header, pass)
      if w > 0 && h > 0 { expected += (header.rowBytes(w) + 1) * h }
    }
    let raw: [UInt8]
    do {
      raw = try Inflate.decompressZlib(stream, limit: expected)
    } catch .limitExceeded {
      // Extra data after the last row is allowed to be ignored; decode again and keep what is needed.
      guard let all = Inflate.zlib(stream, limit: expected + (1 << 20)) else {
        throw .corrupt(.png, reason: "the pixel data is larger than the image")
      }
      raw = Array(all.prefix(expected))
    } catch .truncated(let produced) {
      throw .truncated(.png, offset: produced)
    } catch {
      throw .corrupt(.png, reason: "the pixel data does not inflate (\(error))")
    }
    guard raw.count >= expected else { throw .truncated(.png, offset: raw.count) }

    var output = [UInt8](repeating: 0, count: header.width * header.height * 4)
    let converter = try PixelConverter(header: header, palette: palette, transparency: transparency)
    var offset = 0
    for pass in passes {
      let (w, h) = passSize(header, pass)
      guard w > 0 && h > 0 else { continue }
      let stride = header.rowBytes(w)
      let bpp = max(1, header.bitsPerPixel / 8)
      var previous = [UInt8](repeating: 0, count: stride)
      var row = [UInt8](repeating: 0, count: stride)
      for y in 0..<h {
        let filter = raw[offset]
        for i in 0..<stride { row[i] = raw[offset + 1 + i] }
        try unfilter(&row, previous: previous, filter: filter, bpp: bpp)
        converter.convert(
          row, width: w, into: &output, imageWidth: header.width, y: pass.1 + y * pass.3, x0: pass.0,
          dx: pass.2)
        swap(&row, &previous)
        offset += stride + 1
      }
    }
    return RGBAImage(width: header.width, height: header.height, pixels: output)
  }

  /// (x0, y0, dx, dy) of each Adam7 pass.
  static let adam7 = [
    (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
  ]

  static func passSize(_ header: Header, _ pass: (Int, Int, Int, Int)) -> (Int, Int) {
    ((header.width - pass.0 + pass.2 - 1) / pass.2, (header.height - pass.1 + pass.3 - 1) / pass.3)
  }

  static func unfilter(
    _ row: inout [UInt8], previous: [UInt8], filter: UInt8, bpp: Int
  ) throws(ImageDecodeError) {
    let n = row.count
    row.withUnsafeMutableBufferPointer { r in
      previous.withUnsafeBufferPointer { p in
        switch filter {
        case 1:
          var i = bpp
          while i < n {
            r[i] = r[i] &+ r[i - bpp]
            i += 1
          }
        case 2:
          for i in 0..<n { r[i] = r[i] &+ p[i] }
        case 3:
          for i in 0..<min(bpp, n) { r[i] = r[i] &+ p[i] >> 1 }
          var i = bpp
          while i < n {
            r[i] = r[i] &+ UInt8((Int(r[i - bpp]) + Int(p[i])) >> 1)
            i += 1
          }
        case 4:
          for i in 0..<min(bpp, n) { r[i] = r[i] &+ p[i] }
          var i = bpp
          while i < n {
            let a = Int(r[i - bpp])
            let b = Int(p[i])
            let c = Int(p[i - bpp])
            let pa = abs(b - c)
            let pb = abs(a - c)
            let pc = abs(a + b - 2 * c)
            r[i] = r[i] &+ UInt8(pa <= pb && pa <= pc ? a : (pb <= pc ? b : c))
            i += 1
          }
        default: break
        }
      }
    }
    guard filter <= 4 else { throw .corrupt(.png, reason: "filter type \(filter)") }
  }

  /// Turns one unfiltered row of any colour type and depth into RGBA pixels.
  struct PixelConverter {
    let header: Header
    /// RGBA per palette index (palette images) or per grey level (grey images below 16 bits).
    var lookup: [UInt8] = []
    /// The colour `tRNS` makes transparent in grey or RGB images, as 16-bit samples.
    var transparentKey: [Int]?

    init(header: Header, palette: [UInt8], transparency: [UInt8]) throws(ImageDecodeError) {
      self.header = header
      switch header.colourType {
      case 3:
        let entries = palette.count / 3
        lookup = [UInt8](repeating: 0, count: 256 * 4)
        for i in 0..<min(entries, 256) {
          lookup[i * 4] = palette[i * 3]
          lookup[i * 4 + 1] = palette[i * 3 + 1]
          lookup[i * 4 + 2] = palette[i * 3 + 2]
          lookup[i * 4 + 3] = i < transparency.count ? transparency[i] : 255
        }
      case 0:
        if transparency.count >= 2 { transparentKey = [Int(transparency[0]) << 8 | Int(transparency[1])] }
      case 2:
        if transparency.count >= 6 {
          transparentKey = (0..<3).map { Int(transparency[$0 * 2]) << 8 | Int(transparency[$0 * 2 + 1]) }
        }
      default: break
      }
    }

    func convert(
      _ row: [UInt8], width: Int, into out: inout [UInt8], imageWidth: Int, y: Int, x0: Int, dx: Int
    ) {
      let depth = header.depth
      var o = (y * imageWidth + x0) * 4
      let step = dx * 4
      switch (header.colourType, depth) {
      case (3, _), (0, 1), (0, 2), (0, 4):
        let perByte = 8 / depth
        let mask = (1 << depth) - 1
        let greyScale = depth == 1 ? 255 : depth == 2 ? 85 : 17
        for x in 0..<width {
          let value: Int
          if depth == 8 {
            value = Int(row[x])
          } else {
            let shift = 8 - depth * (x % perByte + 1)
            value = Int(row[x / perByte]) >> shift & mask
          }
          if header.colourType == 3 {
            out[o] = lookup[value * 4]
            out[o + 1] = lookup[value * 4 + 1]
            out[o + 2] = lookup[value * 4 + 2]
            out[o + 3] = lookup[value * 4 + 3]
          } else {
            let grey = UInt8(value * greyScale)
            out[o] = grey
            out[o + 1] = grey
            out[o + 2] = grey
            out[o + 3] = transparentKey?[0] == value ? 0 : 255
          }
          o += step
        }
      default:
        let sampleBytes = depth / 8
        let pixelBytes = header.channels * sampleBytes
        for x in 0..<width {
          let p = x * pixelBytes
          @inline(__always) func sample(_ c: Int) -> UInt8 { row[p + c * sampleBytes] }
          @inline(__always) func full(_ c: Int) -> Int {
            sampleBytes == 2 ? Int(row[p + c * 2]) << 8 | Int(row[p + c * 2 + 1]) : Int(row[p + c])
          }
          switch header.colourType {
          case 0:
            let g = sample(0)
            out[o] = g
            out[o + 1] = g
            out[o + 2] = g
            out[o + 3] = transparentKey?[0] == full(0) ? 0 : 255
          case 2:
            out[o] = sample(0)
            out[o + 1] = sample(1)
            out[o + 2] = sample(2)
            if let key = transparentKey, key[0] == full(0), key[1] == full(1), key[2] == full(2) {
              out[o + 3] = 0
            } else {
              out[o + 3] = 255
            }
          case 4:
            let g = sample(0)
            out[o] = g
            out[o + 1] = g
            out[o + 2] = g
            out[o + 3] = sample(1)
          default:
            out[o] = sample(0)
            out[o + 1] = sample(1)
            out[o + 2] = sample(2)
            out[o + 3] = sample(3)
          }
          o += step
        }
      }
    }
  }
}
