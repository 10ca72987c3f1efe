#if canImport(Glibc)
import Glibc
#endif

/// Settings of the C allocator for the whole process, made once at start.
public enum Allocator {
  /// Makes every thread allocate from one malloc arena; true when the allocator took the setting.
  /// glibc gives each thread that allocates an arena of its own, grown a page at a time with one
  /// `mprotect` each (270 calls to load and validate a 2,000-node workflow), and keeps memory freed in
  /// one arena from the others; comfysh's threads mostly take turns, so sharing one lock costs little.
  @discardableResult
  public static func useOneArena() -> Bool {
    #if canImport(Glibc)
    // malloc.h is not part of the Glibc module: the function is looked up, `M_ARENA_MAX` written out.
    let arenaMaximum: Int32 = -8
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    return mallopt(arenaMaximum, 1) == 1
    #else
    return false
    #endif
  }
}
