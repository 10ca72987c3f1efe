import Media
import TestSupport
import Testing

@Suite struct ImageMetadataTests {
  /// Issue 17: a zTXt or compressed iTXt prompt chunk was ignored ("text chunks: none").
  @Test func compressedTextChunksAreRead() throws {
    let bytes = MetadataSamples.png([
      MetadataSamples.zTXt("prompt", #"{"1": {}}"#),
      MetadataSamples.iTXt("workflow", #"{"nodes": [], "title": "é"}"#, compressed: true),
      MetadataSamples.iTXt("plain", "x", compressed: false),
    ])
    let metadata = try ImageMetadata.read(bytes)
    #expect(metadata["prompt"] == MetadataEntry(key: "prompt", text: #"{"1": {}}"#, container: "zTXt"))
    #expect(metadata["workflow"]?.text == #"{"nodes": [], "title": "é"}"#)
    #expect(metadata["workflow"]?.container == "iTXt (compressed)")
    #expect(metadata["plain"]?.container == "iTXt")
    #expect(PNGChunks.textEntries(try PNGChunks.read(bytes)).map(\.key) == ["prompt", "workflow", "plain"])
  }

  @Test func aCompressedChunkThatDoesNotInflateIsNamed() throws {
    let broken = PNGChunks.Chunk(type: "zTXt", data: Array("prompt".utf8) + [0, 0, 0x78, 0x01, 0xFF, 0x00])
    let metadata = try ImageMetadata.read(MetadataSamples.png([broken]))
    #expect(metadata.entries.isEmpty)
    #expect(
      metadata.unreadable == [
        UnreadableEntry(key: "prompt", container: "zTXt", reason: "its zlib data does not inflate")
      ])
  }

  /// Issue 17: a PNG cut short said "no prompt".
  @Test func aTruncatedPNGSaysSo() {
    let whole = MetadataSamples.png([PNGChunks.textChunk(key: "prompt", text: "{}")])
    #expect(throws: MetadataError.truncatedPNG(lastChunk: "tEXt")) {
      try ImageMetadata.read(Array(whole.dropLast(12)))
    }
    #expect(throws: MetadataError.self) { try ImageMetadata.read(Array(whole.prefix(30))) }
  }

  @Test(arguments: [false, true])
  func webpEXIFCarriesPromptAndWorkflow(_ prefix: Bool) throws {
    let bytes = MetadataSamples.webp(prompt: #"{"3": {}}"#, workflow: #"{"nodes": []}"#, exifPrefix: prefix)
    #expect(ImageMetadata.isWEBP(bytes))
    let metadata = try ImageMetadata.read(bytes)
    #expect(metadata.format == .webp)
    #expect(metadata["prompt"]?.text == #"{"3": {}}"#)
    #expect(metadata["workflow"]?.text == #"{"nodes": []}"#)
  }

  @Test func aTruncatedWEBPSaysSo() {
    let bytes = MetadataSamples.webp(prompt: "{}", workflow: nil)
    #expect(throws: MetadataError.truncatedWEBP(chunk: "EXIF")) {
      try ImageMetadata.read(Array(bytes.dropLast(3)))
    }
  }
}
