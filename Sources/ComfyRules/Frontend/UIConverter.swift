import OrderedCollections
import Workflow

/// How `convertUIWorkflow` treats the values the browser rewrites while it builds the API prompt.
public struct UIConversionOptions: Sendable {
  /// Strip comments from and pick one option of each `{a|b}` in inputs marked `dynamicPrompts`
  /// (CLIPTextEncode's text…), as the browser does on every queue.
  public var processDynamicPrompts: Bool
  /// Replace `%date:…%` and `%Node.widget%` in the `filename_prefix` of save nodes.
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

/// Converts a UI-format (LiteGraph) workflow to the API-format prompt the ComfyUI frontend 1.27.10
/// would send (`graphToPrompt` in executionUtil.ts).
///
/// Positional `widgets_values` are matched to the class's widget inputs in catalog order, skipping the
/// values only the UI keeps (a seed's "randomize", LoadImage's upload button); links become
/// `["id", slot]`; Note/Reroute/PrimitiveNode are resolved away; bypassed nodes (mode 4) pass their
/// first input of the wanted type through; muted nodes (mode 2) are dropped with the links into them.
/// Subgraphs are not converted yet: a workflow that uses one is an error that says so.
public func convertUIWorkflow(_ ui: JSONValue, catalog: Catalog) throws(WorkflowError) -> Workflow {
  try convertUIWorkflow(ui, catalog: catalog, options: UIConversionOptions())
}

public func convertUIWorkflow(
  _ ui: JSONValue, catalog: Catalog, options: UIConversionOptions
) throws(WorkflowError) -> Workflow {
  var converter = try UIConverter(ui, catalog: catalog, options: options)
  return try converter.convert()
}

/// LiteGraph's node modes that change what is sent.
enum NodeMode {
  static let never = 2
  static let bypass = 4
}

struct UISlot {
  var name: String
  var type: String
  var link: Int?
  var widgetName: String?
}

struct UIOutputSlot {
  var name: String
  var type: String
  var links: [Int]
}

struct UINode {
  var id: String
  var type: String
  var mode: Int
  var title: String?
  var inputs: [UISlot]
  var outputs: [UIOutputSlot]
  var widgetsValues: JSONValue?
  var properties: JSONObject
}

struct UILink {
  var id: Int
  var originID: String
  var originSlot: Int
  var targetID: String
  var targetSlot: Int
  var type: String
}

/// Where an input's link ends up after reroutes and bypasses: a real node's output.
struct ResolvedOrigin {
  var nodeID: String
  var slot: Int
}

struct UIConverter {
  let catalog: Catalog
  let options: UIConversionOptions
  var nodes: [UINode] = []
  var nodeIndex: [String: Int] = [:]
  var links: [Int: UILink] = [:]
  /// Widget values per node id, after PrimitiveNode values were applied.
  var widgetValues: [String: OrderedDictionary<String, JSONValue>] = [:]

  static let virtualTypes: Set<String> = ["Note", "MarkdownNote", "Reroute", "PrimitiveNode"]
  static let saveNodeTypes: Set<String> = [
    "SaveImage", "SaveVideo", "SaveAnimatedWEBP", "SaveWEBM", "SaveAudio", "SaveGLB", "SaveAnimatedPNG",
    "CLIPSave", "VAESave", "ModelSave", "LoraSave", "SaveLatent",
  ]
  /// The values LiteGraph's seed control can hold.
  static let controlModes: Set<String> = ["fixed", "increment", "decrement", "randomize", "increment-wrap"]

