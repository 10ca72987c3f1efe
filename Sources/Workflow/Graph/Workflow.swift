import OrderedCollections

/// What went wrong reading a workflow, in words a user can act on.
public struct WorkflowError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// An API-format prompt: nodes keyed by string id, in file order.
public struct Workflow: Sendable, Equatable {
  public var nodes: OrderedDictionary<String, Node>

  public init(nodes: OrderedDictionary<String, Node> = [:]) {
    self.nodes = nodes
  }

  public subscript(id: String) -> Node? {
    get { nodes[id] }
    set { nodes[id] = newValue }
  }

  public var isEmpty: Bool { nodes.isEmpty }
  public var count: Int { nodes.count }

  /// Reads an API-format prompt object (`{"3": {"class_type": …, "inputs": {…}}, …}`).
  public init(apiJSON value: JSONValue) throws(WorkflowError) {
    guard case .object(let members) = value else {
      throw WorkflowError("an API-format workflow is a JSON object of nodes, but this is \(value.typeName)")
    }
    for (id, raw) in members {
      guard case .object(let fields) = raw else {
        throw WorkflowError("node \(id) is \(raw.typeName), not an object with class_type and inputs")
      }
      // ComfyUI would only say that every input "is missing"; the cause is the shape.
      if let inputs = fields["inputs"], inputs.objectValue == nil {
        throw WorkflowError(
          "node \(id)'s inputs is \(inputs.typeName), not an object of NAME: VALUE (in API format, \"inputs\": {\"images\": [\"8\", 0]})"
        )
      }
    }
    // `mapValues` keeps the ids' hash table; making the dictionary from the ids hashed them all again.
    let ids = members.keys
    var position = 0
    self.nodes = members.mapValues { raw in
      defer { position += 1 }
      // Every member was checked to be an object above.
      guard case .object(let fields) = raw else { return Node(id: ids[position], fields: [:]) }
      return Node(id: ids[position], fields: fields)
    }
  }

  /// The prompt as JSON, nodes and fields in order.
  public var json: JSONValue {
    .object(nodes.mapValues { .object($0.fields) })
  }

  /// The next free numeric id: one more than the largest integer id (subgraph ids like `5:3` count as 5).
  public func nextNodeID() -> String {
    var largest = 0
    for id in nodes.keys {
      let head = id.split(separator: ":", maxSplits: 1).first.map(String.init) ?? id
      if let n = Int(head), n > largest { largest = n }
    }
    return String(largest + 1)
  }

  /// Every (consumer node, input) pair that links to `id`.
  public func consumers(of id: String) -> [(node: String, input: String, slot: Int)] {
    var result: [(String, String, Int)] = []
    for (nodeID, node) in nodes {
      for link in node.links where link.node == id { result.append((nodeID, link.input, link.slot)) }
    }
    return result
  }
}

extension Workflow {
  /// Every node that `id` depends on through links, directly or not.
  public func upstream(of id: String) -> Set<String> {
    var seen: Set<String> = []
    var stack = [id]
    while let current = stack.popLast() {
      guard let node = nodes[current] else { continue }
      for link in node.links where !seen.contains(link.node) {
        seen.insert(link.node)
        stack.append(link.node)
      }
    }
    return seen
  }
}
