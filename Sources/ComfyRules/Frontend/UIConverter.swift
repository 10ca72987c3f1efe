import OrderedCollections
import Workflow

/// How `convertUIWorkflow` treats the values the browser rewrites while it builds the API prompt.
public struct UIConversionOptions: Sendable {
  /// Strip comments from and pick one option of each `{a|b}` in inputs marked `dynamicPrompts`
  /// (CLIPTextEncode's text…), as the browser does on every queue.
  public var processDynamicPrompts: Bool
  /// Replace `%date:…%` and `%Node.widget%` in save nodes' `filename_prefix` and in the values of
  /// PrimitiveNodes that ask for it.
  public var applyTextReplacements: Bool
  /// The random source for `{a|b}` choices, in [0, 1); nil uses the system generator.
  public var random: (@Sendable () -> Double)?
  /// The time for `%date:…%`; nil uses the local time now.
  public var now: LocalDateTime?

  public init(
    processDynamicPrompts: Bool = true, applyTextReplacements: Bool = true,
    random: (@Sendable () -> Double)? = nil,
    now: LocalDateTime? = nil
  ) {
    self.processDynamicPrompts = processDynamicPrompts
    self.applyTextReplacements = applyTextReplacements
    self.random = random
    self.now = now
  }
}

/// A converted UI workflow, with what the conversion noticed.
public struct UIConversion: Sendable {
  public var workflow: Workflow
  /// Node types the catalog does not know, each with the flattened ids of its nodes. They are kept
  /// (with their links, and their values under the widget names the file gives) so that the server
  /// reports them, as it would if the browser had sent them.
  public var unknownTypes: OrderedDictionary<String, [String]>
}

/// Converts a UI-format (LiteGraph) workflow to the API-format prompt the ComfyUI frontend 1.27.10
/// would send (`graphToPrompt` in executionUtil.ts), subgraphs and legacy group nodes included.
public func convertUIWorkflow(_ ui: JSONValue, catalog: Catalog) throws(WorkflowError) -> Workflow {
  try convertUIWorkflow(ui, catalog: catalog, options: UIConversionOptions())
}

public func convertUIWorkflow(
  _ ui: JSONValue, catalog: Catalog, options: UIConversionOptions
) throws(WorkflowError) -> Workflow {
  try convertUIWorkflowReporting(ui, catalog: catalog, options: options).workflow
}

public func convertUIWorkflowReporting(
  _ ui: JSONValue, catalog: Catalog, options: UIConversionOptions = UIConversionOptions()
) throws(WorkflowError) -> UIConversion {
  var page = try LiveWorkflow(ui, catalog: catalog)
  var converter = GraphToPrompt(options: options)
  return try converter.convert(&page)
}

/// An executable node (ExecutableNodeDTO): one node of one graph, at one subgraph path.
struct ExecutableNode {
  let id: String
  let graph: Int
  let node: Int
  /// The subgraph (or group) instances from the root to this node, as ids.
  let path: [String]
  /// The instance that contains this node: (its graph, its index there).
  let container: (graph: Int, node: Int)?
}

/// Where an input resolves to: an output of a node that is sent, or a promoted widget's value.
enum ResolvedInput {
  case link(String, Int)
  case widgetValue(JSONValue?)
}

struct GraphToPrompt {
  let options: UIConversionOptions
  var executables: OrderedDictionary<String, ExecutableNode> = [:]
  var now: LocalDateTime?

  init(options: UIConversionOptions) { self.options = options }

