import Synchronization
import Workflow

/// A queued prompt: ComfyUI's 5-tuple `(number, prompt_id, prompt, extra_data, outputs_to_execute)`.
struct QueueItem: Sendable {
  /// Queue priority; ties are broken by prompt id, as Python compares tuples.
  var sortKey: Double
  /// `number` as the server answers it: an int from its counter (negated for `front`), or the
  /// client's own number as a float.
  var number: JSONValue
  var promptID: String
  var prompt: JSONValue
  var extraData: JSONObject
  var outputs: [String]
  /// 0.33 keeps the keys apart from what `/queue` shows (a hidden sixth tuple element).
  var hidesSecrets = false

  var json: JSONValue {
    var shown = extraData
    if hidesSecrets { for key in Self.sensitiveKeys { shown.removeValue(forKey: key) } }
    return .array([number, .string(promptID), prompt, .object(shown), .array(outputs.map { .string($0) })])
  }

  static func < (a: QueueItem, b: QueueItem) -> Bool {
    a.sortKey != b.sortKey ? a.sortKey < b.sortKey : a.promptID < b.promptID
  }

  /// extra_data keys ComfyUI strips when a prompt moves to history (`SENSITIVE_EXTRA_DATA_KEYS`).
  static let sensitiveKeys = ["auth_token_comfy_org", "api_key_comfy_org"]
}

/// The prompt queue and history, as ComfyUI's `PromptQueue`: a binary heap (so `GET /queue` lists
/// pending items in heap order, like the real server), running items by task number, history in
/// insertion order. Every change broadcasts `status`, as `queue_updated` does.
final class PromptQueue: Sendable {
  static let maximumHistory = 10000

  private struct State {
    var heap: [QueueItem] = []
    var running: [(task: Int, item: QueueItem)] = []
    var taskCounter = 0
    var nextNumber = 0
    var history = JSONObject()
    var waiter: CheckedContinuation<(QueueItem, Int)?, Never>?
    var closed = false

    var remaining: Int { heap.count + running.count }
  }

  private let state = Mutex(State())
  private let hub: Hub

  init(hub: Hub) { self.hub = hub }

  /// The server counter for a POST without `number`; it advances on every POST, rejected or not.
  func takeNumber() -> Int {
    state.withLock { state in
      defer { state.nextNumber += 1 }
      return state.nextNumber
    }
  }

  var remaining: Int { state.withLock { $0.remaining } }

  func put(_ item: QueueItem) {
    let handOff: (CheckedContinuation<(QueueItem, Int)?, Never>, QueueItem, Int)? = state.withLock { state in
      Heap.push(&state.heap, item)
      hub.broadcastStatus(queueRemaining: state.remaining)
      guard let waiter = state.waiter else { return nil }
      state.waiter = nil
      let (next, task) = Self.take(&state, hub: hub)
      return (waiter, next, task)
    }
    if let (waiter, next, task) = handOff { waiter.resume(returning: (next, task)) }
  }

  private static func take(_ state: inout State, hub: Hub) -> (QueueItem, Int) {
    let item = Heap.pop(&state.heap)
    let task = state.taskCounter
    state.taskCounter += 1
    state.running.append((task, item))
    hub.broadcastStatus(queueRemaining: state.remaining)
    return (item, task)
  }

