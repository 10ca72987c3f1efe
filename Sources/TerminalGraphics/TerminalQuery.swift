#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The size of the terminal on a file descriptor, from `TIOCGWINSZ` (pixels are 0 where the
/// terminal does not report them).
public struct TerminalSize: Sendable, Equatable {
  public var columns: Int
  public var rows: Int
  public var pixelWidth: Int
  public var pixelHeight: Int

  public init(columns: Int, rows: Int, pixelWidth: Int, pixelHeight: Int) {
    self.columns = columns
    self.rows = rows
    self.pixelWidth = pixelWidth
    self.pixelHeight = pixelHeight
  }

  public static func of(fileDescriptor fd: Int32) -> TerminalSize? {
    var size = winsize()
    guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return TerminalSize(
      columns: Int(size.ws_col), rows: Int(size.ws_row), pixelWidth: Int(size.ws_xpixel),
      pixelHeight: Int(size.ws_ypixel))
  }

  /// The cell size in pixels when the kernel knows the window's pixels.
  public var cellSize: (width: Int, height: Int)? {
    guard pixelWidth > 0, pixelHeight > 0, columns > 0, rows > 0 else { return nil }
    return (pixelWidth / columns, pixelHeight / rows)
  }
}

/// Asks the terminal and reads its answer, in raw mode for at most a short time; the terminal's
/// settings are restored on every path. Call it only while nothing else reads the terminal (the
/// line editor is not in `readLine`), and from a thread that may block (`OwnThread.run`).
public enum TerminalQuery {
  /// The queries detection needs, ending with primary device attributes, which every terminal
  /// answers: its reply marks the end, so a terminal that ignores the others costs no timeout.
  public static let graphicsQueries: [UInt8] =
    KittyGraphics.query() + Array("\u{1B}[14t\u{1B}[16t\u{1B}[?1;1;0S\u{1B}[c".utf8)

  /// Whether `bytes` hold a complete primary device attributes reply.
  public static func hasDeviceAttributes(_ bytes: [UInt8]) -> Bool {
    var i = 0
    while i + 2 < bytes.count {
      if bytes[i] == 0x1B, bytes[i + 1] == UInt8(ascii: "["), bytes[i + 2] == UInt8(ascii: "?") {
        var j = i + 3
        while j < bytes.count && (bytes[j] == UInt8(ascii: ";") || (48...57).contains(bytes[j])) { j += 1 }
        if j < bytes.count && bytes[j] == UInt8(ascii: "c") { return true }
      }
      i += 1
    }
    return false
  }

  public enum Failure: Error, Sendable, Equatable {
    /// The descriptor is not a terminal (`tcgetattr` failed with this errno).
    case notATerminal(errno: Int32)
    case writeFailed(errno: Int32)
  }

  /// Writes `query` to `fd`, then reads until `complete` says the answer is whole or `timeoutMs`
  /// pass; returns what was read (possibly nothing).
  public static func ask(
    fileDescriptor fd: Int32, query: [UInt8] = graphicsQueries, timeoutMs: Int = 300,
    complete: ([UInt8]) -> Bool = hasDeviceAttributes
  ) throws(Failure) -> [UInt8] {
    var saved = termios()
    guard tcgetattr(fd, &saved) == 0 else { throw .notATerminal(errno: errno) }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
    withUnsafeMutableBytes(of: &raw.c_cc) { cc in
      // Reads return what is there at once; poll() does the waiting.
      cc[Int(VMIN)] = 0
      cc[Int(VTIME)] = 0
    }
    defer { _ = tcsetattr(fd, TCSANOW, &saved) }
    guard tcsetattr(fd, TCSANOW, &raw) == 0 else { throw .notATerminal(errno: errno) }
    var written = 0
    while written < query.count {
      let n = query[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .writeFailed(errno: errno)
      }
      written += n
    }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1024)
    let deadline = monotonicMs() + timeoutMs
    while !complete(answer) {
      let left = deadline - monotonicMs()
      if left <= 0 { break }
      var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, Int32(left))
      if ready < 0 && errno == EINTR { continue }
      guard ready > 0 else { break }
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      answer += buffer[0..<n]
    }
    return answer
  }

  static func monotonicMs() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000
  }
}
