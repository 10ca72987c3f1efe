/// Resizing for display: every output pixel is the area-weighted average of the source pixels it
/// covers, averaged in linear light with premultiplied alpha, so thin lines fade instead of
/// vanishing and a dark/light checkerboard becomes the grey the eye sees, not a darker one.
public enum ImageScaling {
  public static func resized(_ image: RGBAImage, width: Int, height: Int) -> RGBAImage {
    precondition(width > 0 && height > 0, "the target size must be positive")
    if width == image.width && height == image.height { return image }
    let columns = weights(source: image.width, target: width)
    let rows = weights(source: image.height, target: height)
    let toLinear = ColourSpace.sRGBToLinear

    // Horizontal pass into premultiplied linear floats, then vertical pass back to sRGB bytes.
    var horizontal = [Float](repeating: 0, count: width * image.height * 4)
    image.pixels.withUnsafeBufferPointer { src in
      horizontal.withUnsafeMutableBufferPointer { dst in
        for y in 0..<image.height {
          let rowStart = y * image.width * 4
          for x in 0..<width {
            var r: Float = 0
            var g: Float = 0
            var b: Float = 0
            var a: Float = 0
            for (index, weight) in columns[x] {
              let i = rowStart + index * 4
              let alpha = Float(src[i + 3]) * (1 / 255) * weight
              r += toLinear[Int(src[i])] * alpha
              g += toLinear[Int(src[i + 1])] * alpha
              b += toLinear[Int(src[i + 2])] * alpha
              a += alpha
            }
            let o = (y * width + x) * 4
            dst[o] = r
            dst[o + 1] = g
            dst[o + 2] = b
            dst[o + 3] = a
          }
        }
      }
    }
    var out = [UInt8](repeating: 0, count: width * height * 4)
    horizontal.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<height {
          for x in 0..<width {
            var r: Float = 0
            var g: Float = 0
            var b: Float = 0
            var a: Float = 0
            for (index, weight) in rows[y] {
              let i = (index * width + x) * 4
              r += src[i] * weight
              g += src[i + 1] * weight
              b += src[i + 2] * weight
              a += src[i + 3] * weight
            }
            let o = (y * width + x) * 4
            if a > 0 {
              dst[o] = ColourSpace.linearToSRGB(r / a)
              dst[o + 1] = ColourSpace.linearToSRGB(g / a)
              dst[o + 2] = ColourSpace.linearToSRGB(b / a)
            }
            dst[o + 3] = UInt8(min(255, max(0, (a * 255).rounded())))
          }
        }
      }
    }
    return RGBAImage(width: width, height: height, pixels: out)
  }

  /// For each target pixel, the source pixels under it and the share of it each covers (summing to 1).
  static func weights(source: Int, target: Int) -> [[(Int, Float)]] {
    let scale = Double(source) / Double(target)
    return (0..<target).map { t in
      let start = Double(t) * scale
      let end = Double(t + 1) * scale
      if scale <= 1 {
        // Enlarging: the source pixel under the centre (a box that covers less than one pixel).
        return [(min(source - 1, Int((start + end) / 2)), 1)]
      }
      var list: [(Int, Float)] = []
      var s = Int(start)
      while Double(s) < end && s < source {
        let covered = min(end, Double(s + 1)) - max(start, Double(s))
        if covered > 0 { list.append((s, Float(covered / scale))) }
        s += 1
      }
      return list
    }
  }
}

/// sRGB transfer functions as tables: decoding is a lookup, encoding a lookup in 4096 steps.
enum ColourSpace {
  static let sRGBToLinear: [Float] = (0..<256).map { value in
    let c = Double(value) / 255
    return Float(c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4))
  }

  private static let encodeTable: [UInt8] = (0...4096).map { step in
    let l = Double(step) / 4096
    let c = l <= 0.0031308 ? l * 12.92 : 1.055 * pow(l, 1 / 2.4) - 0.055
    return UInt8(min(255, max(0, (c * 255).rounded())))
  }

  @inline(__always) static func linearToSRGB(_ value: Float) -> UInt8 {
    encodeTable[Int(min(1, max(0, value)) * 4096 + 0.5)]
  }

  /// x^y for positive x, without Foundation (exp and log by their series).
  static func pow(_ x: Double, _ y: Double) -> Double {
    guard x > 0 else { return 0 }
    return exp(y * log(x))
  }

  private static func log(_ x: Double) -> Double {
    // x = m · 2^e with m in [1, 2); ln m from the atanh series, which converges fast there.
    var m = x
    var e = 0.0
    while m >= 2 {
      m /= 2
      e += 1
    }
    while m < 1 {
      m *= 2
      e -= 1
    }
    let z = (m - 1) / (m + 1)
    let z2 = z * z
    var term = z
    var sum = 0.0
    var k = 1.0
    while k < 60 {
      sum += term / k
      term *= z2
      k += 2
    }
    return 2 * sum + e * 0.6931471805599453
  }

  private static func exp(_ x: Double) -> Double {
    // e^x = 2^k · e^r with |r| ≤ ln2/2, r's Taylor series to 20 terms.
    let k = (x / 0.6931471805599453).rounded()
    let r = x - k * 0.6931471805599453
    var term = 1.0
    var sum = 1.0
    for n in 1..<20 {
      term *= r / Double(n)
      sum += term
    }
    var result = sum
    if k > 0 { for _ in 0..<Int(k) { result *= 2 } } else { for _ in 0..<Int(-k) { result /= 2 } }
    return result
  }
}

/// How big a picture is drawn in a terminal: a whole number of character cells, at most the box
/// given, the picture's aspect kept.
public struct CellFit: Sendable, Equatable {
  /// The cells the picture occupies.
  public var columns: Int
  public var rows: Int
  /// The pixel size to scale the picture to before it is sent.
  public var pixelWidth: Int
  public var pixelHeight: Int

  /// Fits `width × height` pixels into `maxColumns × maxRows` cells of `cellWidth × cellHeight`
  /// pixels; small pictures keep their size unless `enlarge`.
  public static func fit(
    width: Int, height: Int, maxColumns: Int, maxRows: Int, cellWidth: Int, cellHeight: Int,
    enlarge: Bool = false
  ) -> CellFit {
    let cw = max(1, cellWidth)
    let ch = max(1, cellHeight)
    let w = max(1, width)
    let h = max(1, height)
    var scale = min(Double(max(1, maxColumns) * cw) / Double(w), Double(max(1, maxRows) * ch) / Double(h))
    if !enlarge { scale = min(1, scale) }
    let pixelWidth = max(1, Int((Double(w) * scale).rounded()))
    let pixelHeight = max(1, Int((Double(h) * scale).rounded()))
    return CellFit(
      columns: min(max(1, maxColumns), (pixelWidth + cw - 1) / cw),
      rows: min(max(1, maxRows), (pixelHeight + ch - 1) / ch), pixelWidth: pixelWidth,
      pixelHeight: pixelHeight)
  }

  public init(columns: Int, rows: Int, pixelWidth: Int, pixelHeight: Int) {
    self.columns = columns
    self.rows = rows
    self.pixelWidth = pixelWidth
    self.pixelHeight = pixelHeight
  }
}
