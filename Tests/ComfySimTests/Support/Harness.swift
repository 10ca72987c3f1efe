import AsyncHTTPClient
import ComfySim
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import WSClient
import Workflow

/// An HTTP answer, read whole.
struct HTTPResult: Sendable {
  var status: Int
  var headers: HTTPHeaders
  var body: [UInt8]

  var text: String { String(decoding: body, as: UTF8.self) }
  var json: JSONValue? { try? JSONValue.parse(bytes: body) }
  func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A simulator started in-process on port 0, with HTTP and WebSocket helpers.
final class SimHarness: Sendable {
  let simulator: ComfySimulator
  let baseURL: String
  let wsURL: String

  private init(simulator: ComfySimulator) {
    self.simulator = simulator
    baseURL = simulator.baseURL
    wsURL = "ws" + simulator.baseURL.dropFirst(4)
  }

  static func start(_ configuration: SimulatorConfiguration = .init()) async throws -> SimHarness {
    let simulator = try ComfySimulator(configuration)
    try await simulator.start()
    return SimHarness(simulator: simulator)
  }

  func stop() async { await simulator.stop() }

  func request(
    _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = [],
    client: HTTPClient = .shared
  ) async throws -> HTTPResult {
    var request = HTTPClientRequest(url: baseURL + path)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await client.execute(request, timeout: .seconds(30))
    let buffer = try await response.body.collect(upTo: 64 << 20)
    return HTTPResult(
      status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
  }

  func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPResult {
    try await request(.GET, path, headers: headers)
  }

  func post(_ path: String, json: JSONValue) async throws -> HTTPResult {
    try await request(
      .POST, path, body: Array(json.serialized().utf8), headers: [("Content-Type", "application/json")])
  }

  func post(_ path: String, raw: String) async throws -> HTTPResult {
    try await request(.POST, path, body: Array(raw.utf8), headers: [("Content-Type", "application/json")])
  }

  /// `POST /upload/image` as a browser form would send it.
  func upload(
    _ bytes: [UInt8], filename: String, fields: [(String, String)] = [("type", "input")]
  ) async throws -> HTTPResult {
    let boundary = "comfysim-test-boundary-7d1e"
    var body: [UInt8] = []
    func line(_ text: String) { body += Array((text + "\r\n").utf8) }
    line("--\(boundary)")
    line("Content-Disposition: form-data; name=\"image\"; filename=\"\(filename)\"")
    line("Content-Type: image/png")
    line("")
    body += bytes
    line("")
    for (name, value) in fields {
      line("--\(boundary)")
      line("Content-Disposition: form-data; name=\"\(name)\"")
      line("")
      line(value)
    }
    line("--\(boundary)--")
    return try await request(
      .POST, "/upload/image", body: body,
      headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")])
  }

  /// Opens `/ws?clientId=…` (no clientId when nil), optionally sending the frontend's hello.
  func socket(
    clientID: String?, hello: Bool = false, supportsMetadata: Bool = true
  ) async throws -> TestSocket {
    let url = wsURL + "/ws" + (clientID.map { "?clientId=\($0)" } ?? "")
    let socket = try await TestSocket.connect(url: url)
    if hello {
      socket.send(
        """
        {"type": "feature_flags", "data": {"supports_preview_metadata": \(supportsMetadata), "supports_manager_v4_ui": true}}
        """)
    }
    return socket
  }
}

/// A trait that starts a fresh simulator for each test case and stops it afterwards (also when the
/// test throws); the test reads it from `SimHarness.current`.
///
/// Tests take their simulator from the trait rather than from a `withSimulator { sim in … }`
/// closure because, with Swift 6.3.1, an `#expect` that contains a closure, written inside another
/// closure, makes later closures in that closure behave like the `#expect`'s one (seen here:
/// `xs.filter { $0.kind == "executing" }` returned the "progress" frames).
struct SimulatorScope: TestTrait, TestScoping {
  var configuration: SimulatorConfiguration

  func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    let harness = try await SimHarness.start(configuration)
    do {
      try await SimHarness.$current.withValue(harness) { try await function() }
    } catch {
      await harness.stop()
      throw error
    }
    await harness.stop()
  }
}

extension Trait where Self == SimulatorScope {
  /// A fresh simulator with the default configuration.
  static var simulator: Self { SimulatorScope(configuration: .init()) }
  static func simulator(_ configuration: SimulatorConfiguration) -> Self {
    SimulatorScope(configuration: configuration)
  }
}

extension SimHarness {
  @TaskLocal static var current: SimHarness?

