import Workflow

/// The order nodes run in, as ComfyUI's `ExecutionList` decides it: outputs are added depth-first
/// (only through inputs whose source is not cached), a node becomes ready when its sources have
/// run, and among ready nodes output nodes go first, then nodes one or two links away from an
/// output ("UX-friendly" picking). Reproducing it keeps `executing` messages in ComfyUI's order.
struct ExecutionList {
  /// node id → its links (input name order) as (source node, socket).
  private let links: [String: [(source: String, socket: Int)]]
  private let isOutput: (String) -> Bool
  private let isAsync: (String) -> Bool
  private let isCached: (String) -> Bool

  /// Pending nodes in the order they were added (a Python dict's order); `pendingSet` for lookups.
  private var pending: [String] = []
  private var pendingSet: Set<String> = []
  private var blockCount: [String: Int] = [:]
  /// source → the nodes it blocks, in the order the links were added.
  private var blocking: [String: [String]] = [:]

  init(
    prompt: JSONObject, isOutput: @escaping (String) -> Bool, isAsync: @escaping (String) -> Bool,
    isCached: @escaping (String) -> Bool
  ) {
    var links: [String: [(String, Int)]] = [:]
    for (id, node) in prompt {
      var list: [(String, Int)] = []
      for (_, value) in node["inputs"]?.objectValue ?? [:] {
        if case .link(let source, let slot) = InputValue(stored: value) { list.append((source, slot)) }
      }
      links[id] = list
    }
    self.links = links
    self.isOutput = isOutput
    self.isAsync = isAsync
    self.isCached = isCached
  }

  var isEmpty: Bool { pending.isEmpty }

  mutating func addNode(_ id: String) {
    var stack = [id]
    var newLinks: [(String, String)] = []
    while let current = stack.popLast() {
      if pendingSet.contains(current) { continue }
      pending.append(current)
      pendingSet.insert(current)
      blockCount[current] = 0
      if blocking[current] == nil { blocking[current] = [] }
      for link in links[current] ?? [] {
        if !isCached(link.source) { stack.append(link.source) }
        newLinks.append((link.source, current))
      }
    }
    for (source, target) in newLinks where !isCached(source) {
      addNode(source)
      if !blocking[source, default: []].contains(target) {
        blocking[source, default: []].append(target)
        blockCount[target, default: 0] += 1
      }
    }
  }

  /// The next node to run, nil when nothing is ready (a cycle: the caller reports it).
  mutating func stage() -> String? {
    let ready = pending.filter { blockCount[$0, default: 0] == 0 }
    guard !ready.isEmpty else { return nil }
    if let node = ready.first(where: { isOutput($0) || isAsync($0) }) { return node }
    for node in ready where (blocking[node] ?? []).contains(where: isOutput) { return node }
    for node in ready {
      for next in blocking[node] ?? [] where (blocking[next] ?? []).contains(where: isOutput) { return node }
    }
    return ready[0]
  }

  mutating func complete(_ id: String) {
    pending.removeAll { $0 == id }
    pendingSet.remove(id)
    for target in blocking[id] ?? [] { blockCount[target, default: 0] -= 1 }
    blocking[id] = []
  }

  /// The pending nodes, for the cycle error.
  var pendingNodes: [String] { pending }
}
