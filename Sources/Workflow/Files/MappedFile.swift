#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file mapped read-only: pages are read from disk only when touched, so a large file of which
/// a little is used costs that little in memory and time.
///
/// The mapping is private and never written; files it is used for are only ever replaced by rename
/// (`FileIO.writeAtomically`), which leaves a mapped old inode intact.
public final class MappedFile: @unchecked Sendable {
  /// The file's bytes; valid for the life of this object.
  public let bytes: UnsafeBufferPointer<UInt8>
  private let base: UnsafeMutableRawPointer?
  private let length: Int

  public init(_ path: String, limit: ReadLimit) throws(FileError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { throw .errno(path) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .errno(path) }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw FileError(path: path, reason: "is not a regular file")
    }
    let size = Int(info.st_size)
    if size > limit.bytes { throw limit.error(path) }
    guard size > 0 else {
      base = nil
      length = 0
      bytes = UnsafeBufferPointer(start: nil, count: 0)
      return
    }
    guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
      throw .errno(path)
    }
    base = mapped
    length = size
    bytes = UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size)
  }

  deinit {
    if let base { munmap(base, length) }
  }
}