  /// The simulator the `.simulator` trait started for this test.
  static func require() throws -> SimHarness {
    guard let current else { throw SimulatorError("this test has no .simulator trait") }
    return current
  }
}

/// A frame received on a test socket.
enum ReceivedFrame: Sendable, CustomStringConvertible {
  case text(JSONValue)
  case binary([UInt8])

  /// The message type, or `binary:N` for a binary frame of event type N.
  var kind: String {
    switch self {
    case .text(let message): return message["type"]?.stringValue ?? "?"
    case .binary(let bytes):
      guard bytes.count >= 4 else { return "binary:?" }
      return "binary:\(Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]))"
    }
  }

  var message: JSONValue? {
    if case .text(let message) = self { return message }
    return nil
  }

  var data: JSONValue? { message?["data"] }

  var bytes: [UInt8]? {
    if case .binary(let bytes) = self { return bytes }
    return nil
  }

  var description: String {
    switch self {
    case .text(let message): return message.serialized()
    case .binary(let bytes): return "binary(\(bytes.count) bytes, type \(kind))"
    }
  }

  /// True for `executing` with `node: null` (the end of a prompt).
  var isEndOfPrompt: Bool { kind == "executing" && data?["node"] == .null }
}

/// A WebSocket client for tests: frames are buffered as they arrive and read with timeouts.
final class TestSocket: Sendable {
  private enum Command: Sendable {
    case text(String)
    case close
  }

  private struct State {
    var frames: [ReceivedFrame] = []
    var waiter: CheckedContinuation<ReceivedFrame?, Never>?
    var finished = false
    var connected: CheckedContinuation<Void, any Error>?
    var didConnect = false
    var failure: (any Error)?
  }

  private let state = Mutex(State())
  private let commands: AsyncStream<Command>.Continuation
  private let commandStream: AsyncStream<Command>
  private let task = Mutex<Task<Void, Never>?>(nil)

  private init() {
    (commandStream, commands) = AsyncStream<Command>.makeStream()
  }

  static func connect(url: String) async throws -> TestSocket {
    let socket = TestSocket()
    var logger = Logger(label: "test-socket")
    logger.logLevel = .critical
    let commands = socket.commandStream
    let task = Task {
      do {
        try await WebSocketClient.connect(
          url: url,
          configuration: .init(maxFrameSize: 1 << 24, closeTimeout: .seconds(2), autoPing: .disabled),
          logger: logger
        ) { inbound, outbound, _ in
          socket.markConnected()
          await withTaskGroup(of: Void.self) { group in
            group.addTask {
              do {
                for try await message in inbound.messages(maxSize: 1 << 24) {
                  switch message {
                  case .text(let text):
                    socket.push(.text((try? JSONValue.parse(text)) ?? .string(text)))
                  case .binary(let buffer):
                    socket.push(.binary(Array(buffer.readableBytesView)))
                  }
                }
              } catch {}
            }
            group.addTask {
              for await command in commands {
                switch command {
                case .text(let text): try? await outbound.write(.text(text))
                case .close: return
                }
              }
            }
            await group.next()
            group.cancelAll()
          }
        }
        socket.finish(nil)
      } catch {
        socket.finish(error)
      }
    }
    socket.task.withLock { $0 = task }
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      let ready: Result<Void, any Error>? = socket.state.withLock { state in
        if state.didConnect { return .success(()) }
        if let failure = state.failure { return .failure(failure) }
        if state.finished { return .failure(SimulatorError("the socket closed before it opened")) }
        state.connected = continuation
        return nil
      }
      if let ready { continuation.resume(with: ready) }
    }
    return socket
  }

