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

  /// Pixels of a PNG as 8-bit RGB (alpha dropped), or nil when it does not decode (LoadImage then
  /// draws a stand-in).
  public static func decodePNG(_ bytes: [UInt8]) -> (width: Int, height: Int, rgb: [UInt8])? {
    guard let image = try? PNGDecoder.decode(bytes) else { return nil }
    var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
    var o = 0
    for i in stride(from: 0, to: image.pixels.count, by: 4) {
      rgb[o] = image.pixels[i]
      rgb[o + 1] = image.pixels[i + 1]
      rgb[o + 2] = image.pixels[i + 2]
      o += 3
    }
    return (image.width, image.height, rgb)
  }
}
