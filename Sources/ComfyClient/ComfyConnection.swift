import Workflow

/// Something that happened on a connection, for every subscriber.
public enum ConnectionEvent: Sendable {
  /// A decoded socket message, as it arrived (for traces).
  case message(ServerEvent)
  /// A tracked prompt changed; `tracker` is its state after the change.
  case prompt(id: String, update: PromptUpdate, tracker: PromptTracker)
  /// The socket dropped; the connection is reconnecting with the same client id.
  case disconnected(reason: String)
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
  case disconnected(reason: String)
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
  private var trackers: [String: PromptTracker] = [:]
  private var trackerOrder: [String] = []
  /// Prompts that may have lost messages to a dropped socket: their end is taken from /history.
  private var missedMessages: Set<String> = []
  /// The end messages of such prompts, held until the end marker (`executing` with no node) says
  /// the history entry is written; applied as they are if /history does not have it.
  private var heldEnds: [String: ServerEvent] = [:]
  /// Recent events no tracker took (prompt not tracked yet, or no prompt id), oldest first.
  private var orphans: [(promptID: String?, event: ServerEvent)] = []
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

  public static let defaultHello = #"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#
  static let keptTrackers = 256

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
    if isClosed { throw ComfyClientError(.connectionLost, "this connection to \(client.server) was closed") }
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
        url: url, generation: generation, hello: hello,
        onEvent: { [weak self] event in await self?.receive(event) },
        onClose: { [weak self] error in await self?.socketEnded(generation: generation, error: error) })
      if isClosed {
        await opened.close()
        throw ComfyClientError(.connectionLost, "the connection to \(client.server) was closed")
      }
      socket = opened
      if opened.isClosed { socketEnded(generation: generation, error: nil) }
    } catch let error as ComfyClientError {
      throw error
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      let reason = ComfyHTTP.connectionFailureReason(error) ?? "the WebSocket upgrade failed: \(error)"
      throw ComfyClientError(
        .cannotConnect,
        "cannot connect to \(client.server) (\(reason)): is ComfyUI running there? start it, or use --sim / server URL"
      )
    }
  }

  private func socketEnded(generation: Int, error: (any Error)?) {
    guard let current = socket, current.generation == generation else { return }
    socket = nil
    if isClosed { return }
    let reason = error.map { "\($0)" } ?? "the server closed the WebSocket"
    for id in trackerOrder where trackers[id]?.isFinished == false { missedMessages.insert(id) }
    broadcast(.disconnected(reason: reason))
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
        await reconcileUnfinished()
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
    for id in trackerOrder where trackers[id]?.isFinished == false { missedMessages.insert(id) }
    do {
      try await openSocket()
      reconnectCount += 1
      broadcast(.reconnected)
      await reconcileUnfinished()
    } catch {
      startReconnecting()
    }
  }

  /// Asks /history about every prompt not finished yet: messages sent while no socket listened are lost.
  private func reconcileUnfinished() async {
    for id in trackerOrder where trackers[id]?.isFinished == false {
      guard let entry = try? await client.history(promptID: id) else { continue }
      guard var tracker = trackers[id] else { continue }
      let updates = tracker.reconcile(with: entry)
      trackers[id] = tracker
      missedMessages.remove(id)
      heldEnds.removeValue(forKey: id)
      for update in updates { broadcast(.prompt(id: id, update: update, tracker: tracker)) }
    }
  }

  /// Ends a prompt that may have lost messages: from its history entry (outcome and every file), else
  /// from the end messages that did arrive.
  private func finishFromHistory(_ id: String, endMarker: ServerEvent) async {
    var entry: HistoryEntry?
    for attempt in 0..<3 where entry == nil {
      if attempt > 0 { try? await Task.sleep(for: .milliseconds(100)) }
      entry = try? await client.history(promptID: id)
    }
    missedMessages.remove(id)
    let held = heldEnds.removeValue(forKey: id)
    guard var tracker = trackers[id], !tracker.isFinished else { return }
    var updates: [PromptUpdate] = []
    if let entry {
      updates = tracker.reconcile(with: entry)
    } else {
      if let held { updates += tracker.apply(held) }
      updates += tracker.apply(endMarker)
    }
    trackers[id] = tracker
    for update in updates { broadcast(.prompt(id: id, update: update, tracker: tracker)) }
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
      return
    case .featureFlags(let flags):
      serverFeatures = flags
      return
    default:
      break
    }
    guard let id = route(event), var tracker = trackers[id] else {
      keepOrphan(event, for: event.promptID)
      return
    }
    if missedMessages.contains(id), !tracker.isFinished {
      switch event {
      case .executionSuccess, .executionError, .executionInterrupted:
        // Files reported while no socket listened are only in /history, written after this message.
        heldEnds[id] = event
        return
      case .executing(_, nil, _):
        Task { await self.finishFromHistory(id, endMarker: event) }
        return
      default:
        break
      }
    }
    let updates = tracker.apply(event, at: lastMessageAt)
    guard !updates.isEmpty else { return }
    trackers[id] = tracker
    for update in updates { broadcast(.prompt(id: id, update: update, tracker: tracker)) }
  }

  /// Which prompt an event is about. Events without a prompt id (the reconnect greeting, text frames,
  /// legacy previews) go to the prompt of ours that is running.
  private func route(_ event: ServerEvent) -> String? {
    if let id = event.promptID { return id }
    switch event {
    case .executing(nil, .some, _), .progress(nil, .some, _, _), .preview:
      return runningPromptID()
    case .text(let node, _):
      if let id = trackerOrder.last(where: {
        trackers[$0]?.currentNode == node && trackers[$0]?.isFinished == false
      }) {
        return id
      }
      return runningPromptID()
    default:
      return nil
    }
  }

  /// The prompt of ours the server is most likely running: a started, unfinished one, else the oldest waiting.
  private func runningPromptID() -> String? {
    if let started = trackerOrder.last(where: {
      trackers[$0]?.isStarted == true && trackers[$0]?.isFinished == false
    }) {
      return started
    }
    return trackerOrder.first { trackers[$0]?.isFinished == false }
  }

  /// Keeps events no tracker took: a prompt's messages can all arrive before POST /prompt's answer
  /// does (a fast server), and text and preview frames carry no prompt id at all.
  private func keepOrphan(_ event: ServerEvent, for id: String?) {
    orphans.append((id, event))
    if orphans.count > 4096 { orphans.removeFirst(orphans.count - 4096) }
  }

  /// The kept events of `promptID`, and the ones without a prompt id that came after its first one
  /// (they belong to the prompt that was running); removed from the buffer.
  private func takeOrphans(of promptID: String) -> [ServerEvent] {
    guard let first = orphans.firstIndex(where: { $0.promptID == promptID }) else { return [] }
    var taken: [ServerEvent] = []
    var kept = Array(orphans[..<first])
    for entry in orphans[first...] {
      if entry.promptID == promptID || entry.promptID == nil {
        taken.append(entry.event)
      } else {
        kept.append(entry)
      }
    }
    orphans = kept
    return taken
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
    guard trackers[promptID] == nil else { return }
    var tracker = PromptTracker(promptID: promptID, prompt: prompt, number: number)
    var updates: [PromptUpdate] = []
    for event in takeOrphans(of: promptID) { updates += tracker.apply(event) }
    trackers[promptID] = tracker
    trackerOrder.append(promptID)
    if trackerOrder.count > Self.keptTrackers,
      let old = trackerOrder.first(where: { trackers[$0]?.isFinished == true })
    {
      trackers.removeValue(forKey: old)
      trackerOrder.removeAll { $0 == old }
    }
    for update in updates { broadcast(.prompt(id: promptID, update: update, tracker: tracker)) }
  }

  public func tracker(_ promptID: String) -> PromptTracker? { trackers[promptID] }

  /// Ends a tracked prompt that was deleted from the queue: no message will ever come for it.
  public func markCancelled(_ promptID: String) {
    guard var tracker = trackers[promptID] else { return }
    let updates = tracker.cancel()
    trackers[promptID] = tracker
    for update in updates { broadcast(.prompt(id: promptID, update: update, tracker: tracker)) }
  }

  /// Every tracked prompt, oldest first.
  public var trackedPromptIDs: [String] { trackerOrder }

  /// Applies a history entry to a tracked prompt (used when watching finds it finished).
  @discardableResult
  public func reconcile(_ promptID: String, with entry: HistoryEntry) -> PromptTracker? {
    guard var tracker = trackers[promptID] else { return nil }
    let updates = tracker.reconcile(with: entry)
    trackers[promptID] = tracker
    for update in updates { broadcast(.prompt(id: promptID, update: update, tracker: tracker)) }
    return tracker
  }

  // MARK: - Subscriptions

  /// Every connection event from now on, until the connection closes or the stream is dropped.
  public func events() -> AsyncStream<ConnectionEvent> {
    subscribe().stream
  }

  private func subscribe() -> (stream: AsyncStream<ConnectionEvent>, id: Int) {
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
    return (stream, id)
  }

  private func unsubscribe(_ id: Int) {
    subscribers.removeValue(forKey: id)
  }

  private func broadcast(_ event: ConnectionEvent) {
    for continuation in subscribers.values { continuation.yield(event) }
  }

  /// The tracker as it is now and a subscription starting right after it, with nothing in between.
  private func attach(_ promptID: String) -> (PromptTracker, AsyncStream<ConnectionEvent>)? {
    guard let tracker = trackers[promptID] else { return nil }
    return (tracker, subscribe().stream)
  }

  // MARK: - Following a prompt

  /// Follows a tracked prompt to its end: a snapshot first, then its updates; finishes after `.finished`.
  /// Fails with `inactivity` when nothing arrives for `inactivityTimeout` while the prompt runs (after
  /// checking /history for an end that was missed), and with `connectionLost` when reconnecting gives up.
  /// With `poll`, /history and /queue are asked every `pollInterval` (prompts of other clients send
  /// this socket nothing).
  public nonisolated func follow(
    _ promptID: String, inactivityTimeout: Duration, poll: Bool = false, pollInterval: Duration = .seconds(1)
  ) -> AsyncThrowingStream<FollowEvent, any Error> {
    let (stream, continuation) = AsyncThrowingStream<FollowEvent, any Error>.makeStream()
    let task = Task {
      do {
        try await self.runFollow(
          promptID, timeout: inactivityTimeout, poll: poll, pollInterval: pollInterval, into: continuation)
        continuation.finish()
      } catch {
        continuation.finish(throwing: error)
      }
    }
    continuation.onTermination = { _ in task.cancel() }
    return stream
  }

  private enum FollowInput: Sendable {
    case event(ConnectionEvent)
    case tick
  }

  private func runFollow(
    _ promptID: String, timeout: Duration, poll: Bool, pollInterval: Duration,
    into output: AsyncThrowingStream<FollowEvent, any Error>.Continuation
  ) async throws {
    guard let (tracker, events) = attach(promptID) else {
      throw ComfyClientError(.unknownPrompt, "prompt \(promptID) is not tracked by this session")
    }
    output.yield(.snapshot(tracker))
    if tracker.isFinished { return }
    let (inputs, feed) = AsyncStream<FollowInput>.makeStream()
    let pump = Task {
      for await event in events { feed.yield(.event(event)) }
      feed.finish()
    }
    let tick = poll ? pollInterval : min(.seconds(1), timeout / 4)
    let ticker = Task {
      while !Task.isCancelled {
        try? await Task.sleep(for: tick)
        feed.yield(.tick)
      }
    }
    defer {
      pump.cancel()
      ticker.cancel()
      feed.finish()
    }
    var lastActivity = Monotonic.now()
    var lastPoll = Monotonic.now()
    var reopened = false
    for await input in inputs {
      try Task.checkCancellation()
      switch input {
      case .event(let event):
        switch event {
        case .message:
          lastActivity = Monotonic.now()
        case .prompt(let id, let update, let tracker) where id == promptID:
          lastActivity = Monotonic.now()
          output.yield(.update(update, tracker))
          if case .finished = update { return }
        case .prompt:
          break
        case .disconnected(let reason):
          lastActivity = Monotonic.now()
          output.yield(.disconnected(reason: reason))
        case .reconnected:
          lastActivity = Monotonic.now()
          output.yield(.reconnected)
        case .connectionLost(let reason):
          throw ComfyClientError(
            .connectionLost,
            "lost the connection to \(client.server) and could not open it again (\(reason)); prompt \(promptID) may still be running there: `watch \(promptID)` when the server is back"
          )
        }
      case .tick:
        let now = Monotonic.now()
        let quiet = now - lastActivity >= timeout.seconds
        let pollDue = poll && now - lastPoll >= pollInterval.seconds
        guard quiet || pollDue else { continue }
        lastPoll = now
        switch try await checkQuiet(promptID, timeout: timeout, strict: !poll && quiet) {
        case .finished:
          // The reconciled updates arrive as events; the loop ends on `.finished`.
          lastActivity = now
        case .waiting(let position):
          lastActivity = now
          output.yield(.waiting(position: position))
        case .running(let inactivity):
          guard let inactivity else {
            if !poll { lastActivity = now }
            break
          }
          // A socket can be open and deaf (its registration was dropped by the server's clean-up of
          // an older socket with the same client id): open it again once before giving up.
          if !reopened {
            reopened = true
            lastActivity = now
            await reopen()
            break
          }
          throw inactivity
        }
      }
    }
    try Task.checkCancellation()
    throw ComfyClientError(.connectionLost, "the connection to \(client.server) was closed")
  }

  private enum QuietCheck {
    case finished
    case waiting(position: Int)
    /// Still running; with the error to report when the quiet spell counts as inactivity.
    case running(ComfyClientError?)
  }

  /// After a quiet spell: maybe the end was missed (ask /history), maybe the prompt waits its turn (ask
  /// /queue); if it is running and nothing came for the whole timeout, that is an inactivity error.
  private func checkQuiet(_ promptID: String, timeout: Duration, strict: Bool) async throws -> QuietCheck {
    if let entry = try await client.history(promptID: promptID) {
      reconcile(promptID, with: entry)
      return .finished
    }
    let queue = try await client.queue()
    if let index = queue.pending.firstIndex(where: { $0.promptID == promptID }) {
      return .waiting(position: index + 1 + queue.running.count)
    }
    if queue.running.contains(where: { $0.promptID == promptID }) {
      guard strict else { return .running(nil) }
      let node =
        trackers[promptID]?.currentNode.map { id -> String in
          let run = trackers[promptID]?.nodes[id]
          return " (node \(id)" + (run?.classType.map { " \($0)" } ?? "") + " was running)"
        } ?? ""
      return .running(
        ComfyClientError(
          .inactivity,
          "no news from \(client.server) about prompt \(promptID) for \(timeout.secondsText)\(node); it is still running there: `watch` to follow it again, `interrupt` to stop it, or `watch --timeout SECONDS` to wait longer"
        ))
    }
    // Not queued, not running, not in history: it may have finished in the instant between the two asks.
    if let entry = try await client.history(promptID: promptID) {
      reconcile(promptID, with: entry)
      return .finished
    }
    throw ComfyClientError(
      .unknownPrompt,
      "\(client.server) no longer knows prompt \(promptID) (not queued, not running, not in history); was the server restarted or its history cleared?"
    )
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
