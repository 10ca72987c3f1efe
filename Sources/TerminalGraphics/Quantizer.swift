import Media

/// A palette for a picture by median cut (Heckbert): the colour space is split, box by box, at the
/// median of its widest axis, where the most pixels × range is; each box's mean is a colour.
/// Pixels are then mapped with Floyd–Steinberg error diffusion, so gradients stay smooth.
public struct Quantized: Sendable, Equatable {
  public var width: Int
  public var height: Int
  /// RGB triples.
  public var palette: [(UInt8, UInt8, UInt8)]
  /// One palette index per pixel; `transparent` where alpha was below half.
  public var indices: [UInt16]
  public static let transparent: UInt16 = .max

  public static func == (a: Quantized, b: Quantized) -> Bool {
    a.width == b.width && a.height == b.height && a.indices == b.indices
      && a.palette.elementsEqual(b.palette) { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
  }
}

public enum Quantizer {
  public static func quantize(_ image: RGBAImage, maximumColours: Int = 256, dither: Bool = true) -> Quantized
  {
    let limit = max(2, min(4096, maximumColours))
    // A histogram at 5 bits a channel (32768 cells) keeps the cut fast on large pictures.
    var histogram = [Int](repeating: 0, count: 32768)
    let pixels = image.pixels
    var exact: [UInt32: Int] = [:]
    var exactOverflow = false
    for i in stride(from: 0, to: pixels.count, by: 4) where pixels[i + 3] >= 128 {
      histogram[(Int(pixels[i]) >> 3) << 10 | (Int(pixels[i + 1]) >> 3) << 5 | Int(pixels[i + 2]) >> 3] += 1
      if !exactOverflow {
        let key = UInt32(pixels[i]) << 16 | UInt32(pixels[i + 1]) << 8 | UInt32(pixels[i + 2])
        exact[key, default: 0] += 1
        if exact.count > limit { exactOverflow = true }
      }
    }
    var palette: [(UInt8, UInt8, UInt8)]
    if !exactOverflow {
      // Few colours: use them as they are, no error to diffuse.
      palette = exact.keys.sorted().map { (UInt8($0 >> 16), UInt8($0 >> 8 & 0xFF), UInt8($0 & 0xFF)) }
      return map(image, palette: palette, dither: false)
    }
    palette = medianCut(histogram, limit: limit)
    return map(image, palette: palette, dither: dither)
  }

  struct Box {
    var cells: [Int]
    var count: Int
  }

  static func medianCut(_ histogram: [Int], limit: Int) -> [(UInt8, UInt8, UInt8)] {
    let used = histogram.indices.filter { histogram[$0] > 0 }
    var boxes = [Box(cells: used, count: used.reduce(0) { $0 + histogram[$1] })]
    @inline(__always) func component(_ cell: Int, _ axis: Int) -> Int { cell >> (10 - 5 * axis) & 31 }
    func ranges(_ box: Box) -> [Int] {
      (0..<3).map { axis in
        var low = 31
        var high = 0
        for cell in box.cells {
          let c = component(cell, axis)
          low = min(low, c)
          high = max(high, c)
        }
        return high - low
      }
    }
    while boxes.count < limit {
      var best = -1
      var bestScore = 0
      var bestAxis = 0
      for (i, box) in boxes.enumerated() where box.cells.count > 1 {
        let r = ranges(box)
        let axis = r.firstIndex(of: r.max() ?? 0) ?? 0
        let score = r[axis] * box.count
        if score > bestScore {
          bestScore = score
          best = i
          bestAxis = axis
        }
      }
      guard best >= 0 else { break }
      let box = boxes[best]
      let sorted = box.cells.sorted { component($0, bestAxis) < component($1, bestAxis) }
      var running = 0
      var split = 1
      for (i, cell) in sorted.enumerated() {
        running += histogram[cell]
        if running * 2 >= box.count {
          split = max(1, min(sorted.count - 1, i + 1))
          break
        }
      }
      let first = Array(sorted[..<split])
      let second = Array(sorted[split...])
      boxes[best] = Box(cells: first, count: first.reduce(0) { $0 + histogram[$1] })
      boxes.append(Box(cells: second, count: second.reduce(0) { $0 + histogram[$1] }))
    }
    return boxes.map { box in
      var r = 0
      var g = 0
      var b = 0
      for cell in box.cells {
        let n = histogram[cell]
        r += (component(cell, 0) << 3 | 4) * n
        g += (component(cell, 1) << 3 | 4) * n
        b += (component(cell, 2) << 3 | 4) * n
      }
      let n = max(1, box.count)
      return (UInt8(min(255, r / n)), UInt8(min(255, g / n)), UInt8(min(255, b / n)))
    }
  }

  static func map(_ image: RGBAImage, palette: [(UInt8, UInt8, UInt8)], dither: Bool) -> Quantized {
    let w = image.width
    let h = image.height
    var indices = [UInt16](repeating: Quantized.transparent, count: w * h)
    // Nearest palette entry per 6-bit colour, filled on first use.
    var nearestCache = [Int16](repeating: -1, count: 1 << 18)
    let reds = palette.map { Int($0.0) }
    let greens = palette.map { Int($0.1) }
    let blues = palette.map { Int($0.2) }
    func nearest(_ r: Int, _ g: Int, _ b: Int) -> Int {
      let key = (r >> 2) << 12 | (g >> 2) << 6 | b >> 2
      if nearestCache[key] >= 0 { return Int(nearestCache[key]) }
      var best = 0
      var bestDistance = Int.max
      for i in 0..<reds.count {
        let dr = reds[i] - r
        let dg = greens[i] - g
        let db = blues[i] - b
        // Weighted towards green, as the eye is.
        let d = 2 * dr * dr + 4 * dg * dg + 3 * db * db
        if d < bestDistance {
          bestDistance = d
          best = i
        }
      }
      nearestCache[key] = Int16(best)
      return best
    }
    var errors = [Int](repeating: 0, count: (w + 2) * 3 * 2)
    let pixels = image.pixels
    for y in 0..<h {
      let current = (y % 2) * (w + 2) * 3
      let next = ((y + 1) % 2) * (w + 2) * 3
      for i in 0..<((w + 2) * 3) { errors[next + i] = 0 }
      for x in 0..<w {
        let p = (y * w + x) * 4
        guard pixels[p + 3] >= 128 else { continue }
        let e = current + (x + 1) * 3
        let r = max(0, min(255, Int(pixels[p]) + (dither ? errors[e] / 16 : 0)))
        let g = max(0, min(255, Int(pixels[p + 1]) + (dither ? errors[e + 1] / 16 : 0)))
        let b = max(0, min(255, Int(pixels[p + 2]) + (dither ? errors[e + 2] / 16 : 0)))
        let index = nearest(r, g, b)
        indices[y * w + x] = UInt16(index)
        guard dither else { continue }
        let deltas = [r - reds[index], g - greens[index], b - blues[index]]
        for c in 0..<3 {
          let d = deltas[c]
          errors[e + 3 + c] += d * 7
          errors[next + x * 3 + c] += d * 3
          errors[next + (x + 1) * 3 + c] += d * 5
          errors[next + (x + 2) * 3 + c] += d
        }
      }
    }
    return Quantized(width: w, height: h, palette: palette, indices: indices)
  }
}
