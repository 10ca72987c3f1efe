import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP client for checking what the proxy passes, byte for byte.
struct RawClient {
  enum End: Equatable {
    /// The other side closed (FIN).
    case closed
    /// The connection was reset (RST).
    case reset
    /// Nothing more came within the wait.
    case quiet
  }

  struct Exchange {
    var bytes: [UInt8]
    var end: End
    /// Seconds from the request to the first byte after the HTTP head (a WebSocket's first frame).
    var firstBodyByteAfter: Double?
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes after the HTTP head.
    var body: [UInt8] {
      guard let end = headEnd else { return [] }
      return Array(bytes[end...])
    }

    var headEnd: Int? {
      guard bytes.count >= 4 else { return nil }
      for i in 0...(bytes.count - 4)
      where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
        return i + 4
      }
      return nil
    }
  }

  /// Sends `request` to 127.0.0.1:`port` and reads until the end, or until nothing came for `quiet` s
  /// once `until` holds (before that, for up to 20 s: a loaded machine may be slow to answer at all).
  static func exchange(
    port: Int, _ request: String, quiet: Double = 3,
    until: @escaping @Sendable (Exchange) -> Bool = { _ in true }
  ) async -> Exchange {
    await OwnThread.run { exchangeBlocking(port: port, request, quiet: quiet, until: until) }
  }

  /// A GET; by default `quiet` counts only once the first byte came.
  static func get(
    _ path: String, port: Int, quiet: Double = 3,
    until: @escaping @Sendable (Exchange) -> Bool = { !$0.bytes.isEmpty }
  ) async -> Exchange {
    await exchange(
      port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", quiet: quiet,
      until: until)
  }

  /// A WebSocket upgrade of `/ws?clientId=…`; waits for the server's first frame before `quiet` counts.
  static func webSocket(port: Int, quiet: Double = 3) async -> Exchange {
    await exchange(
      port: port,
      "GET /ws?clientId=proxy-test-\(UInt32.random(in: 0...UInt32.max)) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", quiet: quiet,
      until: { !$0.body.isEmpty })
  }

  private static func exchangeBlocking(
    port: Int, _ request: String, quiet: Double, until: (Exchange) -> Bool
  ) -> Exchange {
    var result = Exchange(bytes: [], end: .closed)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return result }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    guard connected else { return result }
    let start = now()
    _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&waiting, 1, Int32((until(result) ? quiet : 20) * 1000))
      if ready == 0 {
        result.end = .quiet
        return result
      }
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 {
        if errno == EINTR { continue }
        result.end = errno == ECONNRESET ? .reset : .closed
        return result
      }
      if n == 0 { return result }
      let hadHead = result.headEnd != nil && result.headEnd! < result.bytes.count
      result.bytes += buffer[0..<n]
      if !hadHead, result.firstBodyByteAfter == nil, let end = result.headEnd, end < result.bytes.count {
        result.firstBodyByteAfter = now() - start
      }
    }
  }

  static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// The length of the WebSocket frame at `offset` of `bytes` (a server frame, unmasked), if its
  /// header is there.
  static func frameLength(_ bytes: [UInt8], at offset: Int) -> Int? {
    guard bytes.count >= offset + 2 else { return nil }
    var length = Int(bytes[offset + 1] & 0x7F)
    var header = 2
    if length == 126 {
      guard bytes.count >= offset + 4 else { return nil }
      length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
      header = 4
    } else if length == 127 {
      guard bytes.count >= offset + 10 else { return nil }
      length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
      header = 10
    }
    return header + length
  }
}
