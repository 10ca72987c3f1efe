import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// How a prompt ended.
public enum PromptOutcome: Sendable, Equatable {
  case success
  case failed(ExecutionFailure)
  case interrupted(Interruption)
  /// `executing` with `node: null` came without a success or error message before it.
  case ended
  /// Removed from the queue before it ran (`POST /queue {"delete": [...]}`).
  case cancelled

  /// `success`, `error`, `interrupted`, `ended`: the word `--json` and notices use.
  public var word: String {
    switch self {
    case .success: "success"
    case .failed: "error"
    case .interrupted: "interrupted"
    case .ended: "ended"
    case .cancelled: "cancelled"
    }
  }
}

/// What one node of a prompt did, as far as the messages told.
public struct NodeRun: Sendable, Equatable {
  public enum State: String, Sendable, Equatable {
    /// Not reported yet (waiting, or never run because it was not needed).
    case waiting
    /// Its outputs came from the cache.
    case cached
    case running
    case finished
    case failed
    case interrupted
  }

  public let id: String
  public var classType: String?
  public var title: String?
  public var state: State = .waiting
  /// Progress from `progress` (or a cumulative `progress_state` after a reconnect).
  public var value: Double?
  public var max: Double?
  public var outputs: [OutputFile] = []
  /// Other ui output (`text`, …) the node sent with `executed`.
  public var otherOutput: JSONObject = [:]
  /// Monotonic seconds when the node started and ended, as this client saw it.
  public var startedAt: Double?
  public var endedAt: Double?
  /// 1 for the first node to end, 2 for the next…: events handled together share one time, and this
  /// keeps the order they came in.
  public var endSequence: Int?
  /// False when its start or end happened while no socket listened (learned after a reconnect, or
  /// from /history, which keeps no node times): then how long it ran is not known.
  public var timeKnown = true

  public init(id: String, classType: String? = nil, title: String? = nil) {
    self.id = id
    self.classType = classType
    self.title = title
  }

  /// How long it ran, when both ends were seen.
  public var seconds: Double? {
    guard timeKnown, let startedAt, let endedAt else { return nil }
    return Swift.max(0, endedAt - startedAt)
  }

  /// The progress as a fraction 0…1, when the node reported any.
  public var fraction: Double? {
    guard let value, let max, max > 0 else { return nil }
    return Swift.min(1, Swift.max(0, value / max))
  }

  /// What lists call the node: its title, else its class, else its id.
  public var displayName: String { title ?? classType ?? id }
}

/// One thing that happened to a prompt, in the order it happened; what `watch` shows.
public enum PromptUpdate: Sendable, Equatable {
  /// `execution_start`: the prompt left the queue.
  case started
  /// These nodes come from the cache.
  case cached([String])
  case nodeStarted(String)
  case progress(node: String, value: Double, max: Double)
  /// A node wrote files or other ui output (`executed`).
  case output(node: String, files: [OutputFile])
  /// A node is done (finished, failed or interrupted); its `NodeRun` is final.
  case nodeEnded(String)
  /// Binary text frame from a running node (GetImageSize's sizes, API nodes' status).
  case text(node: String, text: String)
  case preview(node: String?, PreviewImage)
  /// Outcome known from `/history` after messages were missed (a dropped socket).
  case reconciled
  case finished(PromptOutcome)
}

