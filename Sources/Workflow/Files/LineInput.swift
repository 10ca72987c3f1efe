#if canImport(Glibc)
import Glibc
#endif

/// One line of standard input, read through one buffered stream that every line reader of the
/// process shares (piped commands, `key add --stdin`), with a bound on its length: a line without end (`cat /dev/zero | comfysh`) is skipped
/// to its end instead of filling memory.
public enum LineInput {
  public enum Line: Sendable, Equatable {
    case text(String)
    /// A line longer than the limit, skipped; `bytes` is how long it was.
    case tooLong(bytes: Int)
  }

  /// Standard input as a C stream; only ever used on `OwnThread.standardInput`, one read at a time.
  nonisolated(unsafe) private static let stream = fdopen(0, "r")

  /// 16 MiB: longer than any command needs (long text goes in `@file` values).
  public static let maximumLength = ReadLimit.script.bytes

  /// The next line without its line break; nil at the end of input.
  public static func next(limit: Int = maximumLength) -> Line? {
    var bytes: [UInt8] = []
    var length = 0
    var sawAny = false
    var buffer = [CChar](repeating: 0, count: 65536)
    while true {
      let got = buffer.withUnsafeMutableBufferPointer { pointer -> Int? in
        guard let stream, fgets(pointer.baseAddress, Int32(pointer.count), stream) != nil else { return nil }
        // fgets stops after a line break or a full buffer; a NUL in the input ends the part early.
        return strnlen(pointer.baseAddress!, pointer.count)
      }
      guard let got else { break }
      sawAny = true
      var part = buffer[0..<got].map { UInt8(bitPattern: $0) }
      let ended = part.last == 0x0A
      if ended { part.removeLast() }
      length += part.count
      if length <= limit { bytes += part } else { bytes = [] }
      if ended { break }
      if got == 0 { break }
    }
    guard sawAny else { return nil }
    if length > limit { return .tooLong(bytes: length) }
    if bytes.last == 0x0D { bytes.removeLast() }
    return .text(String(decoding: bytes, as: UTF8.self))
  }
}
