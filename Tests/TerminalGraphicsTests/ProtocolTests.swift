import Media
import TerminalGraphics
import TestSupport
import Testing

/// A picture with gradients, a flat area and a transparent corner.
func samplePicture(width: Int = 50, height: Int = 31) -> RGBAImage {
  var pixels = [UInt8](repeating: 0, count: width * height * 4)
  for y in 0..<height {
    for x in 0..<width {
      let i = (y * width + x) * 4
      pixels[i] = UInt8(x * 255 / (width - 1))
      pixels[i + 1] = UInt8(y * 255 / (height - 1))
      pixels[i + 2] = x > width / 2 ? 200 : 40
      pixels[i + 3] = x < 6 && y < 6 ? 0 : 255
    }
  }
  return RGBAImage(width: width, height: height, pixels: pixels)
}

@Suite struct ProtocolTests {
  @Test func base64RoundTrips() {
    for count in 0..<10 {
      let bytes = (0..<count).map { UInt8($0 * 37 & 0xFF) }
      #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }
    #expect(Base64.encodeString(Array("comfysh".utf8)) == "Y29tZnlzaA==")
  }

  /// kitty: chunks of at most 4096 base64 bytes, `m=1` on all but the last, keys on the first;
  /// the payload is a PNG that decodes to the very pixels sent.
  @Test func kittyPNGDecodesBackToThePixels() throws {
    // Noise, so the PNG needs several chunks.
    var image = samplePicture(width: 300, height: 200)
    var state: UInt32 = 1
    for i in stride(from: 0, to: image.pixels.count, by: 4) {
      state = state &* 1_664_525 &+ 1_013_904_223
      image.pixels[i + 2] = UInt8(truncatingIfNeeded: state >> 24)
    }
    let output = KittyGraphics.display(
      image, placement: Placement(columns: 30, rows: 10), imageID: 7, placementID: 1)
    let (commands, sizes) = ProtocolReaders.kitty(output)
    #expect(commands.count == 1)
    #expect(sizes.count > 1 && sizes.allSatisfy { $0 <= 4096 })
    let command = try #require(commands.first)
    #expect(command.keys["a"] == "T" && command.keys["f"] == "100" && command.keys["q"] == "2")
    #expect(command.keys["c"] == "30" && command.keys["r"] == "10")
    #expect(command.keys["i"] == "7" && command.keys["p"] == "1")
    let png = try #require(Base64.decode(command.payload))
    #expect(try PNGDecoder.decode(png) == image)
  }

  @Test func kittyRawRGBAIsZlibCompressed() throws {
    let image = samplePicture()
    let output = KittyGraphics.display(
      image, placement: Placement(columns: 5, rows: 2), encoding: .rgba, moveCursor: false)
    let command = try #require(ProtocolReaders.kitty(output).commands.first)
    #expect(command.keys["f"] == "32" && command.keys["o"] == "z" && command.keys["C"] == "1")
    #expect(command.keys["s"] == "\(image.width)" && command.keys["v"] == "\(image.height)")
    let raw = try Inflate.decompressZlib(
      try #require(Base64.decode(command.payload)), limit: image.pixels.count)
    #expect(raw == image.pixels)
  }

  @Test func kittyDeletesAndQueries() {
    #expect(
      String(decoding: KittyGraphics.delete(imageID: 7), as: UTF8.self) == "\u{1B}_Ga=d,d=I,i=7,q=2\u{1B}\\")
    #expect(
      String(decoding: KittyGraphics.query(), as: UTF8.self)
        == "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\")
  }

  @Test func itermFileDecodesBackToThePixels() throws {
    let image = samplePicture()
    let output = ITermImages.display(
      image, placement: Placement(columns: 12, rows: 4), name: "ComfyUI_00001_.png")
    let (arguments, file) = try #require(ProtocolReaders.iterm(output))
    #expect(arguments["inline"] == "1" && arguments["width"] == "12" && arguments["height"] == "4")
    #expect(arguments["size"] == "\(file.count)")
    #expect(arguments["name"].flatMap { Base64.decode(Array($0.utf8)) } == Array("ComfyUI_00001_.png".utf8))
    #expect(try PNGDecoder.decode(file) == image)
  }

  /// A picture with few colours comes back exactly; a photographic one within what a
  /// 256-colour palette with dithering allows.
  @Test func sixelParsesBackToThePixels() throws {
    var flat = RGBAImage(width: 23, height: 14, fill: (200, 30, 30, 255))
    for y in 7..<14 {
      for x in 0..<23 {
        let i = (y * 23 + x) * 4
        flat.pixels[i] = 20
        flat.pixels[i + 1] = x < 10 ? 100 : 240
        flat.pixels[i + 2] = 60
      }
    }
    for y in 0..<3 { for x in 0..<3 { flat.pixels[(y * 23 + x) * 4 + 3] = 0 } }
    let decodedFlat = try #require(ProtocolReaders.sixel(Sixel.encode(flat)))
    // Percentages cost up to 1.3 levels a channel; transparent pixels stay undrawn.
    let flatDifference = difference(decodedFlat, flat)
    #expect(flatDifference.maximum <= 2, "\(flatDifference)")

    let photo = samplePicture(width: 120, height: 80)
    let output = Sixel.encode(photo)
    let decoded = try #require(ProtocolReaders.sixel(output))
    #expect(decoded.width == 120 && decoded.height == 80)
    let photoDifference = difference(decoded, photo)
    #expect(photoDifference.mean < 6, "\(photoDifference)")
    #expect(output.starts(with: Array("\u{1B}P0;1;0q\"1;1;120;80".utf8)))
    #expect(output.contains(UInt8(ascii: "!")), "runs are length-coded")
  }

  @Test func sixelKeepsToTheRegisterCount() throws {
    let photo = samplePicture(width: 64, height: 40)
    let sixteen = Quantizer.quantize(photo, maximumColours: 16)
    #expect(sixteen.palette.count <= 16)
    let decoded = try #require(ProtocolReaders.sixel(Sixel.encode(sixteen)))
    #expect(difference(decoded, photo).mean < 18)
  }

  @Test func halfBlocksCarryEachPixelPair() throws {
    let image = samplePicture(width: 16, height: 9)
    let output = HalfBlocks.render(image, trueColour: true)
    let decoded = try #require(ProtocolReaders.halfBlocks(output, palette256: HalfBlocks.xterm256Colour))
    #expect(decoded.width == 16 && decoded.height == 10)
    var cropped = decoded.pixels
    cropped.removeLast(16 * 4)
    #expect(difference(RGBAImage(width: 16, height: 9, pixels: cropped), image).maximum == 0)

    let output256 = HalfBlocks.render(image, trueColour: false)
    let decoded256 = try #require(
      ProtocolReaders.halfBlocks(output256, palette256: HalfBlocks.xterm256Colour))
    var cropped256 = decoded256.pixels
    cropped256.removeLast(16 * 4)
    let d = difference(RGBAImage(width: 16, height: 9, pixels: cropped256), image)
    // The cube's widest step is 0 → 95: no channel is further than half of it from its entry.
    #expect(d.maximum <= 48 && d.mean < 16, "\(d)")
  }

