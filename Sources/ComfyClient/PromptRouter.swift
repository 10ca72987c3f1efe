import Workflow

/// Which tracked prompt each socket event belongs to, and the trackers themselves: a pure value driven
/// by events (like `PromptTracker`, one level up). The connection feeds it what the socket and
/// /history say and broadcasts the changes it returns; it does no I/O itself.
public struct PromptRouter: Sendable {
  /// A tracked prompt changed: its id, what happened and its state after the change.
  public typealias Change = (id: String, update: PromptUpdate, tracker: PromptTracker)

  /// What the connection must do about an event beyond broadcasting the changes.
  public enum Action: Sendable, Equatable {
    /// The prompt may have lost messages while no socket listened and its end marker came: its end and
    /// files are in /history now (ask it; pass the answer to `finishFromHistory`).
    case askHistory(promptID: String, endMarker: ServerEvent)
  }

  private var trackers: [String: PromptTracker] = [:]
  /// Tracked prompt ids, oldest first.
  public private(set) var order: [String] = []
  /// Prompts that may have lost messages to a dropped socket: their end is taken from /history.
  private var missedMessages: Set<String> = []
  /// The end messages of such prompts, held until the end marker (`executing` with no node) says the
  /// history entry is written; applied as they are if /history does not have it.
  private var heldEnds: [String: ServerEvent] = [:]
  /// Recent events no tracker took (prompt not tracked yet, or no prompt id), oldest first.
  private var orphans: [(promptID: String?, event: ServerEvent)] = []

  /// How many finished trackers are kept before the oldest is dropped.
  public let keptTrackers: Int
  /// How many untaken events are kept.
  public let keptOrphans: Int

  public init(keptTrackers: Int = 256, keptOrphans: Int = 4096) {
    self.keptTrackers = keptTrackers
    self.keptOrphans = keptOrphans
  }

  public func tracker(_ promptID: String) -> PromptTracker? { trackers[promptID] }

  /// Tracked prompts that have not ended.
  public var unfinished: [String] { order.filter { trackers[$0]?.isFinished == false } }

  // MARK: - Events

  /// Routes one socket event (not `status` or `feature_flags`, which concern no prompt).
  public mutating func receive(_ event: ServerEvent, at time: Double) -> (changes: [Change], action: Action?)
  {
    guard let id = route(event), var tracker = trackers[id] else {
      keepOrphan(event, for: event.promptID)
      return ([], nil)
    }
    if missedMessages.contains(id), !tracker.isFinished {
      switch event {
      case .executionSuccess, .executionError, .executionInterrupted:
        // Files reported while no socket listened are only in /history, written after this message.
        heldEnds[id] = event
        return ([], nil)
      case .executing(_, nil, _):
        return ([], .askHistory(promptID: id, endMarker: event))
      default:
        break
      }
    }
    let updates = tracker.apply(event, at: time)
    guard !updates.isEmpty else { return ([], nil) }
    trackers[id] = tracker
    return (updates.map { (id, $0, tracker) }, nil)
  }

  /// Which prompt an event is about. Events without a prompt id (the reconnect greeting, text frames,
  /// legacy previews) go to the prompt of ours that is running.
  private func route(_ event: ServerEvent) -> String? {
    if let id = event.promptID { return id }
    switch event {
    case .executing(nil, .some, _), .progress(nil, .some, _, _), .preview:
      return runningPromptID()
    case .text(let node, _):
      if let id = order.last(where: { trackers[$0]?.currentNode == node && trackers[$0]?.isFinished == false }
      ) {
        return id
      }
      return runningPromptID()
    default:
      return nil
    }
  }

  /// The prompt of ours the server is most likely running: a started, unfinished one, else the oldest waiting.
  private func runningPromptID() -> String? {
    if let started = order.last(where: {
      trackers[$0]?.isStarted == true && trackers[$0]?.isFinished == false
    }) {
      return started
    }
    return order.first { trackers[$0]?.isFinished == false }
  }

