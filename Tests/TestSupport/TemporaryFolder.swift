#if canImport(Glibc)
import Glibc
#endif

/// Fresh folders under /tmp for tests.
public enum TemporaryFolder {
  /// A new empty folder (`/tmp/comfysh-test-…`); `/tmp` itself if one cannot be made.
  public static func make(prefix: String = "comfysh-test") -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard let made else { return "/tmp" }
    return String(cString: made)
  }
}