/// The run/watch state machine of one prompt: feed it the socket's events (and, after a reconnect,
/// the history entry) and it keeps per-node state, times and outputs, and says what changed.
public struct PromptTracker: Sendable, Equatable {
  public let promptID: String
  public var number: JSONNumber?
  /// Every node known: the prompt's nodes in prompt order, then any the server reported besides.
  public private(set) var nodes: OrderedDictionaryOfNodes
  public private(set) var outcome: PromptOutcome?
  /// The node running now, when one is.
  public private(set) var currentNode: String?
  /// How many nodes have ended, for `NodeRun.endSequence`.
  private var endsSeen = 0
  /// Monotonic seconds: when the prompt was queued here, started on the server, and ended.
  public let queuedAt: Double
  public private(set) var startedAt: Double?
  public private(set) var endedAt: Double?
  /// The server's `execution_start` and end timestamps (ms), for the total time.
  public private(set) var serverStart: Int64?
  public private(set) var serverEnd: Int64?
  /// Previews from binary frames, oldest first (at most `previewLimit` kept).
  public private(set) var previews: [(node: String?, image: PreviewImage)] = []
  public private(set) var texts: [(node: String, text: String)] = []
  /// True when part of what is known came from `/history` rather than messages.
  public private(set) var reconciledFromHistory = false
  /// True when the prompt was taken as done from the socket alone (every node reported done) because
  /// /history could not confirm it after the socket dropped.
  public private(set) var endUnconfirmed = false
  /// When the socket last dropped while this prompt ran (monotonic seconds).
  public private(set) var droppedAt: Double?
  /// After a reconnect, until the catch-up messages (the greeting's `executing`, the first cumulative
  /// `progress_state`) are applied: node starts and ends they imply happened at unknown times.
  private var catchingUp = false
  /// Set while node starts and ends are applied whose real times are not known.
  private var inferring = false
  public static let previewLimit = 64

  /// A tracker for a prompt; `prompt` (the API-format graph) gives the nodes' classes and titles.
  public init(
    promptID: String, prompt: Workflow? = nil, number: JSONNumber? = nil, at time: Double = Monotonic.now()
  ) {
    self.promptID = promptID
    self.number = number
    self.queuedAt = time
    var nodes = OrderedDictionaryOfNodes()
    for (id, node) in prompt?.nodes ?? [:] {
      nodes[id] = NodeRun(id: id, classType: node.classType, title: node.title)
    }
    self.nodes = nodes
  }

  public var isFinished: Bool { outcome != nil }
  public var isStarted: Bool { startedAt != nil || outcome != nil }

  /// Seconds from start to end: the server's timestamps when known, else this client's clock.
  public var totalSeconds: Double? {
    if let serverStart, let serverEnd, serverEnd >= serverStart {
      return Double(serverEnd - serverStart) / 1000
    }
    guard let end = endedAt else { return nil }
    return Swift.max(0, end - (startedAt ?? queuedAt))
  }

  /// Every output file, in node order.
  public var outputs: [(node: String, file: OutputFile)] {
    nodes.values.flatMap { run in run.outputs.map { (run.id, $0) } }
  }

  public static func == (a: PromptTracker, b: PromptTracker) -> Bool {
    a.promptID == b.promptID && a.nodes == b.nodes && a.outcome == b.outcome && a.currentNode == b.currentNode
      && a.previews.count == b.previews.count && a.texts.count == b.texts.count
  }

  // MARK: - Events