  @Test func xterm256PicksTheNearestEntry() {
    #expect(HalfBlocks.xterm256(0, 0, 0) == 16)
    #expect(HalfBlocks.xterm256(255, 255, 255) == 231)
    #expect(HalfBlocks.xterm256(255, 0, 0) == 196)
    #expect(HalfBlocks.xterm256(128, 128, 128) == 244)
  }

  @Test func tmuxWrapsEachSequenceWithDoubledEscapes() {
    let kitty = KittyGraphics.display(
      samplePicture(width: 200, height: 120), placement: Placement(columns: 20, rows: 6))
    let wrapped = TmuxPassthrough.wrapEach(kitty)
    // Unwrap: each DCS tmux; … ST, with doubled ESCs halved, gives the original sequences back.
    var unwrapped: [UInt8] = []
    var i = 0
    let prefix = Array("\u{1B}Ptmux;".utf8)
    while i < wrapped.count {
      #expect(Array(wrapped[i..<(i + prefix.count)]) == prefix)
      i += prefix.count
      while !(wrapped[i] == 0x1B && wrapped[i + 1] == 0x5C) {
        if wrapped[i] == 0x1B { i += 1 }
        unwrapped.append(wrapped[i])
        i += 1
      }
      i += 2
    }
    #expect(unwrapped == kitty)
    #expect(TmuxPassthrough.wrap([0x1B, 0x5B, 0x63]) == Array("\u{1B}Ptmux;\u{1B}\u{1B}[c\u{1B}\\".utf8))
  }
}

struct Difference: CustomStringConvertible {
  var mean: Double
  var maximum: Int
  var description: String { "mean \(mean), max \(maximum)" }
}

/// Per-channel difference over pixels the reference shows; a pixel it hides must stay hidden.
func difference(_ a: RGBAImage, _ reference: RGBAImage) -> Difference {
  var total = 0
  var count = 0
  var maximum = 0
  for i in stride(from: 0, to: reference.pixels.count, by: 4) {
    if reference.pixels[i + 3] < 128 {
      if a.pixels[i + 3] != 0 { maximum = 255 }
      continue
    }
    for c in 0..<3 {
      let d = abs(Int(a.pixels[i + c]) - Int(reference.pixels[i + c]))
      total += d
      count += 1
      maximum = max(maximum, d)
    }
  }
  return Difference(mean: count == 0 ? 0 : Double(total) / Double(count), maximum: maximum)
}
