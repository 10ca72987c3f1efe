import FuzzSupport
import Workflow

/// The lossless JSON reader: any bytes either fail with a message or give a value that writes out and
/// reads back to the same value, in both layouts.
func fuzzJSON(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = Fuzz.bytes(start, count)
  guard let value = try? JSONValue.parse(bytes: bytes) else { return 0 }
  for layout in [JSONLayout.compact, .indented(2)] {
    let text = value.serialized(layout)
    let again = try? JSONValue.parse(text)
    Fuzz.require(again == value, "\(layout) text does not read back: \(text.prefix(200))")
  }
  return 0
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 { fuzzJSON(start, count) }

Fuzz.run(fuzzJSON)
