import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One proxied connection: the client's requests go up (read as far as their request lines and
/// bodies), the server's answers come down through the fault of the latest request.
final class Connection: Sendable {
  let proxy: FaultProxy
  let client: Int32
  let upstream: Int32
  private let shared = Mutex(Shared())

  struct Shared {
    /// The fault for what the server sends now (the latest request's, or the WebSocket's).
    var fault: FaultProxy.Fault = .pass
    /// When that fault began (monotonic seconds).
    var since = 0.0
    var webSocket = false
    /// A silenced WebSocket: nothing passes either way.
    var silent = false
    var closed = false
    /// Bytes of the answer passed since the fault began.
    var answered = 0
    /// The pumps still running.
    var pumps = 2
  }

  init(proxy: FaultProxy, client: Int32, upstream: Int32) {
    self.proxy = proxy
    self.client = client
    self.upstream = upstream
  }

  // MARK: - Client to server

  func pumpRequests() {
    defer { pumpEnded() }
    var buffer: [UInt8] = []
    /// Body bytes of the current request still to pass before the next request line.
    var bodyLeft = 0
    var raw = false
    while let chunk = read(client) {
      if shared.withLock({ $0.silent }) { continue }
      if raw {
        guard writeAll(upstream, chunk) else { break }
        continue
      }
      buffer += chunk
      while !buffer.isEmpty {
        if bodyLeft > 0 {
          let n = min(bodyLeft, buffer.count)
          guard writeAll(upstream, Array(buffer[0..<n])) else { return finish() }
          buffer.removeFirst(n)
          bodyLeft -= n
          continue
        }
        guard let end = headerEnd(buffer) else { break }
        let head = Array(buffer[0..<end])
        buffer.removeFirst(end)
        let request = RequestHead(head)
        let fault = proxy.fault(method: request.method, path: request.path)
        switch fault {
        case .respond(let status, let body):
          let text =
            "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
          _ = writeAll(client, Array(text.utf8))
          return finish()
        case .garbage(let bytes):
          _ = writeAll(client, bytes)
          return finish()
        case .reset:
          return finish(reset: true)
        default:
          shared.withLock {
            $0.fault = fault
            $0.since = Self.now()
            $0.answered = 0
            $0.webSocket = request.isUpgrade
          }
        }
        guard writeAll(upstream, head) else { return finish() }
        if request.isUpgrade || request.isChunked {
          raw = true
          if !buffer.isEmpty { guard writeAll(upstream, buffer) else { return finish() } }
          buffer = []
          break
        }
        bodyLeft = request.contentLength
      }
    }
    finish()
  }

  // MARK: - Server to client

  func pumpAnswers() {
    defer { pumpEnded() }
    var frames = FrameCounter()
    var greetingHeld = false
    while true {
      let (timed, since) = shared.withLock { ($0.fault, $0.since) }
      if case .dropAfterSeconds(let seconds) = timed, Self.now() - since >= seconds {
        proxy.note("dropped after \(seconds) s")
        return finish()
      }
      if case .resetAfterSeconds(let seconds) = timed, Self.now() - since >= seconds {
        proxy.note("reset after \(seconds) s")
        return finish(reset: true)
      }
      let chunk = read(upstream, timeoutMilliseconds: 50)
      // The fault of the request this answer is for: read after the bytes came, since the request
      // pump sets it before it sends the request on.
      let (fault, webSocket, silent) = shared.withLock { ($0.fault, $0.webSocket, $0.silent) }
      guard let chunk else {
        // A stalled or silenced connection stays open for the client even when the server is done.
        if fault == .stall || silent { return }
        return finish()
      }
      if chunk.isEmpty { continue }  // timed out: look at the timers again
      switch fault {
      case .stall:
        continue
      case .dropAfterBytes(let limit):
        let passed = shared.withLock { $0.answered }
        let n = max(0, min(chunk.count, limit - passed))
        if n > 0 { _ = writeAll(client, Array(chunk[0..<n])) }
        shared.withLock { $0.answered += n }
        if passed + n >= limit {
          proxy.note("dropped after \(limit) bytes")
          return finish()
        }
      case .slowDrip(let interval):
        for byte in chunk {
          guard writeAll(client, [byte]) else { return finish() }
          usleep(useconds_t(interval * 1_000_000))
        }
      case .webSocketDelayGreeting(let seconds) where webSocket:
        let (ready, rest) = frames.splitAfterUpgrade(chunk)
        guard writeAll(client, ready) else { return finish() }
        if frames.upgraded && !greetingHeld {
          greetingHeld = true
          proxy.note("holding the greeting \(seconds) s")
          usleep(useconds_t(seconds * 1_000_000))
        }
        if !rest.isEmpty { guard writeAll(client, rest) else { return finish() } }
      case .webSocketCloseBefore(let text) where webSocket:
        let (ready, rest) = frames.splitAfterUpgrade(chunk)
        guard writeAll(client, ready) else { return finish() }
        frames.pending += rest
        guard frames.upgraded else { continue }
        let needle = Array(text.utf8)
        while let length = frames.nextFrameLength(), frames.pending.count >= length {
          let frame = Array(frames.pending[0..<length])
          if Self.contains(frame, needle) {
            proxy.note("closed the WebSocket before the frame with \(text)")
            return finish()
          }
          guard writeAll(client, frame) else { return finish() }
          frames.pending.removeFirst(length)
          frames.passed += 1
        }
      case .webSocketCutMidFrame(let whole) where webSocket,
        .webSocketResetAfterFrames(let whole) where webSocket,
        .webSocketSilentAfterFrames(let whole) where webSocket:
        let (ready, rest) = frames.splitAfterUpgrade(chunk)
        guard writeAll(client, ready) else { return finish() }
        frames.pending += rest
        guard frames.upgraded else { continue }
        // Whole frames first, up to the count.
        while frames.passed < whole, let length = frames.nextFrameLength(), frames.pending.count >= length {
          guard writeAll(client, Array(frames.pending[0..<length])) else { return finish() }
          frames.pending.removeFirst(length)
          frames.passed += 1
        }
        guard frames.passed >= whole else { continue }
        switch fault {
        case .webSocketCutMidFrame:
          guard let length = frames.nextFrameLength(), frames.pending.count >= length else { continue }
          _ = writeAll(client, Array(frames.pending[0..<max(1, length / 2)]))
          proxy.note("cut the WebSocket inside frame \(whole + 1)")
          return finish()
        case .webSocketResetAfterFrames:
          proxy.note("reset the WebSocket after \(whole) frames")
          return finish(reset: true)
        default:
          if !shared.withLock({ $0.silent }) {
            shared.withLock { $0.silent = true }
            proxy.note("silenced the WebSocket after \(whole) frames")
          }
          frames.pending = []
        }
      default:
        guard writeAll(client, chunk) else { return finish() }
      }
    }
  }