  mutating func convert(_ page: inout LiveWorkflow) throws(WorkflowError) -> UIConversion {
    let order = Self.executionOrder(page.graphs[0])
    // 1. Virtual nodes (PrimitiveNode) copy their value to the widgets they feed.
    for position in order {
      try applyPrimitives(&page, graph: 0, node: position, depth: 0)
    }
    // 2. graph.serialize(): each subgraph instance writes its promoted values into the definition.
    for graph in page.graphs.indices {
      for position in page.graphs[graph].nodes.indices {
        syncPromotedWidgets(&page, graph: graph, node: position)
      }
    }
    // 3. The executable nodes, subgraphs flattened, in execution order.
    for position in order {
      let node = page.graphs[0].nodes[position]
      if case .subgraph = node.kind {
        try addInner(page, graph: 0, node: position, path: [], container: nil, visited: [])
      } else if case .group = node.kind {
        try addInner(page, graph: 0, node: position, path: [], container: nil, visited: [])
      } else {
        executables[node.id] = ExecutableNode(id: node.id, graph: 0, node: position, path: [], container: nil)
      }
    }
    // 4. The prompt.
    var output = OrderedDictionary<String, (node: LiveNode, inputs: OrderedDictionary<String, JSONValue?>)>()
    var unknown = OrderedDictionary<String, [String]>()
    for executable in executables.values {
      let node = page.graphs[executable.graph].nodes[executable.node]
      if node.isVirtual || node.mode == NodeMode.never || node.mode == NodeMode.bypass { continue }
      var inputs = OrderedDictionary<String, JSONValue?>()
      if case .missing = node.kind {
        unknown[node.type, default: []].append(executable.id)
        // Values go under the widget names the file gives its inputs, in order.
        let names = node.inputs.compactMap(\.widgetName)
        for (position, value) in node.savedValues.enumerated() where position < names.count {
          inputs[names[position]] = Self.wrapped(value)
        }
      } else {
        for widget in node.widgets where !widget.name.isEmpty && widget.sent {
          inputs[widget.name] = Self.wrapped(serializeValue(widget, page: page))
        }
      }
      for slot in node.inputs.indices {
        var visited = Set<String>()
        switch try resolveInput(page, executable, slot: slot, type: nil, visited: &visited) {
        case nil: continue
        case .widgetValue(let value)?: inputs[node.inputs[slot].name] = Self.wrapped(value)
        case .link(let origin, let originSlot)?:
          inputs[node.inputs[slot].name] = .array([.string(origin), .int(originSlot)])
        }
      }
      output[executable.id] = (node, inputs)
    }
    // 5. Links to nodes that are not sent are dropped.
    var nodes = OrderedDictionary<String, Node>()
    for (id, entry) in output {
      var fields = JSONObject()
      var inputs = JSONObject()
      for (name, value) in entry.inputs {
        guard let value else { continue }
        if case .array(let pair) = value, pair.count == 2, let target = pair[0].stringValue,
          output[target] == nil
        {
          continue
        }
        inputs[name] = value
      }
      fields["inputs"] = .object(inputs)
      fields["class_type"] = .string(entry.node.comfyClass ?? entry.node.type)
      var meta = JSONObject()
      if let title = entry.node.title { meta["title"] = .string(title) }
      fields["_meta"] = .object(meta)
      nodes[id] = Node(id: id, fields: fields)
    }
    return UIConversion(workflow: Workflow(nodes: Self.javaScriptKeyOrder(nodes)), unknownTypes: unknown)
  }

  static func wrapped(_ value: JSONValue?) -> JSONValue? {
    if case .array? = value { return .object(["__value__": value ?? .null]) }
    return value
  }

  /// `widget.serializeValue` where an extension sets one, else the value.
  mutating func serializeValue(_ widget: LiveWidget, page: LiveWorkflow) -> JSONValue? {
    guard case .string(let text)? = widget.value else { return widget.value }
    switch widget.role {
    case .dynamicPrompt where options.processDynamicPrompts:
      let random: () -> Double = options.random ?? { Double.random(in: 0..<1) }
      return .string(FrontendText.processDynamicPrompt(text, random: random))
    case .filenamePrefix where options.applyTextReplacements:
      return .string(replacing(text, page: page))
    default:
      return widget.value
    }
  }

  mutating func replacing(_ text: String, page: LiveWorkflow) -> String {
    guard text.contains("%") else { return text }
    if now == nil { now = options.now ?? LocalDateTime.now() }
    let allNodes = Self.allNodes(page, graph: 0, depth: 0)
    return FrontendText.applyTextReplacements(text, now: now ?? LocalDateTime.now()) { name, widget in
      let byName = allNodes.filter { $0.properties["Node name for S&R"] == .string(name) }
      let matches = byName.isEmpty ? allNodes.filter { $0.title == name } : byName
      guard let node = matches.first else { return nil }
      guard let found = node.widgets.first(where: { $0.name == widget }) else { return nil }
      return .some(found.value)
    }
  }

  /// graphTraversalUtil.ts `collectAllNodes`: each subgraph's nodes before the subgraph node itself.
  static func allNodes(_ page: LiveWorkflow, graph: Int, depth: Int) -> [LiveNode] {
    var result: [LiveNode] = []
    for node in page.graphs[graph].nodes {
      if case .subgraph(let inner) = node.kind, depth < 64 {
        result += allNodes(page, graph: inner, depth: depth + 1)
      }
      result.append(node)
    }
    return result
  }

  // MARK: PrimitiveNode and promoted widgets

