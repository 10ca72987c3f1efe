import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WSClient

#if canImport(Glibc)
import Glibc
#endif

/// One open `/ws` socket: a reader task that decodes frames and hands them on in order, and a way to
/// close it with a normal close handshake. `ComfyConnection` owns at most one at a time.
final class EventSocket: Sendable {
  /// How often a ping is sent; a socket that answers neither it nor anything else for this long again is
  /// closed as silent (a half-open connection): noticed within twice this.
  static let pingInterval: Duration = .seconds(5)

  /// Which socket of the connection this is (a reconnect makes a new one).
  let generation: Int
  private let state = Mutex<State>(State())
  /// When the last frame of any kind (pongs included) came, from the WebSocket library's trace log.
  private let lastFrame = FrameClock()
  private let readerTask = Mutex<Task<Void, Never>?>(nil)

  private struct State {
    var outbound: WebSocketOutboundWriter?
    var ready: CheckedContinuation<Void, any Error>?
    var closed = false
    var closing = false
  }

  /// True once the socket has ended, for any reason.
  var isClosed: Bool { state.withLock { $0.closed } }

  private init(generation: Int) {
    self.generation = generation
  }

  /// Opens `url`, sends `hello` as the first message, and returns once the server greeted the socket.
  /// `onEvent` gets every decoded frame in arrival order; `onClose` is called once when the socket ends.
  static func open(
    url: String, generation: Int, hello: String, tap: TrafficTap,
    onEvent: @escaping @Sendable (ServerEvent) async -> Void,
    onClose: @escaping @Sendable (SocketDrop) async -> Void
  ) async throws -> EventSocket {
    let socket = EventSocket(generation: generation)
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
        socket.state.withLock { $0.ready = ready }
        let task = Task {
          var failure: (any Error)?
          var closeFrame: WebSocketCloseFrame?
          do {
            var configuration = WebSocketClientConfiguration(
              maxFrameSize: 1 << 26, closeTimeout: .seconds(2),
              autoPing: .enabled(timePeriod: EventSocket.pingInterval))
            configuration.validateUTF8 = false
            let clock = socket.lastFrame
            closeFrame = try await WebSocketClient.connect(
              url: url, configuration: configuration,
              logger: Logger(label: "comfysh.ws", factory: { _ in FrameClock.Handler(clock: clock) })
            ) {
              inbound, outbound, _ in
              tap.record { .socketOpened(url: url) }
              try await outbound.write(.text(hello))
              tap.record { .socketSent(hello) }
              socket.state.withLock { $0.outbound = outbound }
              // ComfyUI registers a socket and then greets it (`status` with its sid); messages for the
              // client id sent before that are dropped. So the socket is ready once greeted: a prompt
              // posted next cannot lose its first messages. A server that never greets gets 5 s.
              let greeting = Task {
                try? await Task.sleep(for: .seconds(5))
                socket.becomeReady()
              }
              defer { greeting.cancel() }
              for try await message in inbound.messages(maxSize: 1 << 28) {
                let event: ServerEvent?
                switch message {
                case .text(let text):
                  tap.record { .socketText(text) }
                  event = ServerEvent.decode(text: text)
                case .binary(let buffer):
                  tap.record { .socketBinary(Array(buffer.readableBytesView)) }
                  event = ServerEvent.decode(binary: buffer.readableBytesView)
                }
                if let event { await onEvent(event) }
                socket.becomeReady()
              }
            }
          } catch {
            failure = error
          }
          let pending = socket.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.closed = true
            state.outbound = nil
            defer { state.ready = nil }
            return state.ready
          }
          if let pending {
            pending.resume(
              throwing: failure ?? EventSocketError.closedAtOnce
            )
          } else {
            let drop = socket.drop(error: failure, closeFrame: closeFrame)
            tap.record { .socketClosed(reason: "\(drop)") }
            await onClose(drop)
          }
        }
        socket.readerTask.withLock { $0 = task }
      }
    } onCancel: {
      socket.readerTask.withLock { $0 }?.cancel()
    }
    return socket
  }

  /// Why the socket ended, from what the library reported: an error, the server's close frame, or
  /// neither (the connection ended, or the library closed it because pings went unanswered).
  private func drop(error: (any Error)?, closeFrame: WebSocketCloseFrame?) -> SocketDrop {
    if let error, ComfyHTTP.isReset(error) { return .reset }
    let quiet = ContinuousClock.now - lastFrame.last
    // The library closes a socket whose ping got no pong by the next ping, and says nothing more. A
    // live socket hears a pong at least every interval, so a quiet spell of one and a half means that.
    if closeFrame == nil, quiet >= EventSocket.pingInterval * 3 / 2 { return .silent(for: quiet) }
    if let closeFrame { return .closedByServer(code: Int(UInt16(webSocketErrorCode: closeFrame.closeCode))) }
    if let error {
      if let io = error as? IOError { return .failed(String(cString: strerror(io.errnoCode)).lowercased()) }
      return .failed("\(error)")
    }
    return .ended
  }

  /// Lets `open` return (once; later calls do nothing).
  private func becomeReady() {
    let ready = state.withLock { state -> CheckedContinuation<Void, any Error>? in
      defer { state.ready = nil }
      return state.ready
    }
    ready?.resume()
  }

  /// Sends a close frame and waits (briefly) for the reader to end; safe to call twice.
  func close() async {
    let outbound = state.withLock { state -> WebSocketOutboundWriter? in
      if state.closed || state.closing { return nil }
      state.closing = true
      return state.outbound
    }
    if let outbound {
      try? await outbound.close(.normalClosure, reason: nil)
    }
    let task = readerTask.withLock { $0 }
    // The close handshake normally ends the reader within a round trip; cancel it if the peer is silent.
    let watchdog = Task {
      try? await Task.sleep(for: .seconds(2))
      task?.cancel()
    }
    await task?.value
    watchdog.cancel()
  }

  /// Ends the socket without a handshake (tests that simulate a dropped connection).
  func abort() {
    readerTask.withLock { $0 }?.cancel()
  }

}

/// Why a WebSocket ended, as facts; the shell words them.
public enum SocketDrop: Sendable, Equatable, CustomStringConvertible {
  /// The connection was reset (TCP RST): the server or something in between went away.
  case reset
  /// The server closed the socket with a close frame (`code` as the server sent it).
  case closedByServer(code: Int)
  /// The connection ended without a close frame (cut, perhaps inside a frame).
  case ended
  /// Nothing came for `for`, not even the answer to a ping: a half-open connection.
  case silent(for: Duration)
  /// Any other failure, in the system's or the library's words.
  case failed(String)

  public var description: String {
    switch self {
    case .reset: "the connection was reset"
    case .closedByServer(let code): "the server closed the WebSocket (code \(code))"
    case .ended: "the connection ended without a close frame"
    case .silent(let quiet): "the WebSocket went silent: no answer to a ping for \(quiet.secondsText)"
    case .failed(let reason): reason
    }
  }
}

/// The time of the last WebSocket frame received, pongs included: the library answers and checks pings
/// itself and only says so in its trace log, which this reads.
final class FrameClock: Sendable {
  private let instant = Mutex(ContinuousClock.now)

  var last: ContinuousClock.Instant { instant.withLock { $0 } }

  func stamp() { instant.withLock { $0 = .now } }

  struct Handler: LogHandler {
    let clock: FrameClock
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      if event.level == .trace, event.message.description.hasPrefix("Received") { clock.stamp() }
    }
  }
}

/// The socket ended before the server greeted it.
enum EventSocketError: Error {
  case closedAtOnce
}