  /// Applies one socket event; returns what changed. Events of other prompts change nothing.
  /// `executing` without a prompt id (the reconnect greeting) is applied: the caller decides it is ours.
  @discardableResult
  public mutating func apply(_ event: ServerEvent, at time: Double = Monotonic.now()) -> [PromptUpdate] {
    if let id = event.promptID, id != promptID { return [] }
    if isFinished {
      // Late messages (the status and `executing null` after success) change nothing.
      return []
    }
    if catchingUp {
      switch event {
      case .executing(nil, .some, _):
        inferring = true
      case .progressState:
        inferring = true
        catchingUp = false
      default:
        catchingUp = false
      }
    }
    defer { inferring = false }
    var updates: [PromptUpdate] = []
    switch event {
    case .executionStart(_, let timestamp):
      serverStart = timestamp ?? serverStart
      if startedAt == nil {
        startedAt = time
        updates.append(.started)
      }
    case .executionCached(_, let ids, _):
      markStarted(at: time, &updates)
      var cached: [String] = []
      for id in ids {
        var run = nodes[id] ?? NodeRun(id: id)
        guard run.state == .waiting else { continue }
        run.state = .cached
        nodes[id] = run
        cached.append(id)
      }
      if !cached.isEmpty { updates.append(.cached(cached)) }
    case .executing(_, let node, let display):
      guard let node else {
        finish(.ended, at: time, &updates)
        break
      }
      markStarted(at: time, &updates)
      let id = displayID(node, display)
      if let current = currentNode, current != id { end(current, as: .finished, at: time, &updates) }
      begin(id, at: time, &updates)
    case .progress(_, let node, let value, let max):
      guard let node else { break }
      markStarted(at: time, &updates)
      let id = nodes[node] != nil ? node : (currentNode ?? node)
      begin(id, at: time, &updates)
      if nodes[id]?.value != value || nodes[id]?.max != max {
        nodes[id]?.value = value
        nodes[id]?.max = max
        updates.append(.progress(node: id, value: value, max: max))
      }
    case .progressState(_, let states):
      markStarted(at: time, &updates)
      for state in states {
        let id = displayID(state.nodeID, state.displayNodeID)
        switch state.state {
        case "running":
          if nodes[id]?.state == .waiting || nodes[id] == nil {
            if let current = currentNode, current != id { end(current, as: .finished, at: time, &updates) }
            begin(id, at: time, &updates)
          }
          // A cumulative value with a real range (after a reconnect) is progress worth showing.
          if state.max > 1 || nodes[id]?.max != nil,
            nodes[id]?.value != state.value || nodes[id]?.max != state.max
          {
            nodes[id]?.value = state.value
            nodes[id]?.max = state.max
            updates.append(.progress(node: id, value: state.value, max: state.max))
          }
        case "finished":
          // After a reconnect, nodes that ran while no socket listened are reported finished here.
          if nodes[id]?.state == .running || nodes[id]?.state == .waiting {
            end(id, as: .finished, at: time, &updates)
          }
        case "error":
          if nodes[id]?.state == .running { end(id, as: .failed, at: time, &updates) }
        default:
          break
        }
      }
    case .executed(_, let node, let display, let output):
      markStarted(at: time, &updates)
      let id = displayID(node, display)
      var run = nodes[id] ?? NodeRun(id: id)
      let files = OutputFile.files(in: output)
      for file in files where !run.outputs.contains(file) { run.outputs.append(file) }
      for (key, value) in output where !(value.arrayValue?.contains { $0["filename"] != nil } ?? false) {
        run.otherOutput[key] = value
      }
      nodes[id] = run
      updates.append(.output(node: id, files: files))
    case .executionSuccess(_, let timestamp):
      serverEnd = timestamp
      finish(.success, at: time, &updates)
    case .executionError(let failure):
      serverEnd = failure.timestamp
      if nodes[failure.nodeID] == nil {
        nodes[failure.nodeID] = NodeRun(id: failure.nodeID, classType: failure.nodeType)
      }
      if nodes[failure.nodeID]?.startedAt == nil { nodes[failure.nodeID]?.startedAt = time }
      for id in failure.executed where nodes[id]?.state == .waiting || nodes[id]?.state == .running {
        end(id, as: .finished, at: time, &updates)
      }
      end(failure.nodeID, as: .failed, at: time, &updates)
      finish(.failed(failure), at: time, &updates)
    case .executionInterrupted(let interruption):
      serverEnd = interruption.timestamp
      if let id = interruption.nodeID {
        if nodes[id] == nil { nodes[id] = NodeRun(id: id, classType: interruption.nodeType) }
        if nodes[id]?.startedAt == nil { nodes[id]?.startedAt = time }
        end(id, as: .interrupted, at: time, &updates)
      }
      finish(.interrupted(interruption), at: time, &updates)
    case .preview(let image):
      let node = image.metadata?.displayNodeID ?? image.metadata?.nodeID ?? currentNode
      previews.append((node, image))
      if previews.count > Self.previewLimit { previews.removeFirst(previews.count - Self.previewLimit) }
      updates.append(.preview(node: node, image))
    case .text(let node, let text):
      texts.append((node, text))
      updates.append(.text(node: node, text: text))
    case .status, .featureFlags, .logs, .displayComponent, .unknown:
      break
    }
    return updates
  }

