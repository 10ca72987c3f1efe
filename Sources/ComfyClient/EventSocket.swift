import Logging
import NIOCore
import Synchronization
import WSClient

/// One open `/ws` socket: a reader task that decodes frames and hands them on in order, and a way to
/// close it with a normal close handshake. `ComfyConnection` owns at most one at a time.
final class EventSocket: Sendable {
  /// Which socket of the connection this is (a reconnect makes a new one).
  let generation: Int
  private let state = Mutex<State>(State())
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
    url: String, generation: Int, hello: String,
    onEvent: @escaping @Sendable (ServerEvent) async -> Void,
    onClose: @escaping @Sendable ((any Error)?) async -> Void
  ) async throws -> EventSocket {
    let socket = EventSocket(generation: generation)
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
        socket.state.withLock { $0.ready = ready }
        let task = Task {
          var failure: (any Error)?
          do {
            var configuration = WebSocketClientConfiguration(
              maxFrameSize: 1 << 26, closeTimeout: .seconds(2),
              autoPing: .enabled(timePeriod: .seconds(30)))
            configuration.validateUTF8 = false
            try await WebSocketClient.connect(
              url: url, configuration: configuration, logger: EventSocket.logger
            ) {
              inbound, outbound, _ in
              try await outbound.write(.text(hello))
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
                case .text(let text): event = ServerEvent.decode(text: text)
                case .binary(let buffer): event = ServerEvent.decode(binary: buffer.readableBytesView)
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
            await onClose(failure)
          }
        }
        socket.readerTask.withLock { $0 = task }
      }
    } onCancel: {
      socket.readerTask.withLock { $0 }?.cancel()
    }
    return socket
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

  static let logger = Logger(label: "comfysh.ws", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// The socket ended before the server greeted it.
enum EventSocketError: Error {
  case closedAtOnce
}
