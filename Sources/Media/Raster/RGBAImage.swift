/// A decoded picture: 8-bit red, green, blue and alpha per pixel, rows top to bottom, alpha not
/// premultiplied. Every decoder produces it and every terminal protocol consumes it.
public struct RGBAImage: Sendable, Equatable {
  public let width: Int
  public let height: Int
  /// `width × height × 4` bytes.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(
      width >= 0 && height >= 0 && pixels.count == width * height * 4, "pixel count must match the size")
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// A picture of one colour.
  public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8, a: UInt8) = (0, 0, 0, 0)) {
    var pixels = [UInt8](repeating: 0, count: width * height * 4)
    for i in stride(from: 0, to: pixels.count, by: 4) {
      pixels[i] = fill.r
      pixels[i + 1] = fill.g
      pixels[i + 2] = fill.b
      pixels[i + 3] = fill.a
    }
    self.init(width: width, height: height, pixels: pixels)
  }

  /// From 8-bit RGB (`width × height × 3` bytes), opaque.
  public init(width: Int, height: Int, rgb: [UInt8]) {
    precondition(rgb.count == width * height * 3, "pixel count must match the size")
    var pixels = [UInt8](repeating: 255, count: width * height * 4)
    var o = 0
    for i in stride(from: 0, to: rgb.count, by: 3) {
      pixels[o] = rgb[i]
      pixels[o + 1] = rgb[i + 1]
      pixels[o + 2] = rgb[i + 2]
      o += 4
    }
    self.init(width: width, height: height, pixels: pixels)
  }

  public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
    let i = (y * width + x) * 4
    return (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
  }

  /// Whether any pixel is not fully opaque (decides between an RGB and an RGBA encoding).
  public var hasTransparency: Bool {
    var i = 3
    while i < pixels.count {
      if pixels[i] != 255 { return true }
      i += 4
    }
    return false
  }

  /// The picture over an opaque background colour, for outputs that cannot show alpha (sixel,
  /// half blocks).
  public func flattened(over background: (r: UInt8, g: UInt8, b: UInt8)) -> RGBAImage {
    var out = pixels
    var i = 0
    while i < out.count {
      let a = Int(out[i + 3])
      if a != 255 {
        out[i] = UInt8((Int(out[i]) * a + Int(background.r) * (255 - a) + 127) / 255)
        out[i + 1] = UInt8((Int(out[i + 1]) * a + Int(background.g) * (255 - a) + 127) / 255)
        out[i + 2] = UInt8((Int(out[i + 2]) * a + Int(background.b) * (255 - a) + 127) / 255)
        out[i + 3] = 255
      }
      i += 4
    }
    return RGBAImage(width: width, height: height, pixels: out)
  }
}