  init(_ ui: JSONValue, catalog: Catalog, options: UIConversionOptions) throws(WorkflowError) {
    self.catalog = catalog
    self.options = options
    guard case .object(let root) = ui, case .array(let rawNodes)? = root["nodes"] else {
      throw WorkflowError("a UI-format workflow is an object with a \"nodes\" list")
    }
    let subgraphIDs = Set(
      (root["definitions"]?["subgraphs"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
    for (position, raw) in rawNodes.enumerated() {
      guard case .object(let fields) = raw else {
        throw WorkflowError("entry \(position) of \"nodes\" is \(raw.typeName), not a node object")
      }
      let node = try Self.node(fields, position: position)
      if subgraphIDs.contains(node.type) {
        throw WorkflowError(
          "node \(node.id) (\"\(node.title ?? "subgraph")\") is a subgraph; converting subgraphs is not supported yet. "
            + "In ComfyUI, unpack it (right-click → Unpack Subgraph) or use \"Export (API)\"")
      }
      if node.type.hasPrefix("workflow>") || node.type.hasPrefix("workflow/") {
        throw WorkflowError(
          "node \(node.id) is a group node (\(node.type)); group nodes are not converted. "
            + "In ComfyUI, convert it to nodes or use \"Export (API)\"")
      }
      if nodeIndex[node.id] != nil {
        throw WorkflowError("two nodes have the id \(node.id); node ids must be unique")
      }
      nodeIndex[node.id] = nodes.count
      nodes.append(node)
    }
    for raw in root["links"]?.arrayValue ?? [] {
      if let link = Self.link(raw) { links[link.id] = link }
    }
  }

  // MARK: Reading the UI JSON

  /// A JavaScript-style id: numbers as `String(n)`, strings as they are.
  static func idText(_ value: JSONValue?) -> String? {
    switch value {
    case .number(let n)?:
      if let i = n.int64Value { return String(i) }
      return JSNumber.text(n.doubleValue)
    case .string(let s)?:
      return s
    default:
      return nil
    }
  }

  static func int(_ value: JSONValue?) -> Int? {
    guard case .number(let n)? = value else { return nil }
    if let i = n.int64Value { return Int(exactly: i) }
    let d = n.doubleValue
    return d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
  }

  /// LiteGraph slot types are strings, or numbers for legacy event slots; `*` when missing.
  static func typeText(_ value: JSONValue?) -> String {
    switch value {
    case .string(let s)?: s
    case .number(let n)?: n.text
    case nil, .null?: "*"
    default: value?.serialized() ?? "*"
    }
  }

  static func node(_ fields: JSONObject, position: Int) throws(WorkflowError) -> UINode {
    guard let id = idText(fields["id"]) else {
      throw WorkflowError("node \(position + 1) in \"nodes\" has no id")
    }
    guard let type = fields["type"]?.stringValue, !type.isEmpty else {
      throw WorkflowError("node \(id) has no type (its class name)")
    }
    let inputs: [UISlot] = (fields["inputs"]?.arrayValue ?? []).map { slot in
      UISlot(
        name: slot["name"]?.stringValue ?? "", type: typeText(slot["type"]), link: int(slot["link"]),
        widgetName: slot["widget"]?["name"]?.stringValue)
    }
    let outputs: [UIOutputSlot] = (fields["outputs"]?.arrayValue ?? []).map { slot in
      UIOutputSlot(
        name: slot["name"]?.stringValue ?? "", type: typeText(slot["type"]),
        links: (slot["links"]?.arrayValue ?? []).compactMap { int($0) })
    }
    return UINode(
      id: id, type: type, mode: int(fields["mode"]) ?? 0, title: fields["title"]?.stringValue, inputs: inputs,
      outputs: outputs, widgetsValues: fields["widgets_values"],
      properties: fields["properties"]?.objectValue ?? [:])
  }

  /// `[id, origin_id, origin_slot, target_id, target_slot, type]`, or the same as an object.
  static func link(_ raw: JSONValue) -> UILink? {
    switch raw {
    case .array(let a) where a.count >= 5:
      guard let id = int(a[0]), let origin = idText(a[1]), let originSlot = int(a[2]),
        let target = idText(a[3]),
        let targetSlot = int(a[4])
      else { return nil }
      return UILink(
        id: id, originID: origin, originSlot: originSlot, targetID: target, targetSlot: targetSlot,
        type: a.count > 5 ? typeText(a[5]) : "*")
    case .object(let o):
      guard let id = int(o["id"]), let origin = idText(o["origin_id"]),
        let originSlot = int(o["origin_slot"]),
        let target = idText(o["target_id"]), let targetSlot = int(o["target_slot"])
      else { return nil }
      return UILink(
        id: id, originID: origin, originSlot: originSlot, targetID: target, targetSlot: targetSlot,
        type: typeText(o["type"]))
    default:
      return nil
    }
  }

  // MARK: Conversion

  mutating func convert() throws(WorkflowError) -> Workflow {
    for node in nodes where !Self.virtualTypes.contains(node.type) {
      guard let nodeClass = catalog[className: node.type] else {
        var message = "node \(node.id) is a \(node.type), which this server does not have"
        let close = catalog.suggestions(for: node.type)
        if !close.isEmpty { message += " (did you mean \(close.joined(separator: ", "))?)" }
        throw WorkflowError(message + "; install the custom node, or remove the node from the workflow")
      }
      widgetValues[node.id] = Self.widgetValues(of: node, nodeClass)
    }
    applyPrimitiveNodes()

    var output = OrderedDictionary<String, Node>()
    var now: LocalDateTime?
    for position in executionOrder() {
      let node = nodes[position]
      if Self.virtualTypes.contains(node.type) || node.mode == NodeMode.never || node.mode == NodeMode.bypass
      {
        continue
      }
      guard let nodeClass = catalog[className: node.type] else { continue }
      var inputs = JSONObject()
      for (name, value) in widgetValues[node.id] ?? [:] {
        var value = value
        let spec = nodeClass.input(named: name)
        if options.processDynamicPrompts, spec?.options["dynamicPrompts"]?.boolValue == true,
          case .string(let text) = value
        {
          let random: () -> Double = options.random ?? { Double.random(in: 0..<1) }
          value = .string(FrontendText.processDynamicPrompt(text, random: random))
        }
        if options.applyTextReplacements, name == "filename_prefix", Self.saveNodeTypes.contains(node.type),
          case .string(let text) = value, text.contains("%")
        {
          if now == nil { now = options.now ?? LocalDateTime.now() }
          value = .string(
            FrontendText.applyTextReplacements(text, now: now ?? LocalDateTime.now()) { nodeName, widget in
              self.widgetValue(nodeNamed: nodeName, widget: widget)
            })
        }
        if case .array = value { value = .object(["__value__": value]) }
        inputs[name] = value
      }
      for slot in node.inputs.indices {
        var visited = Set<String>()
        guard let origin = try resolveInput(node: node, slot: slot, type: nil, visited: &visited) else {
          continue
        }
        inputs[node.inputs[slot].name] = .array([.string(origin.nodeID), .int(origin.slot)])
      }
      let title = node.title ?? nodeClass.displayName
      output[node.id] = Node(id: node.id, classType: node.type, title: title, inputs: inputs)
    }

    // Links into nodes that were not sent (muted ones) are dropped, as the frontend does.
    for id in output.keys {
      guard var node = output[id] else { continue }
      var inputs = node.inputs
      let dangling = inputs.filter { _, value in
        if case .array(let pair) = value, pair.count == 2, let target = pair[0].stringValue {
          return output[target] == nil
        }
        return false
      }
      guard !dangling.isEmpty else { continue }
      for name in dangling.keys { inputs.removeValue(forKey: name) }
      node.inputs = inputs
      output[id] = node
    }
    return Workflow(nodes: Self.javaScriptKeyOrder(output))
  }

  /// A JavaScript object lists integer-like keys first, ascending, then the others as inserted.
  static func javaScriptKeyOrder(_ nodes: OrderedDictionary<String, Node>) -> OrderedDictionary<String, Node>
  {
    func arrayIndex(_ key: String) -> UInt32? {
      guard let value = UInt32(key), value != UInt32.max, String(value) == key else { return nil }
      return value
    }
    let integers = nodes.keys.compactMap { key in arrayIndex(key).map { (key, $0) } }.sorted { $0.1 < $1.1 }
    var result = OrderedDictionary<String, Node>(minimumCapacity: nodes.count)
    for (key, _) in integers { result[key] = nodes[key] }
    for (key, node) in nodes where arrayIndex(key) == nil { result[key] = node }
    return result
  }

  /// The widget values of a node by input name, in the class's widget order; values only the UI keeps
  /// (seed control modes, upload buttons) are skipped; missing values take the input's default.
  static func widgetValues(of node: UINode, _ nodeClass: NodeClass) -> OrderedDictionary<String, JSONValue> {
    let widgets = nodeClass.widgetInputs
    var result = OrderedDictionary<String, JSONValue>()
    if case .object(let byName)? = node.widgetsValues {
      for spec in widgets {
        if let value = byName[spec.name] ?? spec.defaultValue { result[spec.name] = value }
      }
      return result
    }
    let values = node.widgetsValues?.arrayValue ?? []
    let expected = widgets.reduce(0) { count, spec in
      count + 1 + (spec.controlAfterGenerate ? (spec.combo != nil ? 2 : 1) : 0)
    }
    var extra = max(0, values.count - expected)
    var i = 0
    for spec in widgets {
      if i < values.count {
        result[spec.name] = values[i]
        i += 1
      } else if let value = spec.defaultValue {
        result[spec.name] = value
      } else {
        // What a fresh widget holds: the first choice, 0, false or empty text.
        switch spec.kind {
        case .combo(let combo): if let first = combo.options.first { result[spec.name] = first }
        case .int, .float: result[spec.name] = 0
        case .boolean: result[spec.name] = false
        case .string: result[spec.name] = ""
        case .link: break
        }
      }
      if spec.controlAfterGenerate, i < values.count, let mode = values[i].stringValue,
        controlModes.contains(mode)
      {
        i += 1
        if spec.combo != nil, i < values.count, case .string = values[i] { i += 1 }
      }
      // An upload button right after its combo (older layouts) holds "image", "audio", "video" or "file".
      if spec.isUpload, extra > 0, i < values.count, let button = values[i].stringValue,
        ["image", "audio", "video", "file"].contains(button)
      {
        i += 1
        extra -= 1
      }
    }
    return result
  }

  /// PrimitiveNode's `applyToGraph`: its value replaces the widget it feeds on every linked node,
  /// rounded the way the target widget's callback rounds.
  mutating func applyPrimitiveNodes() {
    for node in nodes where node.type == "PrimitiveNode" {
      guard let value = node.widgetsValues?.arrayValue?.first, let output = node.outputs.first else {
        continue
      }
      for linkID in output.links {
        guard let link = links[linkID], let targetIndex = nodeIndex[link.targetID] else { continue }
        let target = nodes[targetIndex]
        guard link.targetSlot < target.inputs.count, let widget = target.inputs[link.targetSlot].widgetName,
          widgetValues[target.id]?[widget] != nil
        else { continue }
        let spec = catalog[className: target.type]?.input(named: widget)
        widgetValues[target.id]?[widget] = spec.map { Self.widgetCallback(value, $0) } ?? value
      }
    }
  }

  /// What a number widget's callback makes of a value set from outside: FLOAT rounds to `round` (or
  /// 10^-precision of its step) and clamps; INT rounds to its step.
  static func widgetCallback(_ value: JSONValue, _ spec: InputSpec) -> JSONValue {
    guard case .number(let n) = value else { return value }
    let v = n.doubleValue
    switch spec.kind {
    case .float:
      let step = spec.step?.doubleValue ?? 0.5
      let precision = max(0, -Int((log10Value(step)).rounded(.down)))
      let round = spec.options["round"]?.numberValue?.doubleValue ?? (precision > 0 ? pow10(-precision) : 0)
      guard round > 0 else { return value }
      let roundPrecision = precision
      var rounded = (v / round).rounded(.toNearestOrAwayFromZero) * round
      rounded = (rounded * pow10(roundPrecision)).rounded(.toNearestOrAwayFromZero) / pow10(roundPrecision)
      let lo = spec.min?.doubleValue ?? 0
      let hi = spec.max?.doubleValue ?? 2048
      rounded = Swift.min(Swift.max(rounded, lo), hi)
      return rounded == v ? value : .number(JSONNumber(uncheckedText: JSNumber.text(rounded)))
    case .int:
      guard v != v.rounded() else { return value }
      return .number(JSONNumber(uncheckedText: JSNumber.text(v.rounded(.toNearestOrAwayFromZero))))
    default:
      return value
    }
  }

  static func pow10(_ e: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(e) { result *= 10 }
    return e < 0 ? 1 / result : result
  }

  static func log10Value(_ x: Double) -> Double {
    // Enough for step sizes: count decades.
    guard x > 0 else { return 0 }
    var e = 0.0
    var y = x
    while y >= 10 { y /= 10; e += 1 }
    while y < 1 { y *= 10; e -= 1 }
    return e
  }

  /// `%Node.widget%`: the first node whose "Node name for S&R" property is `name`, else whose title is.
  func widgetValue(nodeNamed name: String, widget: String) -> JSONValue?? {
    var candidates = nodes.filter { $0.properties["Node name for S&R"]?.stringValue == name }
    if candidates.isEmpty {
      candidates = nodes.filter { ($0.title ?? catalog[className: $0.type]?.displayName ?? $0.type) == name }
    }
    guard let node = candidates.first, let values = widgetValues[node.id], let value = values[widget] else {
      return nil
    }
    return .some(value)
  }

  /// LiteGraph's `computeExecutionOrder`: nodes without connected inputs first, then each node once all
  /// its linked inputs are done; what remains (cycles) at the end.
  func executionOrder() -> [Int] {
    var remaining: [String: Int] = [:]
    var queue: [Int] = []
    for (position, node) in nodes.enumerated() {
      let count = node.inputs.filter { $0.link != nil }.count
      if count == 0 { queue.append(position) } else { remaining[node.id] = count }
    }
    var order: [Int] = []
    var done = Set<Int>()
    var visitedLinks = Set<Int>()
    var head = 0
    while head < queue.count {
      let position = queue[head]
      head += 1
      order.append(position)
      done.insert(position)
      for output in nodes[position].outputs {
        for linkID in output.links where !visitedLinks.contains(linkID) {
          guard let link = links[linkID] else { continue }
          visitedLinks.insert(linkID)
          guard let target = nodeIndex[link.targetID], let count = remaining[link.targetID] else { continue }
          remaining[link.targetID] = count - 1
          if count - 1 == 0 { queue.append(target) }
        }
      }
    }
    let rest = nodes.indices.filter { !done.contains($0) }.sorted {
      (Int(nodes[$0].id) ?? Int.max, $0) < (Int(nodes[$1].id) ?? Int.max, $1)
    }
    return order + rest
  }

  /// ExecutableNodeDTO.resolveInput: follows the input's link to the node that really produces it.
  func resolveInput(
    node: UINode, slot: Int, type: String?, visited: inout Set<String>
  ) throws(WorkflowError)
    -> ResolvedOrigin?
  {
    guard visited.insert("\(node.id)[I]\(slot)").inserted else {
      throw WorkflowError(
        "the links through node \(node.id) form a loop; a workflow's links cannot go in a circle")
    }
    guard slot < node.inputs.count else { return nil }
    let input = node.inputs[slot]
    guard let linkID = input.link else { return nil }
    guard let link = links[linkID] else {
      throw WorkflowError(
        "node \(node.id) input \(input.name.isEmpty ? String(slot) : input.name) uses link \(linkID), which is not in \"links\""
      )
    }
    guard let originIndex = nodeIndex[link.originID] else {
      throw WorkflowError(
        "link \(linkID) into node \(node.id) comes from node \(link.originID), which is not in the workflow")
    }
    return try resolveOutput(
      node: nodes[originIndex], slot: link.originSlot, type: type ?? input.type, visited: &visited)
  }

  /// ExecutableNodeDTO.resolveOutput: a bypassed node hands over its input of the same type (the same
  /// slot first); a virtual node (Reroute) its input at the same slot; anything else is the origin.
  func resolveOutput(
    node: UINode, slot: Int, type: String, visited: inout Set<String>
  ) throws(WorkflowError)
    -> ResolvedOrigin?
  {
    guard visited.insert("\(node.id)[O]\(slot)").inserted else {
      throw WorkflowError(
        "the links through node \(node.id) form a loop; a workflow's links cannot go in a circle")
    }
    if node.mode == NodeMode.bypass {
      let candidates = [slot] + Array(node.inputs.indices)
      guard
        let match = candidates.first(where: {
          $0 >= 0 && $0 < node.inputs.count && node.inputs[$0].type == type
        })
      else { return nil }
      return try resolveInput(node: node, slot: match, type: nil, visited: &visited)
    }
    if Self.virtualTypes.contains(node.type) {
      if slot < node.inputs.count {
        return try resolveInput(node: node, slot: slot, type: type, visited: &visited)
      }
      return nil
    }
    return ResolvedOrigin(nodeID: node.id, slot: slot)
  }
}
