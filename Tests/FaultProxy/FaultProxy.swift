import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP proxy between comfysh and a ComfyUI server (the simulator in tests, a real one by
/// hand: `comfysh-fault-proxy`) that injects faults: it drops, stalls, resets or slows a request's
/// answer, answers in the server's place (HTTP 500, 502, garbage), and cuts, resets, silences or
/// delays the WebSocket. Faults are chosen per request by path; every other byte passes unchanged.
///
/// HTTP is read only as far as needed: request lines and `Content-Length` bodies from the client,
/// and after a WebSocket upgrade the server's frame headers. Each connection runs on two threads of
/// its own (one per direction), so the proxy never holds a Swift concurrency thread.
public final class FaultProxy: Sendable {
  /// What happens to a matching request (or, for the `webSocket…` faults, to a matching `/ws` upgrade).
  public enum Fault: Sendable, Equatable, CustomStringConvertible {
    /// Passes unchanged.
    case pass
    /// Passes the first `bytes` of the answer, then closes both sides.
    case dropAfterBytes(Int)
    /// Passes the answer for `seconds`, then closes both sides.
    case dropAfterSeconds(Double)
    /// Passes the answer (or, on `/ws`, the socket's frames) for `seconds`, then resets the connection.
    case resetAfterSeconds(Double)
    /// Sends the request on but never passes the answer; the connection stays open.
    case stall
    /// Resets the client's connection (TCP RST) instead of answering.
    case reset
    /// Answers with this status and body in the server's place, then closes.
    case respond(status: Int, body: String)
    /// Answers with these raw bytes (not HTTP), then closes.
    case garbage([UInt8])
    /// Passes the answer one byte every `interval` seconds.
    case slowDrip(interval: Double)
    /// After the upgrade, passes `frames` whole server frames, then half of the next, then closes.
    case webSocketCutMidFrame(afterFrames: Int)
    /// After the upgrade, passes `frames` server frames, then resets the connection.
    case webSocketResetAfterFrames(Int)
    /// After the upgrade, passes whole server frames until one that contains `text` (a message type such
    /// as `execution_success`), then closes the connection without passing that frame.
    case webSocketCloseBefore(text: String)
    /// After the upgrade, passes `frames` server frames, then nothing either way (a half-open socket).
    case webSocketSilentAfterFrames(Int)
    /// Holds everything the server sends after the upgrade (the greeting first) for `seconds`.
    case webSocketDelayGreeting(seconds: Double)

    public var description: String {
      switch self {
      case .pass: "pass"
      case .dropAfterBytes(let n): "drop after \(n) bytes"
      case .dropAfterSeconds(let s): "drop after \(s) s"
      case .resetAfterSeconds(let s): "reset after \(s) s"
      case .stall: "stall"
      case .reset: "reset"
      case .respond(let status, _): "answer \(status)"
      case .garbage(let bytes): "answer \(bytes.count) bytes of garbage"
      case .slowDrip(let interval): "drip one byte every \(interval) s"
      case .webSocketCutMidFrame(let n): "cut the WebSocket in frame \(n + 1)"
      case .webSocketResetAfterFrames(let n): "reset the WebSocket after \(n) frames"
      case .webSocketSilentAfterFrames(let n): "silence the WebSocket after \(n) frames"
      case .webSocketCloseBefore(let text): "close the WebSocket before the frame with \(text)"
      case .webSocketDelayGreeting(let s): "delay the WebSocket greeting \(s) s"
      }
    }

    var isWebSocketFault: Bool {
      switch self {
      case .webSocketCutMidFrame, .webSocketResetAfterFrames, .webSocketSilentAfterFrames,
        .webSocketDelayGreeting, .webSocketCloseBefore:
        true
      default: false
      }
    }
  }

  /// A fault for the requests whose path starts with `path` (nil: every request), the first `times`
  /// of them (nil: all).
  public struct Rule: Sendable, Equatable {
    public var path: String?
    public var method: String?
    public var fault: Fault
    public var times: Int?

    public init(path: String? = nil, method: String? = nil, _ fault: Fault, times: Int? = nil) {
      self.path = path
      self.method = method
      self.fault = fault
      self.times = times
    }

    func matches(method: String, path requestPath: String) -> Bool {
      if let wanted = self.method, wanted != method { return false }
      guard let path else { return true }
      return requestPath.hasPrefix(path)
    }
  }

  public struct ProxyError: Error, CustomStringConvertible {
    public let description: String
  }

  public let port: Int
  public let upstreamPort: Int
  private let listener: Int32
  private let state: Mutex<State>

  struct State {
    var rules: [Rule]
    var log: [String] = []
    var connections: Set<Int32> = []
    /// Where new connections go; `restartUpstream` changes it.
    var upstream: Int?
    var stopped = false
  }

  /// Listens on 127.0.0.1 (port 0: a free one) and forwards to 127.0.0.1:`upstreamPort`; only loopback
  /// is ever a target.
  public init(upstreamPort: Int, port: Int = 0, rules: [Rule] = []) throws {
    guard (1...65535).contains(upstreamPort) else {
      throw ProxyError(description: "bad upstream port \(upstreamPort)")
    }
    self.upstreamPort = upstreamPort
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ProxyError(description: "socket() failed") }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = Self.loopback(port: port)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard bound else {
      close(fd)
      throw ProxyError(description: "cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    listener = fd
    self.port = Int(UInt16(bigEndian: address.sin_port))
    state = Mutex(State(rules: rules))
    let proxy = self
    Self.thread { proxy.acceptLoop() }
  }

  deinit { stop() }

  public var url: String { "http://127.0.0.1:\(port)" }

  /// Replaces the rules for requests from now on.
  public func setRules(_ rules: [Rule]) {
    state.withLock { $0.rules = rules }
  }

  /// What the proxy did: one line per request and per fault applied.
  public var log: [String] { state.withLock { $0.log } }

  /// Closes the listener and every connection.
  public func stop() {
    // Only once: after the first stop the listener's number may belong to another socket.
    // Under the lock, so no descriptor is closed (and its number reused) meanwhile.
    state.withLock { state in
      guard !state.stopped else { return }
      state.stopped = true
      shutdown(listener, Int32(SHUT_RDWR))
      for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }
  }

  /// A server restart seen through the proxy: every open connection is cut and new ones reach the
  /// server on `port` — the same address, a server that knows nothing of the old one's prompts.
  public func restartUpstream(on port: Int) {
    state.withLock { state in
      state.upstream = port
      for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }
  }

  func note(_ line: String) { state.withLock { $0.log.append(line) } }

  /// The fault for a request, using up one of a rule's `times`.
  func fault(method: String, path: String) -> Fault {
    state.withLock { state in
      for index in state.rules.indices where state.rules[index].matches(method: method, path: path) {
        if let times = state.rules[index].times {
          if times <= 0 { continue }
          state.rules[index].times = times - 1
        }
        let fault = state.rules[index].fault
        state.log.append("\(method) \(path): \(fault)")
        return fault
      }
      state.log.append("\(method) \(path): pass")
      return .pass
    }
  }

  // MARK: - Connections

  private func acceptLoop() {
    while true {
      let client = accept(listener, nil, nil)
      if client < 0 {
        if errno == EINTR { continue }
        if state.withLock({ $0.stopped }) { close(listener); return }
        continue
      }
      let target = state.withLock { $0.upstream } ?? upstreamPort
      let upstream = Self.connectLoopback(port: target)
      guard upstream >= 0 else {
        note("cannot reach upstream 127.0.0.1:\(target)")
        close(client)
        continue
      }
      let stopped = state.withLock { state -> Bool in
        if !state.stopped { state.connections.formUnion([client, upstream]) }
        return state.stopped
      }
      if stopped {
        close(client)
        close(upstream)
        close(listener)
        return
      }
      let connection = Connection(proxy: self, client: client, upstream: upstream)
      Self.thread { connection.pumpRequests() }
      Self.thread { connection.pumpAnswers() }
    }
  }

  /// Closes a finished connection's descriptors and forgets them, under the lock `stop` takes.
  func closeConnection(_ fds: [Int32]) {
    state.withLock { state in
      for fd in fds {
        state.connections.remove(fd)
        Glibc.close(fd)
      }
    }
  }

  static func thread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
      let body: @Sendable () -> Void
      init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(
      &thread, &attributes,
      { raw in
        guard let raw else { return nil }
        let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
        box.body()
        return nil
      }, box)
    pthread_attr_destroy(&attributes)
  }

  static func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
  }

  static func connectLoopback(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
    guard connected else {
      close(fd)
      return -1
    }
    return fd
  }
}
