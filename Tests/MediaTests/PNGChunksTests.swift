import Media
import Testing

@Suite struct PNGChunksTests {
  @Test func chunksRoundTripWithTheirCRC() throws {
    let chunks = [
      PNGChunks.Chunk(type: "IHDR", data: [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]),
      PNGChunks.textChunk(key: "prompt", text: "{}"),
      PNGChunks.Chunk(type: "IEND", data: []),
    ]
    let bytes = PNGChunks.write(chunks)
    #expect(try PNGChunks.read(bytes) == chunks)
    // The CRC of an empty IEND chunk is fixed by the format.
    #expect(Array(bytes.suffix(4)) == [0xAE, 0x42, 0x60, 0x82])
  }

  @Test func truncatedAndForeignBytesSayWhich() {
    let bytes = PNGChunks.write([PNGChunks.Chunk(type: "IHDR", data: Array(repeating: 0, count: 13))])
    #expect(throws: PNGError.truncated(chunkType: "IHDR", claimedLength: 13)) {
      try PNGChunks.read(Array(bytes.dropLast(5)))
    }
    #expect(throws: PNGError.notPNG) { try PNGChunks.read(Array("GIF89a".utf8)) }
  }
}
