import Testing

@testable import LineEditor

@Suite struct UTF8InputDecoderTests {
  func decodeAll(_ bytes: [UInt8]) -> [Unicode.Scalar] {
    var decoder = UTF8InputDecoder()
    decoder.feed(bytes)
    var result: [Unicode.Scalar] = []
    while let scalar = decoder.next() { result.append(scalar) }
    return result
  }

  @Test func decodesMultibyteCharacters() {
    #expect(decodeAll(Array("aé日😀".utf8)) == ["a", "é", "日", "😀"])
  }

  @Test func waitsForTheRestOfASplitCharacter() {
    var decoder = UTF8InputDecoder()
    let bytes = Array("日".utf8)
    decoder.feed(bytes[0..<1])
    #expect(decoder.next() == nil)
    decoder.feed(bytes[1..<2])
    #expect(decoder.next() == nil)
    #expect(decoder.hasPendingBytes)
    decoder.feed(bytes[2..<3])
    #expect(decoder.next() == "日")
    #expect(decoder.next() == nil)
    #expect(!decoder.hasPendingBytes)
  }

  @Test func malformedInputBecomesReplacementCharacters() {
    #expect(decodeAll([0xFF, 0x41]) == ["\u{FFFD}", "A"])
    #expect(decodeAll([0xE6, 0x41]) == ["\u{FFFD}", "A"])  // truncated, then ASCII
    #expect(decodeAll([0xC0, 0x80]) == ["\u{FFFD}", "\u{FFFD}"])  // overlong NUL
    #expect(decodeAll([0xED, 0xA0, 0x80]) == ["\u{FFFD}", "\u{FFFD}", "\u{FFFD}"])  // surrogate
    #expect(decodeAll([0xF4, 0x90, 0x80, 0x80]).first == "\u{FFFD}")  // past U+10FFFF
  }

  @Test func resetDropsTypeAhead() {
    var decoder = UTF8InputDecoder()
    decoder.feed(Array("abc".utf8))
    #expect(decoder.next() == "a")
    decoder.reset()
    #expect(decoder.next() == nil)
    decoder.feed(Array("z".utf8))
    #expect(decoder.next() == "z")
  }
}
