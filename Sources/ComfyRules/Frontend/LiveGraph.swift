import OrderedCollections
import Workflow

/// LiteGraph's node modes that change what is sent.
enum NodeMode {
  static let never = 2
  static let bypass = 4
}

struct LiveInput {
  var name: String
  var type: String
  var link: Int?
  /// `input.widget.name`: the widget this input can replace.
  var widgetName: String?
}

struct LiveOutput {
  var name: String
  var type: String
  var links: [Int]
}

/// What a node is in the page once it is created.
enum LiveKind {
  /// A class of the server's catalog (registerNodeDef).
  case known(FrontendNodeDef)
  /// A type the catalog does not have: LiteGraph keeps an empty node with the saved slots.
  case missing
  /// Frontend-only nodes: never sent.
  case reroute, primitive, note
  /// An instance of a subgraph definition (index into `LiveWorkflow.graphs`).
  case subgraph(Int)
  /// A legacy group node (`workflow>NAME`): its inner nodes are a graph of their own, like a subgraph's.
  case group(Int)
}

/// A node as the page holds it after `LGraph.configure`: its slots, widgets and values.
struct LiveNode {
  var id: String
  var type: String
  var mode: Int
  /// nil is `undefined`: a node whose type is missing has no title.
  var title: String?
  var inputs: [LiveInput]
  var outputs: [LiveOutput]
  var widgets: [LiveWidget]
  var properties: JSONObject
  var kind: LiveKind
  /// The saved `widgets_values` (a PrimitiveNode's value lives there).
  var savedValues: [JSONValue]

  var isVirtual: Bool {
    switch kind {
    case .known, .missing: false
    case .reroute, .primitive, .note, .subgraph, .group: true
    }
  }

  var comfyClass: String? {
    if case .known(let def) = kind { return def.nodeClass.name }
    return nil
  }

  func widgetIndex(_ name: String) -> Int? { widgets.firstIndex { $0.name == name } }
}

/// One graph of the page: the root, or a subgraph definition shared by all its instances.
struct LiveGraph {
  var source: UIGraph
  var nodes: [LiveNode] = []
  var index: [String: Int] = [:]
  var links: [Int: UILink]
  /// The inner graph of a legacy group node type.
  var isGroup = false

  func node(_ id: String) -> LiveNode? { index[id].map { nodes[$0] } }
}

/// The whole workflow as the page holds it after `app.loadGraphData`.
struct LiveWorkflow {
  /// `graphs[0]` is the root; the others are subgraph definitions.
  var graphs: [LiveGraph] = []
  var subgraphIndex: [String: Int] = [:]
  var groupConfigs: [String: (config: GroupNodeConfig, graph: Int)] = [:]
  let catalog: Catalog
  private var defs: [String: FrontendNodeDef] = [:]
  private var configured: Set<Int> = []

  /// The node types only the frontend has.
  static let virtualKinds: [String: LiveKind] = [
    "Reroute": .reroute, "PrimitiveNode": .primitive, "Note": .note, "MarkdownNote": .note,
  ]

  init(_ ui: JSONValue, catalog: Catalog) throws(WorkflowError) {
    self.catalog = catalog
    guard case .object(let root) = ui else {
      throw WorkflowError("a UI-format workflow is an object with a \"nodes\" list")
    }
    graphs.append(LiveGraph(source: try UIGraph(root, subgraphID: nil), links: [:]))
    for raw in root["definitions"]?["subgraphs"]?.arrayValue ?? [] {
      guard case .object(let object) = raw, let id = object["id"]?.stringValue else { continue }
      subgraphIndex[id] = graphs.count
      graphs.append(LiveGraph(source: try UIGraph(object, subgraphID: id), links: [:]))
    }
    for (name, data) in root["extra"]?["groupNodes"]?.objectValue ?? [:] {
      let config = GroupNodeConfig(name: name, data: data, catalog: catalog)
      var graph = LiveGraph(
        source: try UIGraph(config.definition, subgraphID: "workflow>" + name), links: [:])
      graph.isGroup = true
      groupConfigs["workflow>" + name] = (config, graphs.count)
      groupConfigs["workflow/" + name] = (config, graphs.count)
      graphs.append(graph)
    }
    // Subgraph definitions are configured before the root's nodes (LGraph.configure).
    for position in graphs.indices.dropFirst() { try configure(graph: position, depth: 0) }
    try configure(graph: 0, depth: 0)
    // app.ts `fixLinkInputSlots`: every link's target slot is the index of the input holding it.
    for position in graphs.indices {
      for node in graphs[position].nodes {
        for (slot, input) in node.inputs.enumerated() {
          if let link = input.link { graphs[position].links[link]?.targetSlot = slot }
        }
      }
    }
  }

