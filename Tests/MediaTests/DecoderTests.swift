import Media
import Testing

@Suite struct DecoderTests {
  @Test func theFixturesAreThere() {
    #expect(MediaFixtures.stills.count >= 40, "Tests/Fixtures/Media/manifest.json lists the images")
  }

  /// Each file decodes to Pillow's pixels within the tolerance its format allows (lossless: exact).
  @Test(arguments: MediaFixtures.stills)
  func decodesLikePillow(_ still: MediaFixtures.Still) throws {
    let bytes = try MediaFixtures.bytes(still.file)
    #expect(ImageFormat.sniff(bytes)?.rawValue == still.format)
    let image = try ImageDecoder.decode(bytes)
    #expect(image.width == still.width && image.height == still.height)
    let difference = PixelDifference(image, try MediaFixtures.reference(still))
    #expect(
      difference.mean <= still.meanTolerance && difference.maximum <= still.maxTolerance,
      "\(still.file): \(difference)")
  }

  /// Cut short anywhere, or with bytes changed, a file fails with an error or decodes to something;
  /// it never crashes and never hangs.
  @Test(arguments: MediaFixtures.stills)
  func truncatedAndCorruptFilesFailCleanly(_ still: MediaFixtures.Still) throws {
    let bytes = try MediaFixtures.bytes(still.file)
    var cuts = Set(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 48)))
    cuts.formUnion([1, 2, 7, 8, 12, 16, 20, 30, 33, bytes.count - 1].filter { $0 > 0 && $0 < bytes.count })
    var failures = 0
    for cut in cuts.sorted() {
      do {
        _ = try ImageDecoder.decode(Array(bytes.prefix(cut)))
      } catch {
        failures += 1
      }
    }
    #expect(failures > 0, "a file cut short must fail at least sometimes")
    var random = SplitMix(state: UInt64(bytes.count))
    for _ in 0..<40 {
      var corrupt = bytes
      for _ in 0..<Int.random(in: 1...6, using: &random) {
        let at = Int.random(in: min(16, bytes.count - 1)..<bytes.count, using: &random)
        corrupt[at] = UInt8.random(in: 0...255, using: &random)
      }
      _ = try? ImageDecoder.decode(corrupt)
    }
  }

  @Test func limitsStopHugeHeadersBeforeAllocating() throws {
    var header: [UInt8] = []
    BigEndian.appendUInt32(&header, 60000)
    BigEndian.appendUInt32(&header, 60000)
    header += [8, 6, 0, 0, 0]
    let png = PNGChunks.write([
      PNGChunks.Chunk(type: "IHDR", data: header),
      PNGChunks.Chunk(type: "IDAT", data: [0x78, 0x9C, 0x03, 0x00]),
    ])
    #expect(throws: ImageDecodeError.tooLarge(width: 60000, height: 60000, limits: .standard)) {
      try ImageDecoder.decode(png)
    }
    #expect(throws: ImageDecodeError.unknownFormat(head: Array("BM hello".utf8))) {
      try ImageDecoder.decode(Array("BM hello".utf8))
    }
  }
}