  // MARK: - Plumbing

  /// True when `needle` occurs in `bytes`.
  static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, bytes.count >= needle.count else { return needle.isEmpty }
    for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
      if Array(bytes[start..<start + needle.count]) == needle { return true }
    }
    return false
  }

  /// Closes both sides once; `reset` makes the client see a TCP RST instead of an orderly end.
  func finish(reset: Bool = false) {
    let first = shared.withLock { state -> Bool in
      defer { state.closed = true }
      return !state.closed
    }
    guard first else { return }
    if reset {
      // With SO_LINGER 0, close sends RST; shutdown of the reading side only wakes the other pump.
      var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
      for fd in [client, upstream] {
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdown(fd, Int32(SHUT_RD))
      }
    } else {
      shutdown(client, Int32(SHUT_RDWR))
      shutdown(upstream, Int32(SHUT_RDWR))
    }
  }

  /// Called as each pump returns; the last one closes the descriptors, so none is used after its close.
  func pumpEnded() {
    let last = shared.withLock { state -> Bool in
      state.pumps -= 1
      return state.pumps == 0
    }
    guard last else { return }
    proxy.closeConnection([client, upstream])
  }

  /// Bytes from `fd`; nil at its end or on an error; empty when `timeoutMilliseconds` passed first.
  private func read(_ fd: Int32, timeoutMilliseconds: Int32 = -1) -> [UInt8]? {
    var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ready = poll(&waiting, 1, timeoutMilliseconds)
    if ready == 0 { return [] }
    if ready < 0 { return errno == EINTR ? [] : nil }
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return nil }
    return Array(buffer[0..<n])
  }

  private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeBytes {
        send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
      }
      if n < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += n
    }
    return true
  }

  private func headerEnd(_ bytes: [UInt8]) -> Int? {
    guard bytes.count >= 4 else { return nil }
    for i in 0...(bytes.count - 4)
    where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
      return i + 4
    }
    return nil
  }

  static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  static func reason(_ status: Int) -> String {
    switch status {
    case 500: "Internal Server Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Gateway Timeout"
    case 404: "Not Found"
    default: "Fault"
    }
  }
}

/// The request line and the headers the proxy needs.
struct RequestHead {
  var method = ""
  var path = ""
  var contentLength = 0
  var isUpgrade = false
  var isChunked = false

  init(_ bytes: [UInt8]) {
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n")
    if let first = lines.first {
      let parts = first.split(separator: " ")
      if parts.count >= 2 {
        method = String(parts[0])
        path = String(parts[1])
      }
    }
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingPrefix(" ").lowercased()
      switch name {
      case "content-length": contentLength = Int(value) ?? 0
      case "upgrade": isUpgrade = value.contains("websocket")
      case "transfer-encoding": isChunked = value.contains("chunked")
      default: break
      }
    }
  }
}

/// Follows the server's side of a WebSocket: the 101 answer, then frame by frame.
struct FrameCounter {
  var upgraded = false
  var head: [UInt8] = []
  var pending: [UInt8] = []
  var passed = 0

  /// Splits a chunk into what belongs to the 101 answer (or all of it before the upgrade) and frames.
  mutating func splitAfterUpgrade(_ chunk: [UInt8]) -> ([UInt8], [UInt8]) {
    if upgraded { return ([], chunk) }
    let start = head.count
    head += chunk
    guard head.count >= 4 else { return (chunk, []) }
    for i in 0...(head.count - 4)
    where head[i] == 13 && head[i + 1] == 10 && head[i + 2] == 13 && head[i + 3] == 10 {
      upgraded = true
      let cut = i + 4 - start
      return (Array(chunk[0..<max(0, cut)]), Array(chunk[max(0, cut)...]))
    }
    return (chunk, [])
  }

  /// The length of the frame at the front of `pending`, once its header is there.
  func nextFrameLength() -> Int? {
    guard pending.count >= 2 else { return nil }
    let masked = pending[1] & 0x80 != 0
    var length = Int(pending[1] & 0x7F)
    var header = 2
    if length == 126 {
      guard pending.count >= 4 else { return nil }
      length = Int(pending[2]) << 8 | Int(pending[3])
      header = 4
    } else if length == 127 {
      guard pending.count >= 10 else { return nil }
      length = (2..<10).reduce(0) { $0 << 8 | Int(pending[$1]) }
      header = 10
    }
    return header + (masked ? 4 : 0) + length
  }
}