  private mutating func configure(graph position: Int, depth: Int) throws(WorkflowError) {
    guard configured.insert(position).inserted else { return }
    guard depth < 64 else {
      throw WorkflowError("subgraphs are nested more than 64 deep (or contain themselves)")
    }
    graphs[position].links = graphs[position].source.links
    for (order, data) in graphs[position].source.nodes.enumerated() {
      let node = try makeNode(data, order: order, depth: depth)
      if graphs[position].index[node.id] != nil {
        let place = position == 0 ? "" : " in subgraph \"\(graphs[position].source.name)\""
        throw WorkflowError("two nodes\(place) have the id \(node.id); node ids must be unique")
      }
      graphs[position].index[node.id] = graphs[position].nodes.count
      graphs[position].nodes.append(node)
    }
  }

  private mutating func def(_ nodeClass: NodeClass) -> FrontendNodeDef {
    if let def = defs[nodeClass.name] { return def }
    let def = FrontendNodeDef(nodeClass)
    defs[nodeClass.name] = def
    return def
  }

  private mutating func makeNode(_ data: JSONObject, order: Int, depth: Int) throws(WorkflowError) -> LiveNode
  {
    guard let id = UIValue.id(data["id"]) else {
      throw WorkflowError("node \(order + 1) in \"nodes\" has no id")
    }
    guard var type = data["type"]?.stringValue, !type.isEmpty else {
      throw WorkflowError("node \(id) has no type (its class name)")
    }
    // app.ts loadGraphData: renamed classes.
    switch type {
    case "T2IAdapterLoader": type = "ControlNetLoader"
    case "ConditioningAverage ": type = "ConditioningAverage"
    case "SDV_img2vid_Conditioning": type = "SVD_img2vid_Conditioning"
    default: break
    }
    let savedInputs: [LiveInput] = (data["inputs"]?.arrayValue ?? []).map { slot in
      LiveInput(
        name: slot["name"]?.stringValue ?? "", type: UIValue.type(slot["type"]),
        link: UIValue.int(slot["link"]),
        widgetName: slot["widget"]?["name"]?.stringValue)
    }
    let savedOutputs: [LiveOutput] = (data["outputs"]?.arrayValue ?? []).map { slot in
      LiveOutput(
        name: slot["name"]?.stringValue ?? "", type: UIValue.type(slot["type"]),
        links: (slot["links"]?.arrayValue ?? []).compactMap { UIValue.int($0) })
    }
    let savedValues = data["widgets_values"]?.arrayValue ?? []
    let titleGiven = UIValue.truthy(data["title"]) ? UIValue.jsString(data["title"]) : nil
    var node = LiveNode(
      id: id, type: type, mode: UIValue.int(data["mode"]) ?? 0, title: titleGiven, inputs: savedInputs,
      outputs: savedOutputs, widgets: [], properties: [:], kind: .missing, savedValues: savedValues)

    if let virtual = Self.virtualKinds[type] {
      node.kind = virtual
      node.title = titleGiven ?? type
    } else if let sub = subgraphIndex[type] {
      try configure(graph: sub, depth: depth + 1)
      node.kind = .subgraph(sub)
      configureSubgraphNode(&node, graph: sub, titleGiven: titleGiven)
    } else if let group = groupConfigs[type] {
      try configure(graph: group.graph, depth: depth + 1)
      node.kind = .group(group.graph)
      configureGroupNode(&node, group.config, graph: group.graph, titleGiven: titleGiven)
    } else if let nodeClass = catalog[className: type] {
      let def = def(nodeClass)
      node.kind = .known(def)
      configureKnownNode(&node, def: def, titleGiven: titleGiven)
    } else {
      // errorNodeWidgets.ts: one "UNKNOWN" widget per saved value.
      node.widgets = savedValues.map { value in
        switch value {
        case .string, .number, .bool: LiveWidget(name: "UNKNOWN", value: value)
        default: LiveWidget(name: "UNKNOWN", value: .string(value.serialized()))
        }
      }
    }
    for (key, value) in data["properties"]?.objectValue ?? [:] { node.properties[key] = value }
    return node
  }

