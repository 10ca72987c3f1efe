/// Just enough image-file reading for LoadImage: the size of PNG, JPEG, GIF and BMP files, and the
/// pixels of PNGs (other formats get a stand-in picture of the right size).
public enum ImageFiles {
  public static func dimensions(of bytes: [UInt8]) -> (width: Int, height: Int)? {
    if let size = PNGEncoder.dimensions(of: bytes) { return size }
    if bytes.starts(with: [0x47, 0x49, 0x46]), bytes.count >= 10 {  // GIF
      return (Int(bytes[6]) | Int(bytes[7]) << 8, Int(bytes[8]) | Int(bytes[9]) << 8)
    }
    if bytes.starts(with: [0x42, 0x4D]), bytes.count >= 26 {  // BMP
      let w = Int(bytes[18]) | Int(bytes[19]) << 8 | Int(bytes[20]) << 16 | Int(bytes[21]) << 24
      let h = Int(
        Int32(
          bitPattern: UInt32(bytes[22]) | UInt32(bytes[23]) << 8 | UInt32(bytes[24]) << 16 | UInt32(bytes[25])
            << 24))
      return w > 0 && h != 0 ? (w, abs(h)) : nil
    }
    if bytes.starts(with: [0xFF, 0xD8]) { return jpegDimensions(bytes) }
    return nil
  }

  /// Reads the first start-of-frame marker of a JPEG.
  private static func jpegDimensions(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    var i = 2
    while i + 9 < bytes.count {
      guard bytes[i] == 0xFF else { return nil }
      let marker = bytes[i + 1]
      if marker == 0xFF {
        i += 1
        continue
      }
      let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
      let isFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
      if isFrame {
        let h = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
        let w = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
        return w > 0 && h > 0 ? (w, h) : nil
      }
      i += 2 + length
    }
    return nil
  }

  /// Pixels of a non-interlaced PNG with 8 or 16 bits per sample (grey, grey+alpha, RGB, RGBA or
  /// palette), as 8-bit RGB; nil for anything else (LoadImage then draws a stand-in).
  public static func decodePNG(_ bytes: [UInt8]) -> (width: Int, height: Int, rgb: [UInt8])? {
    guard let chunks = try? PNGChunks.read(bytes), let header = chunks.first, header.type == "IHDR",
      header.data.count == 13
    else { return nil }
    let width = Int(BigEndian.readUInt32(header.data, 0))
    let height = Int(BigEndian.readUInt32(header.data, 4))
    let depth = Int(header.data[8])
    let colour = header.data[9]
    let channelsByColour: [UInt8: Int] = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4]
    guard let channels = channelsByColour[colour], depth == 8 || (depth == 16 && colour != 3),
      header.data[12] == 0, width > 0, height > 0, width * height <= 16_777_216
    else { return nil }
    let palette = chunks.first { $0.type == "PLTE" }?.data ?? []
    if colour == 3 && palette.isEmpty { return nil }
    let pixelBytes = channels * depth / 8
    let stride = width * pixelBytes
    let stream = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
    guard let raw = Inflate.zlib(stream, limit: (stride + 1) * height), raw.count >= (stride + 1) * height
    else {
      return nil
    }
    var previous = [UInt8](repeating: 0, count: stride)
    var rgb = [UInt8]()
    rgb.reserveCapacity(width * height * 3)
    var offset = 0
    for _ in 0..<height {
      let filter = raw[offset]
      var row = Array(raw[(offset + 1)..<(offset + 1 + stride)])
      for x in 0..<stride {
        let left = x >= pixelBytes ? Int(row[x - pixelBytes]) : 0
        let up = Int(previous[x])
        let upLeft = x >= pixelBytes ? Int(previous[x - pixelBytes]) : 0
        let predictor: Int
        switch filter {
        case 0: predictor = 0
        case 1: predictor = left
        case 2: predictor = up
        case 3: predictor = (left + up) / 2
        case 4:
          let p = left + up - upLeft
          let (pa, pb, pc) = (abs(p - left), abs(p - up), abs(p - upLeft))
          predictor = pa <= pb && pa <= pc ? left : (pb <= pc ? up : upLeft)
        default: return nil
        }
        row[x] = row[x] &+ UInt8(predictor & 0xFF)
      }
      for x in 0..<width {
        // The first byte of each sample is its high byte, for 16-bit samples too.
        func sample(_ channel: Int) -> UInt8 { row[x * pixelBytes + channel * depth / 8] }
        switch colour {
        case 0, 4:
          let grey = sample(0)
          rgb += [grey, grey, grey]
        case 3:
          let entry = Int(sample(0)) * 3
          guard entry + 2 < palette.count else { return nil }
          rgb += palette[entry...(entry + 2)]
        default:
          rgb += [sample(0), sample(1), sample(2)]
        }
      }
      previous = row
      offset += stride + 1
    }
    return (width, height, rgb)
  }
}
