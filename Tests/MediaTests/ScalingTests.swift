import Media
import Testing

@Suite struct ScalingTests {
  /// A black-and-white checkerboard averages to the grey it looks like (sRGB 188), not to the
  /// arithmetic mean of the byte values (128), because averaging happens in linear light.
  @Test func aCheckerboardBecomesPerceivedGrey() {
    var pixels = [UInt8](repeating: 255, count: 8 * 8 * 4)
    for y in 0..<8 {
      for x in 0..<8 where (x + y) % 2 == 0 {
        let i = (y * 8 + x) * 4
        pixels[i] = 0
        pixels[i + 1] = 0
        pixels[i + 2] = 0
      }
    }
    let small = ImageScaling.resized(RGBAImage(width: 8, height: 8, pixels: pixels), width: 2, height: 2)
    for i in stride(from: 0, to: small.pixels.count, by: 4) {
      #expect((186...189).contains(small.pixels[i]) && small.pixels[i + 3] == 255)
    }
  }

  /// Transparent pixels do not darken their neighbours: colour is averaged weighted by alpha.
  @Test func transparencyDoesNotBleedBlack() {
    let pixels: [UInt8] = [255, 0, 0, 255, 0, 0, 0, 0]
    let one = ImageScaling.resized(RGBAImage(width: 2, height: 1, pixels: pixels), width: 1, height: 1)
    #expect(one.pixels == [255, 0, 0, 128])
  }

  /// Non-integer ratios share edge pixels by the area they cover; a flat picture stays flat.
  @Test func fractionalRatiosKeepFlatColour() {
    let flat = RGBAImage(width: 7, height: 5, fill: (10, 200, 30, 255))
    let scaled = ImageScaling.resized(flat, width: 3, height: 2)
    #expect(scaled == RGBAImage(width: 3, height: 2, fill: (10, 200, 30, 255)))
  }

  @Test func fittingKeepsAspectAndWholeCells() {
    // 1024² into 80×24 cells of 10×20 pixels: the height decides (480 px).
    let fit = CellFit.fit(
      width: 1024, height: 1024, maxColumns: 80, maxRows: 24, cellWidth: 10, cellHeight: 20)
    #expect(fit == CellFit(columns: 48, rows: 24, pixelWidth: 480, pixelHeight: 480))
    // A small picture keeps its pixels and takes the cells it needs.
    let small = CellFit.fit(width: 64, height: 30, maxColumns: 80, maxRows: 24, cellWidth: 10, cellHeight: 20)
    #expect(small == CellFit(columns: 7, rows: 2, pixelWidth: 64, pixelHeight: 30))
    let wide = CellFit.fit(
      width: 4000, height: 100, maxColumns: 40, maxRows: 24, cellWidth: 8, cellHeight: 16)
    #expect(wide.columns == 40 && wide.pixelWidth == 320 && wide.pixelHeight == 8 && wide.rows == 1)
  }
}
