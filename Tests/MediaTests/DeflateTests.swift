import Media
import Testing

@Suite struct DeflateTests {
  static let samples: [(String, [UInt8])] = {
    var random = SplitMix(state: 7)
    let text = Array(String(repeating: "comfysh draws what ComfyUI made. ", count: 400).utf8)
    let noise = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &random) }
    let runs = (0..<200_000).map { UInt8($0 / 3000 % 7) }
    return [("empty", []), ("one byte", [42]), ("text", text), ("noise", noise), ("runs", runs)]
  }()

  @Test(arguments: 0..<5)
  func compressedDataInflatesBack(_ index: Int) throws {
    let (name, data) = Self.samples[index]
    for effort in [Deflate.Effort.fast, .standard] {
      let zlib = Deflate.zlib(data, effort: effort)
      #expect(try Inflate.decompressZlib(zlib, limit: data.count) == data, "\(name)")
    }
  }

  @Test func repetitiveDataShrinks() {
    let text = Self.samples[2].1
    #expect(Deflate.zlib(text).count < text.count / 20)
    let noise = Self.samples[3].1
    // Incompressible data falls back to stored blocks: a few bytes of overhead, never much more.
    #expect(Deflate.zlib(noise).count < noise.count + 64)
  }

  @Test func aCompressedPNGDecodesToTheSamePixels() throws {
    var random = SplitMix(state: 3)
    var pixels = [UInt8](repeating: 0, count: 64 * 48 * 4)
    for y in 0..<48 {
      for x in 0..<64 {
        let i = (y * 64 + x) * 4
        pixels[i] = UInt8(x * 4)
        pixels[i + 1] = UInt8(y * 5)
        pixels[i + 2] = UInt8.random(in: 0...15, using: &random)
        pixels[i + 3] = x < 8 ? 128 : 255
      }
    }
    let image = RGBAImage(width: 64, height: 48, pixels: pixels)
    let png = PNGEncoder.encode(image)
    #expect(try PNGDecoder.decode(png) == image)
    let opaque = image.flattened(over: (0, 0, 0))
    let rgbPNG = PNGEncoder.encode(opaque)
    #expect(try PNGDecoder.decode(rgbPNG) == opaque)
    #expect(rgbPNG.count < 64 * 48 * 3 / 2, "filtered and compressed, not stored")
  }
}