  mutating func applyPrimitives(
    _ page: inout LiveWorkflow, graph: Int, node position: Int, depth: Int
  )
    throws(WorkflowError)
  {
    let node = page.graphs[graph].nodes[position]
    switch node.kind {
    case .subgraph(let inner), .group(let inner):
      guard depth < 64 else { return }
      for innerPosition in page.graphs[inner].nodes.indices {
        try applyPrimitives(&page, graph: inner, node: innerPosition, depth: depth + 1)
      }
    case .primitive:
      guard let output = node.outputs.first, !output.links.isEmpty else { return }
      // widgetInputs.ts `applyToGraph`: the links are looked up in the root graph.
      let links = output.links.compactMap { page.graphs[0].links[$0] ?? page.graphs[graph].links[$0] }
      var value: JSONValue? = node.savedValues.first
      if value == nil, let first = links.first, let target = page.graphs[graph].node(first.targetID),
        first.targetSlot < target.inputs.count, let name = target.inputs[first.targetSlot].widgetName
      {
        value = target.widgets.first { $0.name == name }?.value
      }
      if UIValue.truthy(value), node.properties["Run widget replace on values"].map(UIValue.truthy) == true,
        options.applyTextReplacements
      {
        value = .string(replacing(UIValue.jsString(value), page: page))
      }
      for link in links {
        guard let targetIndex = page.graphs[graph].index[link.targetID] else { continue }
        let target = page.graphs[graph].nodes[targetIndex]
        guard link.targetSlot >= 0, link.targetSlot < target.inputs.count,
          let name = target.inputs[link.targetSlot].widgetName, let widget = target.widgetIndex(name)
        else { continue }
        page.graphs[graph].nodes[targetIndex].widgets[widget].value =
          WidgetCallback.apply(value, target.widgets[widget].spec)
      }
    default:
      return
    }
  }

  /// SubgraphNode.serialize: every widget connected to a promoted input takes the promoted value.
  func syncPromotedWidgets(_ page: inout LiveWorkflow, graph: Int, node position: Int) {
    let node = page.graphs[graph].nodes[position]
    guard case .subgraph(let inner) = node.kind else { return }
    for widget in node.widgets {
      guard let input = node.inputs.first(where: { $0.name == widget.name }),
        let subgraphInput = page.graphs[inner].source.inputs.first(where: { $0.name == input.name })
      else { continue }
      for linkID in subgraphInput.linkIDs {
        guard let link = page.graphs[inner].links[linkID],
          let targetIndex = page.graphs[inner].index[link.targetID]
        else { continue }
        let target = page.graphs[inner].nodes[targetIndex]
        guard link.targetSlot >= 0, link.targetSlot < target.inputs.count,
          let name = target.inputs[link.targetSlot].widgetName, let connected = target.widgetIndex(name)
        else { continue }
        page.graphs[inner].nodes[targetIndex].widgets[connected].value = widget.value
      }
    }
  }

  // MARK: Flattening

  /// SubgraphNode.getInnerNodes: the instance itself, then each node of its definition (nested
  /// instances expanded in place), with ids `outer:inner`.
  mutating func addInner(
    _ page: LiveWorkflow, graph: Int, node position: Int, path: [String], container: (graph: Int, node: Int)?,
    visited: Set<String>
  ) throws(WorkflowError) {
    let node = page.graphs[graph].nodes[position]
    let inner: Int
    switch node.kind {
    case .subgraph(let g), .group(let g): inner = g
    default: return
    }
    let key = "\(graph):\(node.id)"
    guard !visited.contains(key), path.count < 64 else {
      throw WorkflowError(
        "subgraph node \(node.id) (\"\(node.title ?? "")\") contains itself; a subgraph cannot be nested in itself"
      )
    }
    let id = (path + [node.id]).joined(separator: ":")
    executables[id] = ExecutableNode(id: id, graph: graph, node: position, path: path, container: container)
    let innerPath = path + [node.id]
    for (innerPosition, innerNode) in page.graphs[inner].nodes.enumerated() {
      switch innerNode.kind {
      case .subgraph, .group:
        try addInner(
          page, graph: inner, node: innerPosition, path: innerPath, container: (graph, position),
          visited: visited.union([key]))
      default:
        let innerID = (innerPath + [innerNode.id]).joined(separator: ":")
        executables[innerID] = ExecutableNode(
          id: innerID, graph: inner, node: innerPosition, path: innerPath, container: (graph, position))
      }
    }
  }

  // MARK: Resolving links (ExecutableNodeDTO.resolveInput / resolveOutput)