  private func markConnected() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
      state.didConnect = true
      defer { state.connected = nil }
      return state.connected
    }
    waiter?.resume()
  }

  private func push(_ frame: ReceivedFrame) {
    let waiter = state.withLock { state -> CheckedContinuation<ReceivedFrame?, Never>? in
      if let waiter = state.waiter {
        state.waiter = nil
        return waiter
      }
      state.frames.append(frame)
      return nil
    }
    waiter?.resume(returning: frame)
  }

  private func finish(_ error: (any Error)?) {
    let (waiter, connected) = state.withLock {
      state -> (CheckedContinuation<ReceivedFrame?, Never>?, CheckedContinuation<Void, any Error>?) in
      state.finished = true
      state.failure = error
      defer {
        state.waiter = nil
        state.connected = nil
      }
      return (state.waiter, state.connected)
    }
    waiter?.resume(returning: nil)
    connected?.resume(throwing: error ?? SimulatorError("the socket closed before it opened"))
  }

  /// True once the connection has ended (closed by either side, or cut).
  var isClosed: Bool { state.withLock { $0.finished } }

  func send(_ text: String) { commands.yield(.text(text)) }

  /// Closes the socket (normal close handshake) and waits until it is closed.
  func close() async {
    commands.yield(.close)
    commands.finish()
    let task = self.task.withLock { $0 }
    await task?.value
  }

  private func waitNext() async -> ReceivedFrame? {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<ReceivedFrame?, Never>) in
        let immediate: ReceivedFrame?? = state.withLock { state in
          if !state.frames.isEmpty { return .some(state.frames.removeFirst()) }
          if state.finished || Task.isCancelled { return .some(nil) }
          state.waiter = continuation
          return nil
        }
        if let immediate { continuation.resume(returning: immediate) }
      }
    } onCancel: {
      let waiter = state.withLock { state -> CheckedContinuation<ReceivedFrame?, Never>? in
        defer { state.waiter = nil }
        return state.waiter
      }
      waiter?.resume(returning: nil)
    }
  }

  /// The next frame, or nil after `timeout` or when the socket has closed.
  func next(timeout: Duration = .seconds(10)) async -> ReceivedFrame? {
    await withTaskGroup(of: ReceivedFrame?.self) { group in
      group.addTask { await self.waitNext() }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return nil
      }
      var result: ReceivedFrame?
      while let value = await group.next() {
        if let value {
          result = value
          group.cancelAll()
        } else if result == nil {
          group.cancelAll()
        }
      }
      return result
    }
  }

  /// Frames up to and including the first one that satisfies `stop` (or until timeout/close).
  func collect(timeout: Duration = .seconds(20), until stop: (ReceivedFrame) -> Bool) async -> [ReceivedFrame]
  {
    var frames: [ReceivedFrame] = []
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline, let frame = await next(timeout: deadline - clock.now) {
      frames.append(frame)
      if stop(frame) { break }
    }
    return frames
  }

  /// Frames up to the end of the prompt (`executing` with `node: null`).
  func collectPrompt(timeout: Duration = .seconds(20)) async -> [ReceivedFrame] {
    await collect(timeout: timeout) { $0.isEndOfPrompt }
  }

  /// Everything that arrives within `duration`.
  func drain(for duration: Duration) async -> [ReceivedFrame] {
    var frames: [ReceivedFrame] = []
    let clock = ContinuousClock()
    let deadline = clock.now + duration
    while clock.now < deadline, let frame = await next(timeout: deadline - clock.now) { frames.append(frame) }
    return frames
  }
}

// MARK: - JSON shape comparison

/// Differences of structure between a recorded value and the simulator's: JSON types, and object
/// keys (all of them, or the recorded ones when `extraKeysAllowed`), recursively; list elements
/// are compared pairwise up to the shorter list.
func shapeDifferences(
  _ expected: JSONValue, _ actual: JSONValue, path: String = "$", extraKeysAllowed: Bool = false
) -> [String] {
  switch (expected, actual) {
  case (.object(let a), .object(let b)):
    var out: [String] = []
    let missing = a.keys.filter { b[$0] == nil }
    let extra = b.keys.filter { a[$0] == nil }
    if !missing.isEmpty { out.append("\(path): missing keys \(missing)") }
    if !extra.isEmpty && !extraKeysAllowed { out.append("\(path): extra keys \(extra)") }
    for (key, value) in a {
      if let other = b[key] {
        out += shapeDifferences(value, other, path: path + "." + key, extraKeysAllowed: extraKeysAllowed)
      }
    }
    return out
  case (.array(let a), .array(let b)):
    return zip(a, b).enumerated().flatMap { index, pair in
      shapeDifferences(pair.0, pair.1, path: "\(path)[\(index)]", extraKeysAllowed: extraKeysAllowed)
    }
  case (.null, .null), (.bool, .bool), (.number, .number), (.string, .string):
    return []
  default:
    return ["\(path): expected \(expected.typeName), got \(actual.typeName)"]
  }
}

/// The only member of a one-entry object (a history answer keyed by prompt id).
func onlyValue(_ value: JSONValue?) -> JSONValue? {
  guard case .object(let members)? = value, members.count == 1 else { return nil }
  return members.values.first
}

/// Kinds of the frames, dropping the `feature_flags` reply (its place depends on when the hello
/// reaches the server).
func kinds(_ frames: [ReceivedFrame]) -> [String] { frames.map(\.kind) }

extension JSONValue {
  /// List element lookup for tests; nil out of range or for non-lists.
  subscript(index: Int) -> JSONValue? {
    guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
    return elements[index]
  }
}
