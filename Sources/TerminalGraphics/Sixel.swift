import Media

/// DEC sixel graphics (xterm -ti vt340, foot, mlterm, WezTerm, Windows Terminal, Konsole):
/// `DCS P1;P2 q`, raster attributes, a palette of up to 256 registers, six-pixel bands with
/// run-length coding, `ST`.
public enum Sixel {
  /// Sixel for `image`, quantised to `colours` registers (the terminal's count: xterm's vt340
  /// has 16 unless raised, most others 256). Pixels under half alpha stay the background.
  public static func encode(_ image: RGBAImage, colours: Int = 256) -> [UInt8] {
    encode(Quantizer.quantize(image, maximumColours: colours))
  }

  public static func encode(_ picture: Quantized) -> [UInt8] {
    let w = picture.width
    let h = picture.height
    var out: [UInt8] = [Escape.esc, UInt8(ascii: "P")]
    // P2 = 1: pixels not drawn keep the background; raster attributes give 1:1 pixels and the size.
    out += Array("0;1;0q\"1;1;\(w);\(h)".utf8)
    for (i, colour) in picture.palette.enumerated() {
      func percent(_ c: UInt8) -> Int { (Int(c) * 100 + 127) / 255 }
      out += Array("#\(i);2;\(percent(colour.0));\(percent(colour.1));\(percent(colour.2))".utf8)
    }
    var bits = [UInt8](repeating: 0, count: w)
    var present = [Bool](repeating: false, count: picture.palette.count)
    var bandStart = 0
    while bandStart < h {
      let bandRows = min(6, h - bandStart)
      var coloursInBand: [Int] = []
      for row in 0..<bandRows {
        for x in 0..<w {
          let index = picture.indices[(bandStart + row) * w + x]
          if index != Quantized.transparent, !present[Int(index)] {
            present[Int(index)] = true
            coloursInBand.append(Int(index))
          }
        }
      }
      for (n, colour) in coloursInBand.enumerated() {
        present[colour] = false
        for x in 0..<w { bits[x] = 0 }
        for row in 0..<bandRows {
          let base = (bandStart + row) * w
          for x in 0..<w where picture.indices[base + x] == UInt16(colour) { bits[x] |= 1 << row }
        }
        out += Array("#\(colour)".utf8)
        var x = 0
        // Trailing empty columns need not be sent.
        var end = w
        while end > 0 && bits[end - 1] == 0 { end -= 1 }
        while x < end {
          var run = 1
          while x + run < end && bits[x + run] == bits[x] { run += 1 }
          let character = 63 + bits[x]
          if run > 3 {
            out += Array("!\(run)".utf8)
            out.append(character)
          } else {
            for _ in 0..<run { out.append(character) }
          }
          x += run
        }
        if n < coloursInBand.count - 1 { out.append(UInt8(ascii: "$")) }
      }
      bandStart += 6
      if bandStart < h { out.append(UInt8(ascii: "-")) }
    }
    return out + Escape.st
  }
}