  func loop(_ node: LiveNode, _ executable: ExecutableNode) -> WorkflowError {
    WorkflowError(
      "the links through node \(executable.id)\(node.title.map { " (\"\($0)\")" } ?? "") form a loop; "
        + "a workflow's links cannot go in a circle")
  }

  func resolveInput(
    _ page: LiveWorkflow, _ executable: ExecutableNode, slot: Int, type: String?, visited: inout Set<String>
  ) throws(WorkflowError) -> ResolvedInput? {
    let graph = page.graphs[executable.graph]
    let node = graph.nodes[executable.node]
    guard visited.insert("\(graph.source.subgraphID ?? ""):\(executable.id)[I]\(slot)").inserted else {
      throw loop(node, executable)
    }
    guard slot >= 0, slot < node.inputs.count else {
      throw WorkflowError("node \(executable.id) has no input \(slot)")
    }
    let input = node.inputs[slot]
    guard let linkID = input.link else { return nil }
    guard let link = graph.links[linkID] else {
      throw WorkflowError(
        "node \(executable.id) input \(input.name.isEmpty ? String(slot) : input.name) uses link \(linkID), "
          + "which is not in the workflow's links")
    }
    if let container = executable.container, link.originIsIoNode {
      let instance = page.graphs[container.graph].nodes[container.node]
      guard link.originSlot >= 0, link.originSlot < instance.inputs.count else {
        throw WorkflowError(
          "subgraph node \(executable.path.joined(separator: ":")) has no input \(link.originSlot)")
      }
      let outerInput = instance.inputs[link.originSlot]
      guard let outerLinkID = outerInput.link else {
        guard let name = outerInput.widgetName,
          let widget = instance.widgets.first(where: { $0.name == name })
        else { return nil }
        return .widgetValue(widget.value)
      }
      guard let outerLink = page.graphs[container.graph].links[outerLinkID] else {
        throw WorkflowError(
          "subgraph node \(executable.path.joined(separator: ":")) input \(outerInput.name) uses link \(outerLinkID), "
            + "which is not in the workflow's links")
      }
      guard let outer = executables[executable.path.joined(separator: ":")] else { return nil }
      return try resolveInput(page, outer, slot: outerLink.targetSlot, type: nil, visited: &visited)
    }
    let originID = (executable.path + [link.originID]).joined(separator: ":")
    guard graph.index[link.originID] != nil, let origin = executables[originID] else {
      throw WorkflowError(
        "link \(linkID) into node \(executable.id) comes from node \(link.originID), which is not in the workflow"
      )
    }
    return try resolveOutput(page, origin, slot: link.originSlot, type: type ?? input.type, visited: &visited)
  }

  func resolveOutput(
    _ page: LiveWorkflow, _ executable: ExecutableNode, slot: Int, type: String, visited: inout Set<String>
  ) throws(WorkflowError) -> ResolvedInput? {
    let graph = page.graphs[executable.graph]
    let node = graph.nodes[executable.node]
    guard visited.insert("\(graph.source.subgraphID ?? ""):\(executable.id)[O]\(slot)").inserted else {
      throw loop(node, executable)
    }
    if node.mode == NodeMode.bypass {
      if case .group = node.kind {
        // ExecutableGroupNodeDTO: the same slot first, then any input of exactly that type.
        let candidates = [slot] + Array(node.inputs.indices)
        guard
          let match = candidates.first(where: {
            $0 >= 0 && $0 < node.inputs.count && node.inputs[$0].type == type
          })
        else { return nil }
        return try resolveInput(page, executable, slot: match, type: nil, visited: &visited)
      }
      guard let match = try bypassSlot(node, executable, slot: slot, type: type) else { return nil }
      // Inside a group node, a bypassed node does not reach the group's own inputs.
      if graph.isGroup, let linkID = node.inputs[match].link, graph.links[linkID]?.originIsIoNode == true {
        return nil
      }
      return try resolveInput(page, executable, slot: match, type: nil, visited: &visited)
    }
    switch node.kind {
    case .subgraph(let inner), .group(let inner):
      guard slot >= 0, slot < node.outputs.count else {
        throw WorkflowError("subgraph node \(executable.id) has no output \(slot)")
      }
      let definition = page.graphs[inner]
      guard slot < definition.source.outputs.count,
        let linkID = definition.source.outputs[slot].linkIDs.first, let link = definition.links[linkID]
      else { return nil }
      let innerID = (executable.path + [node.id, link.originID]).joined(separator: ":")
      guard let innerNode = executables[innerID] else {
        throw WorkflowError(
          "subgraph node \(executable.id) output \(slot) comes from node \(link.originID), which is not in it"
        )
      }
      return try resolveOutput(page, innerNode, slot: link.originSlot, type: type, visited: &visited)
    case .reroute, .primitive, .note:
      if slot >= 0, slot < node.inputs.count {
        return try resolveInput(page, executable, slot: slot, type: type, visited: &visited)
      }
      return nil
    case .known, .missing:
      return .link(executable.id, slot)
    }
  }

  /// ExecutableNodeDTO `#getBypassSlotIndex`: the input a bypassed node hands over for output `slot`.
  func bypassSlot(
    _ node: LiveNode, _ executable: ExecutableNode, slot: Int, type: String
  ) throws(WorkflowError)
    -> Int?
  {
    let inputs = node.inputs
    if type == "*" || type == "" {
      let index = inputs.count > slot ? slot : 0
      guard index < inputs.count else {
        throw WorkflowError("bypassed node \(executable.id) has no input to pass on to its output \(slot)")
      }
      return index
    }
    guard slot >= 0, slot < node.outputs.count else {
      throw WorkflowError("bypassed node \(executable.id) has no output \(slot)")
    }
    let outputType = node.outputs[slot].type
    if slot < inputs.count, Self.isValidConnection(inputs[slot].type, outputType),
      Self.isValidConnection(inputs[slot].type, type)
    {
      return slot
    }
    if let exact = inputs.firstIndex(where: { $0.type == type }) { return exact }
    return inputs.firstIndex {
      Self.isValidConnection($0.type, outputType) && Self.isValidConnection($0.type, type)
    }
  }

  /// LiteGraph.isValidConnection: `*` and "" match anything; otherwise case-insensitive, with
  /// comma-separated alternatives.
  static func isValidConnection(_ a: String, _ b: String) -> Bool {
    if a == "" || a == "*" || b == "" || b == "*" || a == b { return true }
    let x = a.lowercased()
    let y = b.lowercased()
    if !x.contains(",") && !y.contains(",") { return x == y }
    let left = x.split(separator: ",", omittingEmptySubsequences: false)
    let right = y.split(separator: ",", omittingEmptySubsequences: false)
    return left.contains { l in right.contains { $0 == l } }
  }

  // MARK: Order

  /// A JavaScript object lists integer-like keys first, ascending, then the others as inserted.
  static func javaScriptKeyOrder(_ nodes: OrderedDictionary<String, Node>) -> OrderedDictionary<String, Node>
  {
    let integers = nodes.keys.compactMap { key in arrayIndex(key).map { (key, $0) } }.sorted { $0.1 < $1.1 }
    var result = OrderedDictionary<String, Node>(minimumCapacity: nodes.count)
    for (key, _) in integers { result[key] = nodes[key] }
    for (key, node) in nodes where arrayIndex(key) == nil { result[key] = node }
    return result
  }

  static func arrayIndex(_ key: String) -> UInt32? {
    guard let value = UInt32(key), value != UInt32.max, String(value) == key else { return nil }
    return value
  }

  /// LGraph.computeExecutionOrder: nodes without linked inputs first, then each node once all its
  /// linked inputs are done; what remains (cycles) in JavaScript key order of their ids.
  static func executionOrder(_ graph: LiveGraph) -> [Int] {
    var remaining: [String: Int] = [:]
    var queue: [Int] = []
    var pending = OrderedDictionary<String, Int>()
    for (position, node) in graph.nodes.enumerated() {
      pending[node.id] = position
      let count = node.inputs.filter { $0.link != nil }.count
      if count == 0 { queue.append(position) } else { remaining[node.id] = count }
    }
    var order: [Int] = []
    var visitedLinks = Set<Int>()
    var head = 0
    while head < queue.count {
      let position = queue[head]
      head += 1
      order.append(position)
      pending.removeValue(forKey: graph.nodes[position].id)
      for output in graph.nodes[position].outputs {
        for linkID in output.links {
          guard let link = graph.links[linkID], !visitedLinks.contains(link.id) else { continue }
          visitedLinks.insert(link.id)
          guard let target = graph.index[link.targetID] else { continue }
          guard let count = remaining[link.targetID] else { continue }
          remaining[link.targetID] = count - 1
          if count - 1 == 0 { queue.append(target) }
        }
      }
    }
    let integers = pending.filter { arrayIndex($0.key) != nil }.sorted {
      (arrayIndex($0.key) ?? 0) < (arrayIndex($1.key) ?? 0)
    }
    let others = pending.filter { arrayIndex($0.key) == nil }
    return order + integers.map(\.value) + others.map(\.value)
  }
}