  /// Keeps events no tracker took: a prompt's messages can all arrive before POST /prompt's answer
  /// does (a fast server), and text and preview frames carry no prompt id at all.
  private mutating func keepOrphan(_ event: ServerEvent, for id: String?) {
    orphans.append((id, event))
    if orphans.count > keptOrphans { orphans.removeFirst(orphans.count - keptOrphans) }
  }

  /// The kept events of `promptID`, and the ones without a prompt id that came after its first one
  /// (they belong to the prompt that was running); removed from the buffer.
  private mutating func takeOrphans(of promptID: String) -> [ServerEvent] {
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

  /// Starts tracking a prompt; the events that came for it first are applied at once.
  public mutating func track(
    promptID: String, prompt: Workflow?, number: JSONNumber?, at time: Double
  )
    -> [Change]
  {
    guard trackers[promptID] == nil else { return [] }
    var tracker = PromptTracker(promptID: promptID, prompt: prompt, number: number, at: time)
    var updates: [PromptUpdate] = []
    for event in takeOrphans(of: promptID) { updates += tracker.apply(event, at: time) }
    trackers[promptID] = tracker
    order.append(promptID)
    if order.count > keptTrackers, let old = order.first(where: { trackers[$0]?.isFinished == true }) {
      trackers.removeValue(forKey: old)
      order.removeAll { $0 == old }
    }
    return updates.map { (promptID, $0, tracker) }
  }

  /// The socket dropped: every unfinished prompt may miss messages until /history is asked, and the
  /// times of the nodes that start or end meanwhile are not known.
  public mutating func socketDropped(at time: Double) {
    missedMessages.formUnion(unfinished)
    for id in unfinished { trackers[id]?.socketDropped(at: time) }
  }

  /// Ends a prompt from what the socket said (every node done) when /history cannot say; nothing when
  /// some node was not reported done.
  public mutating func finishUnconfirmed(_ promptID: String, at time: Double) -> [Change] {
    guard var tracker = trackers[promptID] else { return [] }
    let updates = tracker.finishUnconfirmed(at: time)
    guard !updates.isEmpty else { return [] }
    trackers[promptID] = tracker
    missedMessages.remove(promptID)
    heldEnds.removeValue(forKey: promptID)
    return updates.map { (promptID, $0, tracker) }
  }

  /// Applies a history entry to a tracked prompt; messages are no longer missing for it.
  public mutating func reconcile(_ promptID: String, with entry: HistoryEntry, at time: Double) -> [Change] {
    guard var tracker = trackers[promptID] else { return [] }
    let updates = tracker.reconcile(with: entry, at: time)
    trackers[promptID] = tracker
    missedMessages.remove(promptID)
    heldEnds.removeValue(forKey: promptID)
    return updates.map { (promptID, $0, tracker) }
  }

  /// Ends a prompt that may have lost messages: from its history entry (outcome and every file) when
  /// the server had one, else from the end messages that did arrive.
  public mutating func finishFromHistory(
    _ promptID: String, entry: HistoryEntry?, endMarker: ServerEvent, at time: Double
  ) -> [Change] {
    missedMessages.remove(promptID)
    let held = heldEnds.removeValue(forKey: promptID)
    guard var tracker = trackers[promptID], !tracker.isFinished else { return [] }
    var updates: [PromptUpdate] = []
    if let entry {
      updates = tracker.reconcile(with: entry, at: time)
    } else {
      if let held { updates += tracker.apply(held, at: time) }
      updates += tracker.apply(endMarker, at: time)
    }
    trackers[promptID] = tracker
    return updates.map { (promptID, $0, tracker) }
  }

  /// Ends a tracked prompt that was deleted from the queue: no message will ever come for it.
  public mutating func cancel(_ promptID: String) -> [Change] {
    guard var tracker = trackers[promptID] else { return [] }
    let updates = tracker.cancel()
    trackers[promptID] = tracker
    return updates.map { (promptID, $0, tracker) }
  }
}
