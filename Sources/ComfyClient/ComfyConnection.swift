import Workflow

/// Something that happened on a connection, for every subscriber.
public enum ConnectionEvent: Sendable {
  /// A decoded socket message, as it arrived (for traces).
  case message(ServerEvent)
  /// A tracked prompt changed; `tracker` is its state after the change.
  case prompt(id: String, update: PromptUpdate, tracker: PromptTracker)
  /// The socket dropped; the connection is reconnecting with the same client id.
  case disconnected(reason: SocketDrop)
  /// A new socket is open; missed messages were reconciled from /history.
  case reconnected
  /// Reconnecting failed for too long; tracked prompts are no longer followed.
  case connectionLost(reason: String)
}

/// What `follow` reports about one prompt.
public enum FollowEvent: Sendable {
  /// First: everything known so far (nodes already done, outputs), so a late `watch` misses nothing.
  case snapshot(PromptTracker)
  case update(PromptUpdate, PromptTracker)
  case disconnected(reason: SocketDrop)
  case reconnected
  /// The prompt waits in the queue behind others (seen when checking after a quiet spell).
  case waiting(position: Int)
}

/// One session's live link to a ComfyUI server: ONE WebSocket, opened before the first POST, with the
/// same client id in every POST; per-prompt trackers fed by it; reconnect with the same id (old socket
/// closed first, hello re-sent) and reconciliation from /history for what was missed.
public actor ComfyConnection {
  public nonisolated let client: ComfyClient
  /// The `clientId` of the socket and the `client_id` of every POST.
  public nonisolated let clientID: String
  /// The frontend's hello, sent first on every new socket (the server resets flags on each connect).
  public nonisolated let hello: String
  /// How long reconnecting may take before tracked prompts are given up.
  public var reconnectLimit: Duration

  private var socket: EventSocket?
  private var generation = 0
  private var connecting: Task<Void, any Error>?
  private var reconnecting: Task<Void, Never>?
  private var isClosed = false
  /// The tracked prompts and which of them each event belongs to.
  var router = PromptRouter()
  private var subscribers: [Int: AsyncStream<ConnectionEvent>.Continuation] = [:]
  private var nextSubscriber = 0

  /// Messages received so far (all sockets), and when the last one came (monotonic seconds).
  public private(set) var messageCount = 0
  public private(set) var lastMessageAt = Monotonic.now()
  /// The last `status` queue size, and the server's feature flags from the hello reply.
  public private(set) var queueRemaining: Int?
  public private(set) var serverFeatures: JSONObject?
  /// How many times the socket was opened again after dropping.
  public private(set) var reconnectCount = 0
  /// Whether the server has the jobs API, asked when first needed.
  private var jobsAPI: Bool?

  public static let defaultHello = #"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#

  public init(
    client: ComfyClient, clientID: String = makeClientID(), hello: String = ComfyConnection.defaultHello,
    reconnectLimit: Duration = .seconds(30)
  ) {
    self.client = client
    self.clientID = clientID
    self.hello = hello
    self.reconnectLimit = reconnectLimit
  }

  public var isConnected: Bool { socket.map { !$0.isClosed } ?? false }

  // MARK: - Socket

  /// Opens the socket if it is not open; every caller waits for the same attempt.
  public func connect() async throws {
    if isClosed { throw ComfyClientError.closed(server: client.server) }
    if let socket, !socket.isClosed { return }
    if let reconnecting { await reconnecting.value }
    if let socket, !socket.isClosed { return }
    if let connecting { return try await connecting.value }
    let attempt = Task { try await openSocket() }
    connecting = attempt
    defer { connecting = nil }
    try await attempt.value
  }

  private func openSocket() async throws {
    // Close any old socket first: closing a replaced socket later would unregister the new one.
    if let old = socket {
      socket = nil
      await old.close()
    }
    generation += 1
    let generation = generation
    let url = client.server.webSocketURL(clientID: clientID)
    do {
      let opened = try await EventSocket.open(
        url: url, generation: generation, hello: hello, tap: client.tap,
        onEvent: { [weak self] event in await self?.receive(event) },
        onClose: { [weak self] drop in await self?.socketEnded(generation: generation, drop: drop) })
      if isClosed {
        await opened.close()
        throw ComfyClientError.closed(server: client.server)
      }
      socket = opened
      if opened.isClosed { socketEnded(generation: generation, drop: .ended) }
    } catch let error as ComfyClientError {
      throw error
    } catch is CancellationError {
      throw CancellationError()
    } catch EventSocketError.closedAtOnce {
      throw ComfyClientError.cannotConnect(
        server: client.server, reason: "the server closed the WebSocket at once")
    } catch {
      let reason = ComfyHTTP.connectionFailureReason(error) ?? "the WebSocket upgrade failed: \(error)"
      throw ComfyClientError.cannotConnect(server: client.server, reason: reason)
    }
  }

  private func socketEnded(generation: Int, drop: SocketDrop) {
    guard let current = socket, current.generation == generation else { return }
    socket = nil
    if isClosed { return }
    router.socketDropped(at: Monotonic.now())
    broadcast(.disconnected(reason: drop))
    startReconnecting()
  }

  private func startReconnecting() {
    guard reconnecting == nil, !isClosed else { return }
    reconnecting = Task { await self.reconnectLoop() }
  }

  private func reconnectLoop() async {
    defer { reconnecting = nil }
    let started = Monotonic.now()
    // Not at once: the server must first drop the old socket, or its clean-up (which goes by client
    // id) unregisters the new one and leaves it deaf (fixtures: exec/reconnect-replaced-old-closed).
    let delays: [Double] = [0.25, 0.25, 0.5, 1, 1, 2]
    var attempt = 0
    var lastError = ""
    while !isClosed {
      let delay = delays[min(attempt, delays.count - 1)]
      attempt += 1
      try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
      if isClosed || Task.isCancelled { return }
      do {
        try await openSocket()
        reconnectCount += 1
        broadcast(.reconnected)
        // Not awaited: a /history that hangs must not hold up those waiting for the socket.
        Task { await self.reconcileUnfinished() }
        // The new socket may have dropped already (it is this loop's job then, not a new one's).
        if isConnected { return }
        lastError = "the server closed the WebSocket again right after it opened"
        continue
      } catch {
        lastError = "\(error)"
      }
      if Monotonic.now() - started > reconnectLimit.seconds {
        broadcast(.connectionLost(reason: lastError))
        return
      }
    }
  }

  /// Closes the socket and opens a new one with the same client id, then asks /history what was missed.
  public func reopen() async {
    guard !isClosed, reconnecting == nil else { return }
    router.socketDropped(at: Monotonic.now())
    do {
      try await openSocket()
      reconnectCount += 1
      broadcast(.reconnected)
      Task { await self.reconcileUnfinished() }
    } catch {
      startReconnecting()
    }
  }

  /// Asks /history about every prompt not finished yet: messages sent while no socket listened are lost.
  private func reconcileUnfinished() async {
    for id in router.unfinished {
      guard let entry = try? await client.history(promptID: id) else { continue }
      broadcast(router.reconcile(id, with: entry, at: Monotonic.now()))
    }
  }

  /// Ends a prompt that may have lost messages: from its history entry, else from what did arrive.
  private func finishFromHistory(_ id: String, endMarker: ServerEvent) async {
    var entry: HistoryEntry?
    for attempt in 0..<3 where entry == nil {
      if attempt > 0 { try? await Task.sleep(for: .milliseconds(100)) }
      entry = try? await client.history(promptID: id)
    }
    broadcast(router.finishFromHistory(id, entry: entry, endMarker: endMarker, at: Monotonic.now()))
  }

  public func hasJobsAPI() async throws -> Bool {
    if let jobsAPI { return jobsAPI }
    let present = try await client.hasJobsAPI()
    jobsAPI = present
    return present
  }

  /// Where `promptID` stands on the server, through the jobs API where it has one.
  public func standing(of promptID: String) async throws -> PromptStanding {
    try await client.standing(of: promptID, jobsAPI: hasJobsAPI())
  }

  /// Closes the socket (normal close handshake) and ends every subscription.
  public func close() async {
    isClosed = true
    reconnecting?.cancel()
    connecting?.cancel()
    if let socket {
      self.socket = nil
      await socket.close()
    }
    for continuation in subscribers.values { continuation.finish() }
    subscribers.removeAll()
  }

  /// Drops the socket without a close handshake, as a network failure would (for tests and `trace`).
  public func dropSocketForTesting() {
    socket?.abort()
  }

  // MARK: - Messages

  private func receive(_ event: ServerEvent) {
    messageCount += 1
    lastMessageAt = Monotonic.now()
    broadcast(.message(event))
    switch event {
    case .status(let remaining, _):
      queueRemaining = remaining
    case .featureFlags(let flags):
      serverFeatures = flags
    default:
      let (changes, action) = router.receive(event, at: lastMessageAt)
      broadcast(changes)
      if case .askHistory(let id, let endMarker) = action {
        Task { await self.finishFromHistory(id, endMarker: endMarker) }
      }
    }
  }

  // MARK: - Prompts

  /// Opens the socket if needed, then POSTs the prompt (whose `client_id` must be this connection's) and
  /// starts tracking it. `prompt` gives the nodes' titles and classes to the tracker.
  public func submit(body: JSONObject, prompt: Workflow?) async throws -> QueuedPrompt {
    try await connect()
    let queued = try await client.queuePrompt(body: body)
    track(promptID: queued.promptID, prompt: prompt, number: queued.number)
    return queued
  }

  /// Starts tracking a prompt (one submitted here, or another one to watch); replays events that came first.
  public func track(promptID: String, prompt: Workflow? = nil, number: JSONNumber? = nil) {
    broadcast(router.track(promptID: promptID, prompt: prompt, number: number, at: Monotonic.now()))
  }

  public func tracker(_ promptID: String) -> PromptTracker? { router.tracker(promptID) }

  /// Ends a prompt whose every node the socket reported done, when /history cannot confirm its end;
  /// false (and nothing changes) when some node was not reported done.
  @discardableResult
  public func finishUnconfirmed(_ promptID: String) -> Bool {
    let changes = router.finishUnconfirmed(promptID, at: Monotonic.now())
    broadcast(changes)
    return !changes.isEmpty
  }

  /// Ends a tracked prompt that was deleted from the queue: no message will ever come for it.
  public func markCancelled(_ promptID: String) {
    broadcast(router.cancel(promptID))
  }

  /// Every tracked prompt, oldest first.
  public var trackedPromptIDs: [String] { router.order }

  /// Applies a history entry to a tracked prompt (used when watching finds it finished).
  @discardableResult
  public func reconcile(_ promptID: String, with entry: HistoryEntry) -> PromptTracker? {
    broadcast(router.reconcile(promptID, with: entry, at: Monotonic.now()))
    return router.tracker(promptID)
  }

  // MARK: - Subscriptions

  /// Every connection event from now on, until the connection closes or the stream is dropped.
  public func events() -> AsyncStream<ConnectionEvent> {
    subscribe()
  }

  private func subscribe() -> AsyncStream<ConnectionEvent> {
    let (stream, continuation) = AsyncStream<ConnectionEvent>.makeStream(
      bufferingPolicy: .bufferingNewest(100_000))
    let id = nextSubscriber
    nextSubscriber += 1
    if isClosed {
      continuation.finish()
    } else {
      subscribers[id] = continuation
    }
    continuation.onTermination = { [weak self] _ in
      Task { await self?.unsubscribe(id) }
    }
    return stream
  }

  private func unsubscribe(_ id: Int) {
    subscribers.removeValue(forKey: id)
  }

  private func broadcast(_ event: ConnectionEvent) {
    for continuation in subscribers.values { continuation.yield(event) }
  }

  private func broadcast(_ changes: [PromptRouter.Change]) {
    for change in changes {
      broadcast(.prompt(id: change.id, update: change.update, tracker: change.tracker))
    }
  }

  /// The tracker as it is now and a subscription starting right after it, with nothing in between.
  func attach(_ promptID: String) -> (PromptTracker, AsyncStream<ConnectionEvent>)? {
    guard let tracker = router.tracker(promptID) else { return nil }
    return (tracker, subscribe())
  }
}

/// A random uuid4 in ComfyUI's form (`8-4-4-4-12` hex), for client ids.
public func makeClientID() -> String {
  var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
  bytes[6] = (bytes[6] & 0x0F) | 0x40
  bytes[8] = (bytes[8] & 0x3F) | 0x80
  let hex = bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
  let h = Array(hex)
  return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20])
    + "-"
    + String(h[20..<32])
}
