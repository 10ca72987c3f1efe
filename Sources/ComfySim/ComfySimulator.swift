import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization
import Workflow

/// How to run a simulator.
public struct SimulatorConfiguration: Sendable {
  /// A loopback address; anything else is refused (the simulator is never exposed to a network).
  public var host: String = "127.0.0.1"
  /// 0 picks a free port (tests); `port` on the simulator tells which.
  public var port: Int = 0
  /// nil: the built-in catalog; else an `/object_info` document (`--catalog FILE`).
  public var catalogJSON: JSONValue? = nil
  /// Where `input/`, `output/` and `temp/` live; nil: a fresh temporary folder, deleted on `stop()`.
  public var dataFolder: String? = nil
  /// Simulated work per progress step (sampler steps, upscale tiles, websocket images).
  public var stepDelay: Duration = .zero
  /// Sampler nodes send a latent preview frame each step, as ComfyUI does with
  /// `--preview-method auto`; off by default, as ComfyUI's previews are.
  public var samplerPreviews = false
  public var faults: SimulatorFaults = .init()
  /// The static folder of `comfyui-frontend-package` (its `static/`), to serve ComfyUI's own page.
  public var frontendFolder: String? = nil
  /// The ComfyUI the simulator answers as.
  public var comfyUI: SimulatedVersion = .comfyUI0_3_64
  /// Under 0.33: a `GET /node_replacements` document to serve and apply instead of the built-in one.
  public var nodeReplacementsJSON: JSONValue? = nil

  public init(
    host: String = "127.0.0.1", port: Int = 0, catalogJSON: JSONValue? = nil, dataFolder: String? = nil,
    stepDelay: Duration = .zero, samplerPreviews: Bool = false, faults: SimulatorFaults = .init(),
    comfyUI: SimulatedVersion = .comfyUI0_3_64
  ) {
    self.comfyUI = comfyUI
    self.host = host
    self.port = port
    self.catalogJSON = catalogJSON
    self.dataFolder = dataFolder
    self.stepDelay = stepDelay
    self.samplerPreviews = samplerPreviews
    self.faults = faults
  }
}

/// Why the simulator could not be set up or started.
public struct SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A ComfyUI 0.3.64 (or 0.33.0) look-alike on loopback: the same routes, validation answers, WebSocket
/// messages (order and routing), caching, queue, history, `/view` and `/upload/image`, with small
/// generated images instead of diffusion. It is comfysh's `--sim` server, its test server, and
/// `comfysh sim` for other clients.
public final class ComfySimulator: Sendable {
  private struct Runtime {
    var port = 0
    var server: Task<Void, any Error>?
    var worker: Task<Void, Never>?
    var stopped = false
  }

  private let configuration: SimulatorConfiguration
  private let environment: SimEnvironment
  private let executor: Executor
  private let runtime = Mutex(Runtime())

  public init(_ configuration: SimulatorConfiguration = .init()) throws {
    guard OriginMiddleware.isLoopback(configuration.host.lowercased()) else {
      throw SimulatorError("the simulator only listens on loopback addresses, not \(configuration.host)")
    }
    self.configuration = configuration
    environment = try SimEnvironment(configuration: configuration)
    executor = Executor(environment: environment)
  }

  /// A simulator that was never started still owns its temporary folder: delete it.
  deinit {
    let unused = runtime.withLock { $0.server == nil && !$0.stopped }
    if unused && environment.ownsFolder { Paths.removeTree(environment.folders.root) }
  }

  /// Starts listening and the queue worker; returns once the port is bound.
  public func start() async throws {
    let alreadyStarted = runtime.withLock { $0.server != nil || $0.stopped }
    if alreadyStarted { throw SimulatorError("this simulator was already started") }

    let environment = self.environment
    let router = Routes(
      environment: environment, executor: executor, port: { [weak self] in self?.port ?? 0 },
      frontendFolder: configuration.frontendFolder
    ).build()
    let responder = router.buildResponder()
    let channelConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
      http1: .init(),
      ws: .init(maxFrameSize: 1 << 24, autoPing: .disabled, closeTimeout: .seconds(2)))
    let server = HTTPServerBuilder { http in
      GatedChannel(
        inner: HTTP1WebSocketUpgradeChannel(
          responder: http, webSocketResponder: responder, configuration: channelConfiguration),
        environment: environment)
    }
    var logger = Logger(label: "comfysim")
    logger.logLevel = .critical
    let bound = AsyncStream<Result<Int, any Error>>.makeStream()
    let app = Application(
      responder: responder, server: server,
      configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
      onServerRunning: { channel in
        bound.continuation.yield(.success(channel.localAddress?.port ?? 0))
        bound.continuation.finish()
      }, logger: logger)
    let serverTask = Task {
      do {
        try await app.run()
      } catch {
        bound.continuation.yield(.failure(error))
        bound.continuation.finish()
        throw error
      }
      bound.continuation.finish()
    }
    var first: Result<Int, any Error>?
    for await result in bound.stream {
      first = result
      break
    }
    guard case .success(let port)? = first else {
      serverTask.cancel()
      if case .failure(let error)? = first {
        throw SimulatorError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
      }
      throw SimulatorError("the server stopped before it was listening")
    }
    let executor = self.executor
    let worker = Task { await executor.run() }
    runtime.withLock { state in
      state.port = port
      state.server = serverTask
      state.worker = worker
    }
  }

  /// The bound port (0 before `start()`).
  public var port: Int { runtime.withLock { $0.port } }

  /// `http://HOST:PORT`, for clients.
  public var baseURL: String {
    let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
    return "http://\(host):\(port)"
  }

  /// The folder holding `input/`, `output/` and `temp/`.
  public var dataFolder: String { environment.folders.root }

  /// Stops the worker and the server, closes every socket, and deletes the data folder if the
  /// simulator made it.
  public func stop() async {
    let (server, worker) = runtime.withLock { state -> (Task<Void, any Error>?, Task<Void, Never>?) in
      state.stopped = true
      defer {
        state.server = nil
        state.worker = nil
      }
      return (state.server, state.worker)
    }
    environment.queue.close()
    environment.hub.closeAll()
    worker?.cancel()
    await worker?.value
    server?.cancel()
    _ = await server?.result
    if environment.ownsFolder { Paths.removeTree(environment.folders.root) }
  }

  /// Test hook: every `extra_data.api_key_comfy_org` seen by `POST /prompt`, in order. Nothing
  /// else in the simulator keeps them (history strips them, as ComfyUI does).
  public var receivedAPIKeys: [String] { environment.receivedKeys }

  /// Test hook: every HTTP request so far as `METHOD /path` (the path as sent, `/api` prefix and
  /// query included), in order, so a test can check which routes a client chose.
  public var receivedRequests: [String] { environment.receivedRequests }

  /// Test hook: the client ids with a registered socket, in the order they registered; a socket whose
  /// close the server has handled is gone from it.
  public var connectedClientIDs: [String] { environment.hub.connectedClientIDs }

  /// Replaces the fault settings; they apply from the next request, connection or node.
  public func setFaults(_ faults: SimulatorFaults) { environment.faults = faults }

  /// The current fault settings (one-shot entries disappear once used).
  public var faults: SimulatorFaults { environment.faults }
}
