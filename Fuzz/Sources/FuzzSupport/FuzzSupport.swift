import ComfyRules
import Workflow

#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ test: Fuzz.Test
) -> Int32

/// What the fuzz targets share: the input as bytes or text, a failed property, the fixture catalog.
public enum Fuzz {
  /// One input to test: the bytes libFuzzer chose; 0 means the input was taken.
  public typealias Test = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

  /// Hands the process to libFuzzer. SwiftPM gives every executable its own entry point, so the
  /// target's top-level code calls libFuzzer's driver instead of linking libFuzzer's `main`.
  public static func run(_ test: Test) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
  }

  /// The fuzzer's input as bytes.
  public static func bytes(_ start: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let start else { return [] }
    return Array(UnsafeBufferPointer(start: start, count: count))
  }

  /// A property that must hold for every input; a broken one aborts, so libFuzzer keeps the input.
  public static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    let text = "property failed: \(message())\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    abort()
  }

  /// The node catalog of `$COMFYSH_FUZZ_CATALOG` (an /object_info file, the recorded fixture's by
  /// Scripts/fuzz.sh), read once; nil when the variable is unset or the file unreadable.
  public static let catalog: Catalog? = {
    guard let path = getenv("COMFYSH_FUZZ_CATALOG").map({ String(cString: $0) }),
      let bytes = try? FileIO.read(path)
    else { return nil }
    return try? Catalog(objectInfoBytes: bytes)
  }()
}
