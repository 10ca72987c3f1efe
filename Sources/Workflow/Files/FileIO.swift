#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation that failed, with the path and the system's reason.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
  public let path: String
  public let reason: String
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "\(path): \(reason)" }

  static func errno(_ path: String, _ code: Int32 = Glibc.errno) -> FileError {
    FileError(path: path, reason: String(cString: strerror(code)))
  }
}

/// Small POSIX file helpers: whole-file reads and crash-safe replacement of a file.
public enum FileIO {
  /// Reads a whole file.
  public static func read(_ path: String) throws(FileError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .errno(path) }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
      throw FileError(path: path, reason: "is a folder, not a file")
    }
    var result: [UInt8] = []
    result.reserveCapacity(info.st_size > 0 ? Int(info.st_size) : 4096)
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if Glibc.errno == EINTR { continue }
        throw .errno(path)
      }
      if n == 0 { break }
      result.append(contentsOf: chunk[0..<n])
    }
    return result
  }

  public static func readText(_ path: String) throws(FileError) -> String {
    String(decoding: try read(path), as: UTF8.self)
  }

  /// Replaces `path` with `bytes` so that a crash leaves either the old or the new file, never a mix:
  /// a temporary file in the same folder, fsync, rename over the target, fsync of the folder.
  /// An existing file keeps its permission bits; a new one gets `mode`.
  public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError)
  {
    let folder = parentFolder(of: path)
    var existing = stat()
    let finalMode = stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : mode
    var template = Array("\(folder)/.\(baseName(of: path)).tmp-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw .errno(path) }
    let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var ok = false
    defer {
      if !ok { unlink(tempPath) }
    }
    do {
      defer { close(fd) }
      var written = 0
      while written < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
        if n < 0 {
          if Glibc.errno == EINTR { continue }
          throw FileError.errno(path)
        }
        written += n
      }
      guard fchmod(fd, finalMode) == 0, fsync(fd) == 0 else { throw FileError.errno(path) }
    }
    guard rename(tempPath, path) == 0 else { throw .errno(path) }
    ok = true
    let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirfd >= 0 {
      fsync(dirfd)
      close(dirfd)
    }
  }

  public static func writeAtomically(_ path: String, text: String, mode: mode_t = 0o644) throws(FileError) {
    try writeAtomically(path, Array(text.utf8), mode: mode)
  }

  /// Creates a folder and its parents (like `mkdir -p`) with `mode` for the ones it creates.
  public static func createFolder(_ path: String, mode: mode_t = 0o755) throws(FileError) {
    var info = stat()
    if stat(path, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw FileError(path: path, reason: "exists and is not a folder")
      }
      return
    }
    let parent = parentFolder(of: path)
    if parent != path { try createFolder(parent, mode: mode) }
    if mkdir(path, mode) != 0 && Glibc.errno != EEXIST { throw .errno(path) }
  }

  public static func exists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
  }

  public static func isFolder(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// The names in a folder (without `.` and `..`), in the order the system lists them; empty when it
  /// cannot be read.
  public static func names(in folder: String) -> [String] {
    guard let dir = opendir(folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  public static func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }

  public static func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  /// `path` joined onto `folder` unless it is absolute (or `~`-relative, which is expanded).
  public static func resolve(_ path: String, relativeTo folder: String?) -> String {
    if path == "~" || path.hasPrefix("~/") {
      let home = getenv("HOME").map { String(cString: $0) } ?? ""
      return home + path.dropFirst()
    }
    guard !path.hasPrefix("/"), let folder, !folder.isEmpty, folder != "." else { return path }
    return folder.hasSuffix("/") ? folder + path : folder + "/" + path
  }
}