  /// ComfyNode.configure: the definition's slots, each taking the saved link of the same name; extra
  /// saved inputs appended; widgets filled in order from the (migrated) `widgets_values`.
  private func configureKnownNode(_ node: inout LiveNode, def: FrontendNodeDef, titleGiven: String?) {
    let saved = node.inputs
    let defined = Set(def.inputs.map(\.name))
    node.inputs = def.inputs.map { slot in
      LiveInput(
        name: slot.name, type: slot.type, link: saved.first { $0.name == slot.name }?.link,
        widgetName: slot.widgetName)
    }
    node.inputs += saved.filter { !defined.contains($0.name) }
    let savedOutputs = node.outputs
    var outputs: [LiveOutput] = []
    for (position, spec) in def.nodeClass.outputs.enumerated() {
      outputs.append(
        LiveOutput(
          name: spec.name, type: spec.type,
          links: position < savedOutputs.count ? savedOutputs[position].links : []))
    }
    if savedOutputs.count > outputs.count { outputs += savedOutputs[outputs.count...] }
    node.outputs = outputs
    node.widgets = def.widgets
    assign(def.migrate(node.savedValues), to: &node.widgets)
    if node.type == "KSampler" || node.type == "KSamplerAdvanced",
      let i = node.widgetIndex("sampler_name"), case .string(let name)? = node.widgets[i].value,
      name.hasPrefix("sample_")
    {
      node.widgets[i].value = .string(String(name.dropFirst(7)))
    }
    node.title = titleGiven ?? def.title
    if !FrontendNodeDef.saveNodeTypes.contains(def.nodeClass.name) {
      node.properties["Node name for S&R"] = .string(def.nodeClass.name)
    }
  }

  /// SubgraphNode.configure: the definition's inputs overwritten slot by slot with the saved ones, then
  /// a promoted widget for each input whose first inner link ends at a widget.
  private func configureSubgraphNode(_ node: inout LiveNode, graph position: Int, titleGiven: String?) {
    let def = graphs[position]
    var inputs = def.source.inputs.map { LiveInput(name: $0.name, type: $0.type, link: nil, widgetName: nil) }
    for (slot, input) in node.inputs.enumerated() {
      if slot < inputs.count { inputs[slot] = input } else { inputs.append(input) }
    }
    var outputs = def.source.outputs.map { LiveOutput(name: $0.name, type: $0.type, links: []) }
    for (slot, output) in node.outputs.enumerated() {
      if slot < outputs.count { outputs[slot] = output } else { outputs.append(output) }
    }
    node.inputs = inputs
    node.outputs = outputs
    var widgets: [LiveWidget] = []
    for position in node.inputs.indices {
      let name = node.inputs[position].name
      guard let subgraphInput = def.source.inputs.first(where: { $0.name == name }) else { continue }
      for linkID in subgraphInput.linkIDs {
        guard let link = def.links[linkID], let inner = def.node(link.targetID),
          link.targetSlot >= 0, link.targetSlot < inner.inputs.count,
          let widgetName = inner.inputs[link.targetSlot].widgetName,
          let widget = inner.widgets.first(where: { $0.name == widgetName })
        else { continue }
        var promoted = widget
        promoted.name = subgraphInput.name
        widgets.append(promoted)
        node.inputs[position].widgetName = subgraphInput.name
        break
      }
    }
    node.widgets = widgets
    assign(node.savedValues, to: &node.widgets)
    node.title = titleGiven ?? def.source.name
  }

  /// A group node is registered like a class whose inputs are the group's: linked by name, with one
  /// widget per inner widget it exposes (and a control after a seed).
  private func configureGroupNode(
    _ node: inout LiveNode, _ config: GroupNodeConfig, graph position: Int, titleGiven: String?
  ) {
    let saved = node.inputs
    node.inputs = config.inputs.map { input in
      LiveInput(
        name: input.name, type: input.type, link: saved.first { $0.name == input.name }?.link,
        widgetName: input.widget == nil ? nil : input.name)
    }
    node.inputs += saved.filter { slot in !config.inputs.contains { $0.name == slot.name } }
    let def = graphs[position]
    var outputs = def.source.outputs.map { LiveOutput(name: $0.name, type: $0.type, links: []) }
    for (slot, output) in node.outputs.enumerated() where slot < outputs.count {
      outputs[slot].links = output.links
    }
    node.outputs = outputs
    var widgets: [LiveWidget] = []
    for input in config.inputs {
      guard let (index, name) = input.widget, let inner = def.node(String(index)),
        var widget = inner.widgets.first(where: { $0.name == name })
      else { continue }
      widget.name = input.name
      widgets.append(widget)
      if config.controls.contains(input.name) {
        widgets.append(LiveWidget(name: "control_after_generate", value: "randomize", sent: false))
      }
    }
    node.widgets = widgets
    assign(node.savedValues, to: &node.widgets)
    node.title = titleGiven ?? config.name
  }

  /// LGraphNode.configure: saved values go in order to the widgets that take one.
  func assign(_ values: [JSONValue], to widgets: inout [LiveWidget]) {
    let slots = widgets.indices.filter { widgets[$0].takesValue }
    for (position, value) in values.enumerated() where position < slots.count {
      widgets[slots[position]].value = value
    }
  }
}
