import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX path helpers with Python's `os.path` semantics, which ComfyUI's path checks are written in.
enum Paths {
  /// `os.path.normpath`: collapses `//`, `.` and `a/..` lexically.
  static func normalize(_ path: String) -> String {
    if path.isEmpty { return "." }
    let absolute = path.hasPrefix("/")
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        if let last = parts.last, last != ".." {
          parts.removeLast()
        } else if !absolute {
          parts.append(part)
        }
        continue
      }
      parts.append(part)
    }
    let joined = parts.joined(separator: "/")
    if absolute { return "/" + joined }
    return joined.isEmpty ? "." : joined
  }

  /// `os.path.join` for two parts.
  static func join(_ base: String, _ part: String) -> String {
    if part.hasPrefix("/") { return part }
    if base.isEmpty || base.hasSuffix("/") { return base + part }
    return base + "/" + part
  }

  /// `os.path.abspath`.
  static func absolute(_ path: String) -> String {
    normalize(path.hasPrefix("/") ? path : join(currentDirectory(), path))
  }

  /// `os.path.commonpath` of two absolute paths.
  static func common(_ a: String, _ b: String) -> String {
    let x = normalize(a).split(separator: "/")
    let y = normalize(b).split(separator: "/")
    var shared: [Substring] = []
    for (p, q) in zip(x, y) {
      guard p == q else { break }
      shared.append(p)
    }
    return "/" + shared.joined(separator: "/")
  }

  /// True when `path` (absolute, normalised) is `folder` or inside it.
  static func isInside(_ path: String, _ folder: String) -> Bool {
    common(path, folder) == normalize(folder)
  }

  /// `os.path.dirname` / `os.path.basename`.
  static func dirname(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    let head = String(path[..<slash])
    return head.isEmpty ? "/" : head
  }

  static func basename(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  static func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return "/" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func isFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }

  /// Names in a folder (no `.`/`..`), unsorted; empty when it cannot be read.
  static func list(_ folder: String) -> [String] {
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

  /// Writes a whole file (via a temporary name and a rename, so readers never see half a file).
  /// No fsync: these are throwaway simulator outputs and a job should cost milliseconds.
  static func write(_ path: String, _ bytes: [UInt8]) throws(FileError) {
    let temporary =
      dirname(path) + "/.\(basename(path)).part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { raw in
        #if canImport(Glibc)
        Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
        #else
        Darwin.write(fd, raw.baseAddress! + written, raw.count - written)
        #endif
      }
      if n < 0 {
        if errno == EINTR { continue }
        let reason = String(cString: strerror(errno))
        close(fd)
        unlink(temporary)
        throw FileError(path: path, reason: reason)
      }
      written += n
    }
    close(fd)
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw FileError(path: path, reason: reason)
    }
  }

  /// Deletes a folder and everything in it (the simulator's own temporary data folder).
  static func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      for name in list(path) { removeTree(path + "/" + name) }
      rmdir(path)
    } else {
      unlink(path)
    }
  }

  /// A new folder under the system's temporary folder.
  static func makeTemporaryFolder(prefix: String) throws(FileError) -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let base = buffer.baseAddress else { return false }
      return mkdtemp(base) != nil
    }
    guard made else { throw FileError(path: base, reason: String(cString: strerror(errno))) }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The last-modified time of a file in seconds, and its size; nil when it does not exist.
  static func fileInfo(_ path: String) -> (modified: Int, size: Int)? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    #if canImport(Darwin)
    return (Int(info.st_mtimespec.tv_sec), Int(info.st_size))
    #else
    return (Int(info.st_mtim.tv_sec), Int(info.st_size))
    #endif
  }
}