  /// Fills in what a history entry says (after messages were missed): outputs, the cached nodes, the end.
  /// History keeps no node times, so nodes it ends get none (`timeKnown` false); they end in the order
  /// they ran as far as it tells: the node running when messages stopped, then (the prompt succeeded,
  /// so they ran) the others without files in prompt order, then the output nodes in the order the
  /// entry lists them.
  @discardableResult
  public mutating func reconcile(
    with entry: HistoryEntry, at time: Double = Monotonic.now()
  ) -> [PromptUpdate] {
    guard entry.promptID == promptID, !isFinished else { return [] }
    reconciledFromHistory = true
    catchingUp = false
    var updates: [PromptUpdate] = [.reconciled]
    if number == nil { number = entry.item?.number }
    for message in entry.messages {
      switch message {
      case .executionStart, .executionCached: updates += apply(message, at: time)
      default: continue
      }
    }
    inferring = true
    defer { inferring = false }
    let outcome = entry.outcome
    if outcome == .success, let current = currentNode { end(current, as: .finished, at: time, &updates) }
    for (node, ui) in entry.outputs {
      let files = OutputFile.files(in: ui.objectValue ?? [:])
      var run = nodes[node] ?? NodeRun(id: node)
      let new = files.filter { !run.outputs.contains($0) }
      guard !new.isEmpty else { continue }
      run.outputs += new
      nodes[node] = run
      updates.append(.output(node: node, files: new))
    }
    if outcome == .success {
      // A prompt that succeeded ran every node it has; those without files usually before the outputs.
      for run in nodes.values where run.state == .waiting && run.outputs.isEmpty {
        end(run.id, as: .finished, at: time, &updates)
      }
    }
    // Nodes that wrote files ran to their end, though no message said so.
    for (node, _) in entry.outputs {
      if let run = nodes[node], run.state == .waiting || run.state == .running, !run.outputs.isEmpty {
        end(node, as: .finished, at: time, &updates)
      }
    }
    switch outcome {
    case .failed, .interrupted:
      for message in entry.messages.reversed() {
        if case .executionError = message { updates += applyInferring(message, at: time); return updates }
        if case .executionInterrupted = message {
          updates += applyInferring(message, at: time)
          return updates
        }
      }
    case .success:
      for message in entry.messages.reversed() {
        if case .executionSuccess = message { updates += applyInferring(message, at: time); return updates }
      }
    case .ended, .cancelled:
      break
    }
    finish(outcome, at: time, &updates)
    return updates
  }

  /// Applies an end message from /history: the nodes it ends get no time.
  private mutating func applyInferring(_ event: ServerEvent, at time: Double) -> [PromptUpdate] {
    let before = Set(nodes.values.filter { $0.state == .waiting || $0.state == .running }.map(\.id))
    let updates = apply(event, at: time)
    for id in before where nodes[id]?.state != .waiting && nodes[id]?.state != .running {
      nodes[id]?.timeKnown = false
    }
    return updates
  }

  /// The socket dropped while this prompt ran: what the next socket's first messages imply about node
  /// starts and ends happened meanwhile, at times not known.
  public mutating func socketDropped(at time: Double) {
    guard !isFinished else { return }
    droppedAt = time
    catchingUp = true
  }

