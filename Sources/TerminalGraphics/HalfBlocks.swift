import Media

/// Pictures in any colour terminal: each character cell shows two pixels, the upper half block
/// `▀` in the top pixel's colour over a background of the bottom pixel's, with 24-bit SGR colours
/// or the nearest of xterm's 256.
public enum HalfBlocks {
  /// Renders `image` at one cell per pixel column and two pixel rows per line; scale it to
  /// `columns × 2·rows` first. Pixels under half alpha show the terminal's own background.
  public static func render(_ image: RGBAImage, trueColour: Bool) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(image.width * (image.height + 1) / 2 * 20)
    func colour(_ r: UInt8, _ g: UInt8, _ b: UInt8, background: Bool) -> [UInt8] {
      let layer = background ? "48" : "38"
      if trueColour { return Array("\(layer);2;\(r);\(g);\(b)".utf8) }
      return Array("\(layer);5;\(xterm256(r, g, b))".utf8)
    }
    let upper = Array("▀".utf8)
    let lower = Array("▄".utf8)
    var y = 0
    while y < image.height {
      for x in 0..<image.width {
        let top = image.pixel(x: x, y: y)
        let bottom = y + 1 < image.height ? image.pixel(x: x, y: y + 1) : (r: 0, g: 0, b: 0, a: 0)
        let topShown = top.a >= 128
        let bottomShown = bottom.a >= 128
        out += [Escape.esc, UInt8(ascii: "[")]
        switch (topShown, bottomShown) {
        case (true, true):
          out +=
            colour(top.r, top.g, top.b, background: false) + [UInt8(ascii: ";")]
            + colour(bottom.r, bottom.g, bottom.b, background: true) + [UInt8(ascii: "m")] + upper
        case (true, false):
          out += colour(top.r, top.g, top.b, background: false) + Array(";49m".utf8) + upper
        case (false, true):
          out += colour(bottom.r, bottom.g, bottom.b, background: false) + Array(";49m".utf8) + lower
        case (false, false):
          out += Array("0m ".utf8)
        }
      }
      out += Array("\u{1B}[0m\n".utf8)
      y += 2
    }
    return out
  }

  static let cubeLevels = [0, 95, 135, 175, 215, 255]

  /// The nearest entry of xterm's 256-colour palette (the 6×6×6 cube or the 24 greys).
  public static func xterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
    func level(_ c: UInt8) -> Int {
      var best = 0
      for i in 1..<6 where abs(cubeLevels[i] - Int(c)) < abs(cubeLevels[best] - Int(c)) { best = i }
      return best
    }
    let (lr, lg, lb) = (level(r), level(g), level(b))
    let cube = 16 + 36 * lr + 6 * lg + lb
    func distance(_ a: (Int, Int, Int)) -> Int {
      let dr = a.0 - Int(r)
      let dg = a.1 - Int(g)
      let db = a.2 - Int(b)
      return dr * dr + dg * dg + db * db
    }
    let cubeDistance = distance((cubeLevels[lr], cubeLevels[lg], cubeLevels[lb]))
    let average = (Int(r) + Int(g) + Int(b)) / 3
    let greyIndex = max(0, min(23, (average - 8 + 5) / 10))
    let grey = 8 + 10 * greyIndex
    return distance((grey, grey, grey)) < cubeDistance ? 232 + greyIndex : cube
  }

  /// The RGB of an xterm-256 index from 16 up (what a terminal shows for it).
  public static func xterm256Colour(_ index: Int) -> (UInt8, UInt8, UInt8) {
    if index >= 232 {
      let v = UInt8(8 + 10 * (index - 232))
      return (v, v, v)
    }
    let i = max(0, index - 16)
    return (UInt8(cubeLevels[i / 36]), UInt8(cubeLevels[i / 6 % 6]), UInt8(cubeLevels[i % 6]))
  }
}
