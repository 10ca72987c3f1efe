import Synchronization

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

/// The most a read takes in, by what the file is for; a larger file is refused with the figure.
public struct ReadLimit: Sendable, Equatable {
  public let bytes: Int
  /// What the file is read as ("a workflow"), for the message.
  public let purpose: String

  public init(bytes: Int, purpose: String) {
    self.bytes = bytes
    self.purpose = purpose
  }

  /// Workflows (API or UI JSON, a ComfyUI PNG), `diff`, `upload`: 256 MiB.
  public static let workflow = ReadLimit(bytes: 256 << 20, purpose: "a workflow or image")
  /// A node catalog (`--catalog`, the cache): 64 MiB; ComfyUI's /object_info is a few MiB.
  public static let catalog = ReadLimit(bytes: 64 << 20, purpose: "a node catalog")
  /// Scripts (`source`, a script file, the init script) and `@file` values: 16 MiB.
  public static let script = ReadLimit(bytes: 16 << 20, purpose: "a script or text value")

  /// "256 MiB".
  public var shown: String { bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes) bytes" }

  func error(_ path: String) -> FileError {
    FileError(path: path, reason: "is larger than \(shown), the most comfysh reads as \(purpose)")
  }
}

/// Set from one thread (task cancellation), read by another (a read loop).
final class CancelFlag: Sendable {
  private let flag = Atomic<Bool>(false)
  func set() { flag.store(true, ordering: .relaxed) }
  var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// Small POSIX file helpers: whole-file reads and crash-safe replacement of a file.
public enum FileIO {
  /// Reads a whole file, at most `limit` bytes: a device such as /dev/zero, or a file larger than the
  /// limit, stops with an error instead of filling memory. `cancelled` is asked while a pipe or FIFO is
  /// waited for, so Ctrl-C can stop the read (`readInterruptibly`).
  public static func read(
    _ path: String, limit: ReadLimit = .workflow, cancelled: () -> Bool = { false }
  ) throws(FileError) -> [UInt8] {
    // O_NONBLOCK: opening a FIFO nobody writes to does not wait; reads below poll instead.
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { throw .errno(path) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .errno(path) }
    let kind = info.st_mode & S_IFMT
    if kind == S_IFDIR { throw FileError(path: path, reason: "is a folder, not a file") }
    if kind == S_IFREG && Int(info.st_size) > limit.bytes { throw limit.error(path) }
    var result: [UInt8] = []
    if kind == S_IFREG && info.st_size > 0 {
      // Straight into an array of the file's size and one byte more, which tells a file that grew
      // (read on below) from one that did not, without copying through a chunk.
      result = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
      let filled = try readFully(fd, into: &result, path: path)
      guard filled <= limit.bytes else { throw limit.error(path) }
      if filled < result.count {
        result.removeLast(result.count - filled)
        return result
      }
    } else {
      result.reserveCapacity(4096)
    }
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if Glibc.errno == EINTR { continue }
        if Glibc.errno == EAGAIN {
          if cancelled() { throw FileError(path: path, reason: "reading was stopped") }
          var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
          _ = poll(&waiting, 1, 100)
          continue
        }
        throw .errno(path)
      }
      if n == 0 { break }
      guard result.count + n <= limit.bytes else { throw limit.error(path) }
      result.append(contentsOf: chunk[0..<n])
      if cancelled() { throw FileError(path: path, reason: "reading was stopped") }
    }
    return result
  }

  /// Reads into `buffer` from its start until it is full or the file ends; the count read.
  private static func readFully(
    _ fd: Int32, into buffer: inout [UInt8], path: String
  ) throws(FileError) -> Int {
    var filled = 0
    while filled < buffer.count {
      let n = buffer.withUnsafeMutableBytes { bytes -> Int in
        guard let base = bytes.baseAddress else { return 0 }
        return Glibc.read(fd, base + filled, bytes.count - filled)
      }
      if n < 0 {
        if Glibc.errno == EINTR { continue }
        throw .errno(path)
      }
      if n == 0 { break }
      filled += n
    }
    return filled
  }

  /// `read` on a thread of its own, so a slow pipe never holds a cooperative thread; cancelling the
  /// task (Ctrl-C) stops it. A regular file, which never waits for a writer, is read on the calling
  /// thread: starting a thread (and the memory arena it allocates from) cost more than the read.
  public static func readInterruptibly(
    _ path: String, limit: ReadLimit = .workflow
  ) async throws(FileError)
    -> [UInt8]
  {
    if kind(of: path) == .regular { return try read(path, limit: limit, cancelled: { Task.isCancelled }) }
    let stop = CancelFlag()
    let result: Result<[UInt8], FileError> = await withTaskCancellationHandler {
      await OwnThread.run {
        Result { () throws(FileError) in try read(path, limit: limit, cancelled: { stop.isSet }) }
      }
    } onCancel: {
      stop.set()
    }
    return try result.get()
  }

  public static func readText(_ path: String, limit: ReadLimit = .script) throws(FileError) -> String {
    String(decoding: try read(path, limit: limit), as: UTF8.self)
  }

  /// Replaces `path` with `bytes` so that a crash leaves either the old or the new file, never a mix:
  /// a temporary file in the same folder, fsync, rename over the target, fsync of the folder.
  /// An existing file keeps its permission bits; a new one gets `mode`. Only a regular file is ever
  /// replaced (a symbolic link is followed to one): a device, FIFO or socket at `path` is an error, since
  /// the rename would put a file where it was. Temporary files a killed writer left for `path` are
  /// removed first. A cache that can be made again passes `durable: false` to skip the two fsyncs: a
  /// crash may then leave it empty or short, never mixed with another file.
  public static func writeAtomically(
    _ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true
  ) throws(FileError) {
    let path = try regularTarget(path)
    let folder = parentFolder(of: path)
    var existing = stat()
    let finalMode = stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : mode
    removeAbandonedTemporaries(of: path)
    let prefix = temporaryPrefix(of: path)
    var template = Array("\(folder)/\(prefix)\(getpid())-XXXXXX".utf8CString)
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
      guard fchmod(fd, finalMode) == 0, !durable || fsync(fd) == 0 else { throw FileError.errno(path) }
    }
    guard rename(tempPath, path) == 0 else { throw .errno(path) }
    ok = true
    guard durable else { return }
    let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirfd >= 0 {
      fsync(dirfd)
      close(dirfd)
    }
  }

  /// What kind of thing is at a path, without following a symbolic link.
  public enum Kind: Equatable, Sendable {
    case missing, regular, folder, symbolicLink, other(String)
  }

  public static func kind(of path: String) -> Kind {
    var info = stat()
    guard lstat(path, &info) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular
    case S_IFDIR: return .folder
    case S_IFLNK: return .symbolicLink
    case S_IFCHR: return .other("a character device")
    case S_IFBLK: return .other("a block device")
    case S_IFIFO: return .other("a FIFO (named pipe)")
    case S_IFSOCK: return .other("a socket")
    default: return .other("not a regular file")
    }
  }

  /// The regular file (or free name) a write to `path` replaces: a symbolic link is followed.
  static func regularTarget(_ path: String) throws(FileError) -> String {
    switch kind(of: path) {
    case .missing, .regular: return path
    case .folder: throw FileError(path: path, reason: "is a folder, not a file")
    case .other(let what):
      throw FileError(path: path, reason: "is \(what), not a regular file; only a regular file is replaced")
    case .symbolicLink:
      guard let resolved = realpath(path, nil) else {
        // A link to nothing yet: write where it points.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { throw .errno(path) }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return try regularTarget(target.hasPrefix("/") ? target : parentFolder(of: path) + "/" + target)
      }
      defer { free(resolved) }
      let target = String(cString: resolved)
      switch kind(of: target) {
      case .missing, .regular: return target
      case .folder: throw FileError(path: path, reason: "is a link to a folder, not a file")
      case .other(let what):
        throw FileError(
          path: path, reason: "is a link to \(what), not a regular file; only a regular file is replaced")
      case .symbolicLink: throw FileError(path: path, reason: "is a link that does not resolve")
      }
    }
  }

  /// `.NAME.tmp-`: the temporary files of a write to `path` start with it, then the writer's pid.
  static func temporaryPrefix(of path: String) -> String { ".\(baseName(of: path)).tmp-" }

  /// Removes the temporary files that writers of `path` left when they were killed (their process is
  /// gone), so a `kill -9` during a large save costs no disk space after the next save.
  static func removeAbandonedTemporaries(of path: String) {
    let folder = parentFolder(of: path)
    let prefix = temporaryPrefix(of: path)
    for name in names(in: folder) where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
      if kill(pid, 0) != 0 && Glibc.errno == ESRCH { unlink(folder + "/" + name) }
    }
  }

  public static func writeAtomically(_ path: String, text: String, mode: mode_t = 0o644) throws(FileError) {
    try writeAtomically(path, Array(text.utf8), mode: mode)
  }

  /// The process's working folder (`/` if it cannot be read, e.g. after it was removed).
  public static func currentFolder() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return "/" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
