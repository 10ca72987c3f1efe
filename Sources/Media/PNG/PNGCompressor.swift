extension PNGEncoder {
  /// A compressed PNG of `image`: RGB when every pixel is opaque, else RGBA; each row gets the
  /// filter whose output has the smallest sum of absolute values (libpng's heuristic), then DEFLATE.
  public static func encode(
    _ image: RGBAImage, effort: Deflate.Effort = .standard, text: [(key: String, value: String)] = []
  ) -> [UInt8] {
    let alpha = image.hasTransparency
    let channels = alpha ? 4 : 3
    var header: [UInt8] = []
    BigEndian.appendUInt32(&header, UInt32(image.width))
    BigEndian.appendUInt32(&header, UInt32(image.height))
    header += [8, alpha ? 6 : 2, 0, 0, 0]

    let stride = image.width * channels
    var filtered = [UInt8]()
    filtered.reserveCapacity((stride + 1) * image.height)
    var previous = [UInt8](repeating: 0, count: stride)
    var row = [UInt8](repeating: 0, count: stride)
    var candidate = [UInt8](repeating: 0, count: stride)
    var best = [UInt8](repeating: 0, count: stride)
    for y in 0..<image.height {
      var o = 0
      var i = y * image.width * 4
      for _ in 0..<image.width {
        row[o] = image.pixels[i]
        row[o + 1] = image.pixels[i + 1]
        row[o + 2] = image.pixels[i + 2]
        if alpha { row[o + 3] = image.pixels[i + 3] }
        o += channels
        i += 4
      }
      var bestFilter: UInt8 = 0
      var bestScore = Int.max
      for filter in UInt8(0)...4 {
        let score = applyFilter(filter, row: row, previous: previous, bpp: channels, into: &candidate)
        if score < bestScore {
          bestScore = score
          bestFilter = filter
          swap(&best, &candidate)
        }
      }
      filtered.append(bestFilter)
      filtered += best
      swap(&row, &previous)
    }

    var chunks = [PNGChunks.Chunk(type: "IHDR", data: header)]
    for entry in text { chunks.append(PNGChunks.textChunk(key: entry.key, text: entry.value)) }
    chunks.append(PNGChunks.Chunk(type: "IDAT", data: Deflate.zlib(filtered, effort: effort)))
    chunks.append(PNGChunks.Chunk(type: "IEND", data: []))
    return PNGChunks.write(chunks)
  }

  /// Filters one row; returns the sum of the output bytes read as signed values.
  private static func applyFilter(
    _ filter: UInt8, row: [UInt8], previous: [UInt8], bpp: Int, into out: inout [UInt8]
  )
    -> Int
  {
    let n = row.count
    var score = 0
    row.withUnsafeBufferPointer { r in
      previous.withUnsafeBufferPointer { p in
        out.withUnsafeMutableBufferPointer { o in
          for i in 0..<n {
            let a = i >= bpp ? Int(r[i - bpp]) : 0
            let b = Int(p[i])
            let c = i >= bpp ? Int(p[i - bpp]) : 0
            let predictor: Int
            switch filter {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) >> 1
            default:
              let pa = abs(b - c)
              let pb = abs(a - c)
              let pc = abs(a + b - 2 * c)
              predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
            }
            let value = UInt8(truncatingIfNeeded: Int(r[i]) - predictor)
            o[i] = value
            score += value < 128 ? Int(value) : 256 - Int(value)
          }
        }
      }
    }
    return score
  }
}