  /// The next prompt to run, waiting for one; nil once the queue is closed (server stop).
  func next() async -> (QueueItem, Int)? {
    await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let ready: (QueueItem, Int)?? = state.withLock { state in
          if state.closed || Task.isCancelled { return .some(nil) }
          if !state.heap.isEmpty { return .some(Self.take(&state, hub: hub)) }
          state.waiter = continuation
          return nil
        }
        if let ready { continuation.resume(returning: ready) }
      }
    } onCancel: {
      close()
    }
  }

  /// Stops waiting workers; used when the server stops.
  func close() {
    let waiter = state.withLock { state -> CheckedContinuation<(QueueItem, Int)?, Never>? in
      state.closed = true
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(returning: nil)
  }

  /// Moves a finished prompt to history, without the sensitive extra_data keys.
  func finish(task: Int, outputs: JSONObject, meta: JSONObject, status: JSONValue) {
    state.withLock { state in
      guard let index = state.running.firstIndex(where: { $0.task == task }) else { return }
      var item = state.running.remove(at: index).item
      for key in QueueItem.sensitiveKeys { item.extraData.removeValue(forKey: key) }
      if state.history.count > Self.maximumHistory, let oldest = state.history.keys.first {
        state.history.removeValue(forKey: oldest)
      }
      state.history[item.promptID] = [
        "prompt": item.json, "outputs": .object(outputs), "status": status, "meta": .object(meta),
      ]
      hub.broadcastStatus(queueRemaining: state.remaining)
    }
  }

  /// `GET /queue`: running items as they were taken (keys included, as ComfyUI shows them).
  func snapshot() -> (running: [JSONValue], pending: [JSONValue]) {
    state.withLock { state in (state.running.map { $0.item.json }, state.heap.map { $0.json }) }
  }

  func isRunning(promptID: String) -> Bool {
    state.withLock { $0.running.contains { $0.item.promptID == promptID } }
  }

  var runningPromptIDs: [String] { state.withLock { $0.running.map { $0.item.promptID } } }

  /// `POST /queue {"delete": […]}`: pending items only.
  func delete(promptID: String) {
    state.withLock { state in
      guard let index = state.heap.firstIndex(where: { $0.promptID == promptID }) else { return }
      if state.heap.count == 1 {
        // ComfyUI wipes the queue here, which announces the change once more.
        state.heap = []
        hub.broadcastStatus(queueRemaining: state.remaining)
      } else {
        state.heap.remove(at: index)
        Heap.heapify(&state.heap)
      }
      hub.broadcastStatus(queueRemaining: state.remaining)
    }
  }

  /// `POST /queue {"clear": true}`: pending items only; the running prompt goes on.
  func wipe() {
    state.withLock { state in
      state.heap = []
      hub.broadcastStatus(queueRemaining: state.remaining)
    }
  }

  // MARK: - History

  /// `GET /history?max_items=&offset=`: ComfyUI's slicing, in insertion order.
  func history(maxItems: Int?, offset: Int?) -> JSONObject {
    state.withLock { state in
      var start = offset ?? -1
      if start < 0, let maxItems { start = state.history.count - maxItems }
      var out = JSONObject()
      for (i, (key, value)) in state.history.enumerated() where i >= start {
        out[key] = value
        if let maxItems, out.count >= maxItems { break }
      }
      return out
    }
  }

  /// Everything the jobs API reads, taken at once: running and pending items and the history.
  func jobsSnapshot() -> (running: [QueueItem], pending: [QueueItem], history: JSONObject) {
    state.withLock { state in (state.running.map(\.item), state.heap, state.history) }
  }

  func isPending(promptID: String) -> Bool {
    state.withLock { $0.heap.contains { $0.promptID == promptID } }
  }

  func history(promptID: String) -> JSONObject {
    state.withLock { state in
      guard let entry = state.history[promptID] else { return [:] }
      return [promptID: entry]
    }
  }

  func clearHistory() { state.withLock { $0.history = [:] } }

  func deleteHistory(promptID: String) { _ = state.withLock { $0.history.removeValue(forKey: promptID) } }
}

/// Python's `heapq` on an array, step for step, so items sit where the real server puts them.
enum Heap {
  static func push(_ heap: inout [QueueItem], _ item: QueueItem) {
    heap.append(item)
    siftDown(&heap, 0, heap.count - 1)
  }

  static func pop(_ heap: inout [QueueItem]) -> QueueItem {
    let last = heap.removeLast()
    guard !heap.isEmpty else { return last }
    let first = heap[0]
    heap[0] = last
    siftUp(&heap, 0)
    return first
  }

  static func heapify(_ heap: inout [QueueItem]) {
    for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftUp(&heap, i) }
  }

  private static func siftDown(_ heap: inout [QueueItem], _ start: Int, _ position: Int) {
    var pos = position
    let item = heap[pos]
    while pos > start {
      let parent = (pos - 1) >> 1
      if item < heap[parent] {
        heap[pos] = heap[parent]
        pos = parent
        continue
      }
      break
    }
    heap[pos] = item
  }

  private static func siftUp(_ heap: inout [QueueItem], _ position: Int) {
    var pos = position
    let end = heap.count
    let start = pos
    let item = heap[pos]
    var child = 2 * pos + 1
    while child < end {
      let right = child + 1
      if right < end && !(heap[child] < heap[right]) { child = right }
      heap[pos] = heap[child]
      pos = child
      child = 2 * pos + 1
    }
    heap[pos] = item
    siftDown(&heap, start, pos)
  }
}
