#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The history file: one entry per line, `\` written as `\\`, line breaks as `\n`/`\r`. Each
/// entry is appended as it is added, so a crash loses nothing; the file is trimmed to the
/// newest entries when the editor closes. Plain text so it stays readable and greppable.
enum HistoryFile {
  static func encode(_ entry: String) -> String {
    var result = ""
    for character in entry.unicodeScalars {
      switch character {
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      default: result.unicodeScalars.append(character)
      }
    }
    return result
  }

  static func decode(_ line: Substring) -> String {
    var result = String.UnicodeScalarView()
    var escaped = false
    for scalar in line.unicodeScalars {
      if escaped {
        switch scalar {
        case "n": result.append("\n")
        case "r": result.append("\r")
        case "\\": result.append("\\")
        default: result.append(contentsOf: ["\\", scalar])
        }
        escaped = false
      } else if scalar == "\\" {
        escaped = true
      } else {
        result.append(scalar)
      }
    }
    if escaped { result.append("\\") }
    return String(result)
  }

  /// The entries of a history file's contents, oldest first; blank lines are skipped.
  static func parse(_ contents: String) -> [String] {
    contents.split(separator: "\n", omittingEmptySubsequences: true).map(decode)
  }

  static func render(_ entries: [String]) -> String {
    entries.map { encode($0) + "\n" }.joined()
  }

  /// The last `limit` entries, without repeats of the entry just before (as libedit's
  /// H_SETUNIQUE keeps them in memory).
  static func trimmed(_ entries: [String], limit: Int) -> [String] {
    var unique: [String] = []
    for entry in entries where entry != unique.last { unique.append(entry) }
    return Array(unique.suffix(max(0, limit)))
  }

  /// Reads the file's entries; a missing or unreadable file has none.
  static func load(path: String) -> [String] {
    guard let bytes = readAll(path: path) else { return [] }
    return parse(String(decoding: bytes, as: UTF8.self))
  }

  /// Appends one entry, creating the file (mode 0600) and its folders (0700) when needed.
  @discardableResult
  static func append(_ entry: String, path: String) -> Bool {
    guard createParentDirectories(of: path) else { return false }
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { _ = close(fd) }
    return writeAll(fd, Array((encode(entry) + "\n").utf8))
  }

  /// Creates the file (0600) and its folders (0700) if missing, and takes group and other
  /// permissions away from an existing file: history can hold prompts and paths worth keeping
  /// private. Returns false if the file cannot be opened for appending.
  @discardableResult
  static func prepare(path: String) -> Bool {
    guard createParentDirectories(of: path) else { return false }
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { _ = close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0 && info.st_uid == getuid() && info.st_mode & 0o077 != 0 {
      _ = fchmod(fd, info.st_mode & 0o700)
    }
    return true
  }

  /// Rewrites the file with its newest `limit` entries when it has grown past that, through a
  /// temporary file and rename so that a crash leaves either version whole.
  @discardableResult
  static func compact(path: String, limit: Int) -> Bool {
    guard let bytes = readAll(path: path) else { return false }
    let entries = parse(String(decoding: bytes, as: UTF8.self))
    guard entries.count > limit else { return true }
    let temporary = path + ".tmp.\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    let written = writeAll(fd, Array(render(trimmed(entries, limit: limit)).utf8))
    _ = fsync(fd)
    _ = close(fd)
    guard written, rename(temporary, path) == 0 else {
      _ = unlink(temporary)
      return false
    }
    return true
  }

  /// `mkdir -p` for the folders above `path`; the ones it creates get mode 0700 (history can
  /// hold values worth keeping private).
  static func createParentDirectories(of path: String) -> Bool {
    let components = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
    var current = path.hasPrefix("/") ? "" : "."
    for component in components {
      current += "/" + component
      if mkdir(current, 0o700) != 0 && errno != EEXIST { return false }
    }
    return true
  }

  static func readAll(path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { _ = close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else { return nil }
      if count == 0 { return result }
      result.append(contentsOf: chunk[0..<count])
    }
  }

  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let count = bytes.withUnsafeBytes { buffer -> Int in
        guard let base = buffer.baseAddress else { return -1 }
        return write(fd, base + offset, buffer.count - offset)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return false }
      offset += count
    }
    return true
  }
}
