import FuzzSupport
import Media
import Workflow

/// The PNG chunk reader and what load does with a PNG: chunks, text entries, the workflow in them.
/// A chunk list that reads must write back to bytes that read to the same chunks.
func fuzzPNG(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  var bytes = PNGChunks.signature
  bytes += Fuzz.bytes(start, count)
  if let chunks = try? PNGChunks.read(bytes) {
    _ = PNGChunks.textEntries(chunks)
    // A chunk type is four ASCII letters (PNG 5.3); other bytes are not kept by `Chunk.type`.
    if chunks.allSatisfy({
      $0.type.utf8.count == 4 && $0.type.utf8.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }
    }) {
      let again = try? PNGChunks.read(PNGChunks.write(chunks))
      Fuzz.require(again == chunks, "written chunks do not read back")
    }
  }
  _ = WorkflowFile.needsUIConversion(bytes)
  _ = try? WorkflowFile.parse(bytes, name: "fuzz.png")
  return 0
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 { fuzzPNG(start, count) }

Fuzz.run(fuzzPNG)