  /// Ends the prompt from the socket alone when every node was reported done (finished or cached)
  /// and /history cannot say how it ended; at the last node's end, as the socket told it. Nothing when
  /// a node was not reported done.
  @discardableResult
  public mutating func finishUnconfirmed(at time: Double = Monotonic.now()) -> [PromptUpdate] {
    guard !isFinished, allNodesDone else { return [] }
    endUnconfirmed = true
    var updates: [PromptUpdate] = []
    let lastEnd = nodes.values.compactMap(\.endedAt).max()
    finish(.ended, at: lastEnd ?? time, &updates)
    return updates
  }

  /// True when every node is known and was reported finished or cached.
  public var allNodesDone: Bool {
    !nodes.values.isEmpty && nodes.values.allSatisfy { $0.state == .finished || $0.state == .cached }
  }

  /// Ends a prompt that was removed from the queue before it ran.
  @discardableResult
  public mutating func cancel(at time: Double = Monotonic.now()) -> [PromptUpdate] {
    guard !isFinished else { return [] }
    var updates: [PromptUpdate] = []
    finish(.cancelled, at: time, &updates)
    return updates
  }

  // MARK: - Steps

  private mutating func markStarted(at time: Double, _ updates: inout [PromptUpdate]) {
    if startedAt == nil {
      startedAt = time
      updates.append(.started)
    }
  }

  /// Messages name the node that runs; for nodes the server expanded, `display_node` is the prompt's node.
  private func displayID(_ node: String, _ display: String?) -> String {
    if nodes[node] == nil, let display, nodes[display] != nil { return display }
    return node
  }

  private mutating func begin(_ id: String, at time: Double, _ updates: inout [PromptUpdate]) {
    var run = nodes[id] ?? NodeRun(id: id)
    currentNode = id
    guard run.state == .waiting else {
      nodes[id] = run
      return
    }
    run.state = .running
    run.startedAt = time
    if inferring { run.timeKnown = false }
    nodes[id] = run
    updates.append(.nodeStarted(id))
  }

  private mutating func end(
    _ id: String, as state: NodeRun.State, at time: Double, _ updates: inout [PromptUpdate]
  ) {
    guard var run = nodes[id], run.state == .running || run.state == .waiting else { return }
    run.state = state
    run.endedAt = time
    endsSeen += 1
    run.endSequence = endsSeen
    if inferring { run.timeKnown = false }
    if state == .finished, let max = run.max, max > 0 { run.value = Swift.max(run.value ?? 0, max) }
    nodes[id] = run
    if currentNode == id { currentNode = nil }
    updates.append(.nodeEnded(id))
  }

  private mutating func finish(_ outcome: PromptOutcome, at time: Double, _ updates: inout [PromptUpdate]) {
    guard self.outcome == nil else { return }
    if let current = currentNode {
      let state: NodeRun.State =
        switch outcome {
        case .success, .ended, .cancelled: .finished
        case .failed: .failed
        case .interrupted: .interrupted
        }
      end(current, as: state, at: time, &updates)
    }
    self.outcome = outcome
    endedAt = time
    if startedAt == nil { startedAt = time }
    updates.append(.finished(outcome))
  }
}

/// Nodes by id in insertion order (a small wrapper so the tracker stays free of collection imports).
public struct OrderedDictionaryOfNodes: Sendable, Equatable {
  public private(set) var keys: [String] = []
  private var storage: [String: NodeRun] = [:]

  public init() {}

  public subscript(id: String) -> NodeRun? {
    get { storage[id] }
    set {
      if let newValue {
        if storage.updateValue(newValue, forKey: id) == nil { keys.append(id) }
      } else if storage.removeValue(forKey: id) != nil {
        keys.removeAll { $0 == id }
      }
    }
  }

  public var values: [NodeRun] { keys.compactMap { storage[$0] } }
  public var count: Int { keys.count }
}

/// Monotonic wall time in seconds, for durations (not dates).
public enum Monotonic {
  public static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
}

/// Wall-clock milliseconds since 1970, the unit of the server's `create_time` and timestamps.
public enum WallClock {
  public static func milliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }
}
