import ComfyClient
import FuzzSupport

/// WebSocket message decoding: the first byte says text frame (even) or binary frame (odd); the rest
/// is the frame's payload.
func fuzzWebSocket(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let bytes = Fuzz.bytes(start, count)
  guard let kind = bytes.first else { return 0 }
  let payload = bytes.dropFirst()
  if kind % 2 == 0 {
    _ = ServerEvent.decode(text: String(decoding: payload, as: UTF8.self))
  } else {
    _ = ServerEvent.decode(binary: payload)
  }
  return 0
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  fuzzWebSocket(start, count)
}

Fuzz.run(fuzzWebSocket)
