import ComfyClient
import ComfyRules
import Workflow

/// What `explain` says: a class, a node, an input or the last error, in words that teach the API format.
@MainActor
enum ExplainWords {
  // MARK: - Classes

  static func nodeClass(_ nodeClass: NodeClass, catalog: Catalog) -> [String] {
    var lines = [
      "\(nodeClass.name)  \(JSONValue.string(nodeClass.displayName).serialized())  · \(nodeClass.category)"
    ]
    if !nodeClass.description.isEmpty { lines.append("  " + nodeClass.description) }
    lines += cost(nodeClass)
    lines.append("  " + role(nodeClass))
    let widgets = nodeClass.inputs.filter(\.isWidget)
    let links = nodeClass.inputs.filter { !$0.isWidget }
    if !widgets.isEmpty {
      lines.append(
        "  widgets (values written into the payload as they are): "
          + widgets.map { $0.name + ($0.isRequired ? "" : " (optional)") }.joined(separator: ", "))
    }
    if !links.isEmpty {
      lines.append(
        "  links (values another node makes while the prompt runs, written [\"NODE\", SLOT]): "
          + links.map { "\($0.name) (\($0.kind.typeName))" + ($0.isRequired ? "" : " optional") }
          .joined(separator: ", "))
    }
    if nodeClass.outputs.isEmpty {
      lines.append("  outputs: none (it ends a branch)")
    } else {
      lines.append(
        "  outputs, linked by slot number: "
          + nodeClass.outputs.enumerated().map { "\($0.offset) \($0.element.name) (\($0.element.type))" }
          .joined(separator: ", "))
    }
    var skeleton = JSONObject()
    for input in nodeClass.inputs where input.isRequired {
      skeleton[input.name] = input.isWidget ? input.defaultValue ?? .null : .array(["ID", 0])
    }
    let example: JSONValue = ["inputs": .object(skeleton), "class_type": .string(nodeClass.name)]
    lines.append("  in the payload: \"ID\": " + Render.short(example, limit: 200))
    lines.append("  `info \(nodeClass.name)` lists every input with its range, choices and tooltip")
    return lines
  }

  private static func cost(_ nodeClass: NodeClass) -> [String] {
    guard nodeClass.isAPINode else { return ["  free: it runs on the server's own hardware"] }
    var lines = [
      "  paid API node: the server sends the work to Comfy's API, which charges the account of the key in "
        + "extra_data.api_key_comfy_org (`key use NAME` puts it there; the key never enters the workflow)"
    ]
    if let badge = nodeClass.priceBadge { lines += InfoCommand.priceLines(badge) }
    return lines
  }

  private static func role(_ nodeClass: NodeClass) -> String {
    nodeClass.isOutputNode
      ? "an output node: ComfyUI runs a prompt from its output nodes backwards, so this one runs unless its result is cached"
      : "not an output node: it runs only when an output node needs what it makes"
  }

  // MARK: - Nodes

  static func node(_ id: String, session: Session, catalog: Catalog?) -> [String] {
    let workflow = session.workflow
    guard let node = workflow[id] else { return [] }
    let nodeClass = node.classType.flatMap { catalog?[className: $0] }
    var lines = [
      ["\(NodeRef.id(id))", node.classType ?? "(no class_type)", Render.title(node)].filter { !$0.isEmpty }
        .joined(separator: "  ") + (nodeClass.map { "  · " + $0.category } ?? "")
    ]
    if let nodeClass {
      if !nodeClass.description.isEmpty { lines.append("  " + nodeClass.description) }
      lines += cost(nodeClass)
      lines.append("  " + role(nodeClass))
    } else if catalog != nil {
      lines.append(
        "  the server has no class \(node.classType ?? "?"): `catalog \(node.classType ?? "")` searches")
    }
    lines.append("inputs:")
    var rows: [[String]] = []
    for name in ShowCommand.treeOrder(node.inputs) {
      guard let raw = node.inputs[name] else { continue }
      let value = InputValue(stored: raw)
      rows.append([name, Render.input(value), origin(of: value, input: name, node: node, session: session)])
    }
    for spec in nodeClass?.liveInputs(values: node.inputs) ?? [] where node.inputs[spec.name] == nil {
      rows.append([
        spec.name, "(not set)",
        spec.isRequired ? "required: `validate` will say so" : "optional: the class does without it",
      ])
    }
    lines += rows.isEmpty ? ["  (none)"] : Render.table(rows)
    lines.append("outputs:")
    lines += outputs(of: id, nodeClass: nodeClass, workflow: workflow)
    lines.append("next run: " + cacheVerdict(id, session: session, catalog: catalog))
    var shown = node.fields
    shown.removeValue(forKey: "_meta")
    lines.append("in the payload: \"\(id)\": " + Render.short(.object(shown), limit: 200))
    return lines
  }

  /// Where an input's value comes from, in a few words.
  private static func origin(of value: InputValue, input: String, node: Node, session: Session) -> String {
    switch value {
    case .link(let source, let slot):
      let from = session.workflow[source]
      let type = from?.classType.flatMap {
        session.catalog.current?[className: $0]?.outputs[safe: slot]?.type
      }
      return "made by \(NodeRef.id(source)) \(from.map(\.displayName) ?? "(missing node)")"
        + (type.map { " (output \(slot), \($0))" } ?? " (output \(slot))")
    case .malformedLink:
      return "a list that is not a link: `validate` says what the server makes of it"
    case .value:
      if let policy = session.server.seedPolicies.first(where: { $0.node == node.id && $0.input == input }),
        policy.mode != .fixed
      {
        return "typed here; seed policy \(policy.mode.rawValue): each run sends a new value"
      }
      return "typed here"
    }
  }

  private static func outputs(of id: String, nodeClass: NodeClass?, workflow: Workflow) -> [String] {
    let consumers = workflow.consumers(of: id)
    let count = max(nodeClass?.outputs.count ?? 0, (consumers.map(\.slot).max() ?? -1) + 1)
    guard count > 0 else { return ["  (none)"] }
    var rows: [[String]] = []
    for slot in 0..<count {
      let output = nodeClass?.outputs[safe: slot]
      let users = consumers.filter { $0.slot == slot }.map { use in
        "\(NodeRef.id(use.node)).\(use.input) (\(workflow[use.node]?.displayName ?? "?"))"
      }
      rows.append([
        "\(slot)", output.map { "\($0.name) \($0.type)" } ?? "",
        users.isEmpty ? "not linked" : "→ " + users.joined(separator: ", "),
      ])
    }
    return Render.table(rows)
  }

  // MARK: - Caching

  /// Whether the server will take the node from its cache on the next run, and why. ComfyUI caches a
  /// node's outputs under its class, its inputs and (recursively) its sources' keys.
  static func cacheVerdict(_ id: String, session: Session, catalog: Catalog?) -> String {
    let workflow = session.workflow
    if let catalog, !neededByAnOutput(id, workflow: workflow, catalog: catalog) {
      return "not run: no output node needs what it makes (link one of its outputs on to an output node)"
    }
    let upstream = ancestors(of: id, in: workflow)
    if let policy = session.server.seedPolicies.first(where: {
      upstream.contains($0.node) && $0.mode != .fixed
    }) {
      let whose = policy.node == id ? "its input \(policy.input)" : "\(policy.address), which it depends on,"
      return "runs: \(whose) gets a new value on every run (seed policy \(policy.mode.rawValue))"
    }
    let server = session.server.address
    guard let last = session.server.records.last(where: { $0.server == server }) else {
      return
        "runs, as far as this session knows: nothing was run here yet (the server may still hold its outputs from someone's earlier prompt with the same inputs)"
    }
    let before = last.workflow
    let since = "since prompt \(last.id)"
    guard let then = before[id], then.classType == workflow[id]?.classType else {
      return "runs: prompt \(last.id) had no such node"
    }
    // The node itself first, then what it depends on, nearest first: the first with a changed input
    // is the reason.
    for source in upstream {
      guard let now = workflow[source] else { continue }
      guard let old = before[source], old.classType == now.classType else {
        return "runs: \(NodeRef.id(source)) (\(now.displayName)), which it depends on, is new \(since)"
      }
      guard let change = firstChange(from: old, to: now) else { continue }
      let what = source == id ? "" : "\(NodeRef.id(source)) (\(now.displayName)), which it depends on: "
      return "runs: \(what)\(change) changed \(since)"
    }
    var verdict =
      "taken from the cache: neither it nor anything it depends on changed \(since) (unless the server dropped it to free memory)"
    if let cls = workflow[id]?.classType.flatMap({ catalog?[className: $0] }),
      cls.inputs.contains(where: \.isUpload)
    {
      verdict += "; a file input is read again if the file changed (the server hashes it)"
    }
    return verdict
  }

  /// `steps (20 → 30)`: the first input that differs.
  private static func firstChange(from old: Node, to new: Node) -> String? {
    guard
      let name = new.inputs.keys.first(where: { new.inputs[$0] != old.inputs[$0] })
        ?? old.inputs.keys.first(where: { new.inputs[$0] == nil })
    else { return nil }
    let was = old.inputs[name].map { Render.input(InputValue(stored: $0)) } ?? "(not set)"
    let now = new.inputs[name].map { Render.input(InputValue(stored: $0)) } ?? "(not set)"
    return "\(name) (\(was) → \(now))"
  }

  private static func neededByAnOutput(_ id: String, workflow: Workflow, catalog: Catalog) -> Bool {
    var seen: Set<String> = []
    var queue = [id]
    while let next = queue.popLast() {
      guard seen.insert(next).inserted else { continue }
      if let cls = workflow[next]?.classType, catalog[className: cls]?.isOutputNode == true { return true }
      queue += workflow.consumers(of: next).map(\.node)
    }
    return false
  }

  /// The node and every node it depends on through links, nearest first.
  private static func ancestors(of id: String, in workflow: Workflow) -> [String] {
    var order: [String] = []
    var seen: Set<String> = []
    var queue = [id]
    while !queue.isEmpty {
      let next = queue.removeFirst()
      guard seen.insert(next).inserted, let node = workflow[next] else { continue }
      order.append(next)
      queue += node.links.map(\.node)
    }
    return order
  }

  // MARK: - Inputs

  static func input(_ name: String, of id: String, session: Session, catalog: Catalog?) throws -> [String] {
    let workflow = session.workflow
    guard let node = workflow[id] else { return [] }
    let spec = session.checks.spec(name, of: node)
    guard spec != nil || node.inputs[name] != nil else {
      throw ShellError(
        "\(NodeRef.id(id)) (\(node.classType ?? "?")) has no input \(name); `explain \(NodeRef.id(id))` lists them"
      )
    }
    var lines = [
      "\(NodeRef.id(id)).\(name)  (\(node.displayName)\(node.classType.map { $0 == node.displayName ? "" : ", " + $0 } ?? ""))"
    ]
    if let spec {
      let kind = InfoCommand.describe(
        spec, checksCombos: catalog.map { ValidationRules(for: $0) == .comfyUI0_33 } ?? false)
      lines.append(
        "  " + kind + (spec.isRequired ? ", required" : ", optional")
          + (spec.isWidget
            ? " — a widget: its value is written into the payload as it is"
            : " — a link: another node makes its value while the prompt runs; the payload holds [\"NODE\", SLOT]")
      )
      if let tooltip = spec.tooltip, !tooltip.isEmpty { lines.append("  " + tooltip) }
      if spec.controlAfterGenerate {
        lines.append(
          "  the browser changes it after each run (control_after_generate); comfysh leaves it to `seed \(NodeRef.id(id)).\(name) randomize|increment|…`"
        )
      }
    }
    guard let raw = node.inputs[name] else {
      lines.append(
        "  not set" + (spec?.isRequired == true ? ": the server will refuse the workflow until it is" : ""))
      return lines
    }
    let value = InputValue(stored: raw)
    lines.append(
      "  now: \(Render.input(value)), \(origin(of: value, input: name, node: node, session: session))")
    if case .link = value {
      let chain = sourceChain(from: value, in: workflow, catalog: catalog)
      if !chain.isEmpty {
        lines.append(
          "  from its source (\(Render.plural(chain.count, "hop"))): \(NodeRef.id(id)).\(name) "
            + chain.map { "← " + $0 }.joined(separator: " "))
      }
    }
    lines.append("  in the payload: \"\(name)\": " + raw.serialized())
    return lines
  }

  /// Back along the links that carry the same type: `3:0 KSampler`, `5:0 EmptyLatentImage (the source)`.
  private static func sourceChain(
    from value: InputValue, in workflow: Workflow, catalog: Catalog?
  ) -> [String] {
    var chain: [String] = []
    var seen: Set<String> = []
    var current = value
    while case .link(let source, let slot) = current, seen.insert(source).inserted, chain.count < 50 {
      let node = workflow[source]
      let cls = node?.classType.flatMap { catalog?[className: $0] }
      let type = cls?.outputs[safe: slot]?.type
      var label = "\(NodeRef.id(source)):\(slot) \(node?.displayName ?? "(missing node)")"
      // The value is carried on by the first linked input of the same type, if there is one.
      let carrier = node?.inputs.first { name, raw in
        guard case .link = InputValue(stored: raw), let type, let spec = cls?.input(named: name),
          case .link(let wanted) = spec.kind
        else { return false }
        return Catalog.outputType(type, fits: wanted)
      }
      guard let carrier else {
        chain.append(label + " (the source: it makes the \(type ?? "value"))")
        break
      }
      label += " via \(carrier.key)"
      chain.append(label)
      current = InputValue(stored: carrier.value)
    }
    return chain
  }

  // MARK: - The last error

  static func problem(session: Session, catalog: Catalog?) throws -> [String] {
    guard let problem = session.lastProblem else {
      throw ShellError(
        "nothing has failed in this session yet: `explain` explains the last error of `validate`, `run` or `watch`; `explain NODE` explains a node"
      )
    }
    switch problem {
    case .validation(let result, let command):
      var lines = [
        "from `\(command)`: "
          + (result.accepted
            ? "the server would accept the workflow, but not every output would run"
            : "the server would refuse the workflow")
      ]
      if let error = result.error, !result.accepted {
        lines.append("\(error.type): " + ErrorMeanings.meaning(of: error.type))
        if result.nodeErrors.isEmpty {
          lines += promptLevel(error.type, details: error.details, session: session)
        }
      }
      let nodes = result.originalPrompt?.objectValue ?? session.workflow.json.objectValue ?? [:]
      for (id, errors) in result.nodeErrors {
        for error in errors.errors {
          lines += nodeError(
            error, node: id, nodes: nodes, result: result, session: session, catalog: catalog)
        }
      }
      return lines
    case .rejection(let rejection, let prompt):
      var lines = [
        "from `run`: the server refused the prompt",
        "\(rejection.type): " + ErrorMeanings.meaning(of: rejection.type),
      ]
      if rejection.nodeErrors.isEmpty {
        lines += promptLevel(rejection.type, details: rejection.details, session: session)
      }
      let result = ValidationResult(accepted: false, error: nil)
      for report in rejection.nodeErrors {
        for item in report.errors {
          let error = NodeError(
            type: item.type, message: item.message, details: item.details, extraInfo: item.extraInfo)
          lines += nodeError(
            error, node: report.nodeID, nodes: prompt, result: result, session: session, catalog: catalog)
        }
      }
      return lines
    case .execution(let failure):
      let node = session.workflow[failure.nodeID]
      var lines = [
        "from `watch`: node \(failure.nodeID) (\(failure.nodeType)) failed while prompt \(failure.promptID.prefix(8)) ran: \(failure.exceptionType)",
        "  what it means: " + ErrorMeanings.meaning(of: failure),
      ]
      let said = session.masked(failure.exceptionMessage).split(separator: "\n").first.map {
        String($0).trimmed
      }
      if let said { lines.append("  the server said: " + said) }
      lines.append("  to fix: " + executionFix(failure, node: node, catalog: catalog))
      return lines
    }
  }

  private static func promptLevel(_ type: String, details: String, session: Session) -> [String] {
    switch type {
    case "prompt_no_outputs":
      return ["  to fix: add SaveImage as 99; link 99.images NODE:SLOT (an IMAGE output)"]
    case "missing_node_type", "invalid_prompt":
      let id = ValidationResult.nodeID(fromDetails: details)
      let cls = session.workflow[id]?.classType ?? "?"
      return [
        "  node \(id) is a \(cls)",
        "  to fix: `catalog \(cls)` finds a class with a close name; `rm \(id)` takes the node out",
      ]
    case "invalid_prompt_id":
      return ["  to fix: leave prompt_id out of the request; the server makes one"]
    default:
      return []
    }
  }

  private static func nodeError(
    _ error: NodeError, node id: String, nodes: JSONObject, result: ValidationResult, session: Session,
    catalog: Catalog?
  ) -> [String] {
    let input = error.inputName
    let cls = nodes[id]?["class_type"]?.stringValue ?? "?"
    var lines = ["node \(id) (\(cls))\(input.map { ", input " + $0 } ?? ""): \(error.type)"]
    lines.append("  what it means: " + ErrorMeanings.meaning(of: error.type))
    if let catalog {
      lines.append("  here: " + result.describe(error, nodeID: id, nodes: nodes, catalog: catalog))
    } else {
      lines.append("  here: \(error.message) (\(error.details))")
    }
    if let fix = fix(error, node: id, nodes: nodes, catalog: catalog) { lines.append("  to fix: " + fix) }
    return lines
  }

  /// The command that fixes a node error, when one command can.
  static func fix(_ error: NodeError, node id: String, nodes: JSONObject, catalog: Catalog?) -> String? {
    let ref = NodeRef.id(id)
    let classType = nodes[id]?["class_type"]?.stringValue ?? ""
    let values = nodes[id]?["inputs"]?.objectValue ?? [:]
    let spec = error.inputName.flatMap {
      catalog?[className: classType]?.liveInput(named: $0, values: values)
    }
    guard let input = error.inputName else {
      if error.type == "dependency_cycle",
        let link = values.first(where: {
          if case .link = InputValue(stored: $0.value) { return true } else { return false }
        })
      {
        return "unlink \(ref).\(link.key) (or another link of the loop)"
      }
      return nil
    }
    switch error.type {
    case "required_input_missing", "return_type_mismatch", "bad_linked_input":
      if let spec, case .link(let type) = spec.kind {
        if let (source, slot) = firstOutput(fitting: type, excluding: id, nodes: nodes, catalog: catalog) {
          return "link \(ref).\(input) \(source):\(slot)"
        }
        return "add a node with a \(type) output, then `link \(ref).\(input) NODE:SLOT`"
      }
      if let value = spec?.defaultValue { return "set \(ref).\(input) \(Render.value(value))" }
      return "set \(ref).\(input) VALUE"
    case "value_smaller_than_min":
      return (spec?.min).map { "set \(ref).\(input) \($0.text)" }
    case "value_bigger_than_max":
      return (spec?.max).map { "set \(ref).\(input) \($0.text)" }
    case "value_not_in_list", "invalid_input_type":
      let received = error.extraInfo["received_value"].map(Py.str) ?? ""
      if let names = spec?.combo?.names,
        let close = Suggest.ranked(received, in: names, limit: 1).first ?? names.first
      {
        return
          "set \(ref).\(input) \(JSONValue.string(close).serialized())  (`info \(classType)` lists the choices)"
      }
      if let value = spec?.defaultValue { return "set \(ref).\(input) \(Render.value(value))" }
      return nil
    case "custom_validation_failed":
      return "upload FILE \(ref).\(input)  (puts the file in the server's input folder and sets the input)"
    default:
      return "show \(ref) shows its inputs and links"
    }
  }

  private static func firstOutput(
    fitting type: String, excluding id: String, nodes: JSONObject, catalog: Catalog?
  ) -> (String, Int)? {
    guard let catalog, type != "*" else { return nil }
    for (nodeID, node) in nodes where nodeID != id {
      guard let cls = node["class_type"]?.stringValue.flatMap({ catalog[className: $0] }) else { continue }
      if let slot = cls.outputs.firstIndex(where: { Catalog.outputType($0.type, fits: type) }) {
        return (nodeID, slot)
      }
    }
    return nil
  }

  private static func executionFix(_ failure: ExecutionFailure, node: Node?, catalog: Catalog?) -> String {
    let ref = NodeRef.id(failure.nodeID)
    let message = failure.exceptionMessage
    if message.hasPrefix("Unauthorized") { return "key add NAME, then key use NAME, and run again" }
    if failure.exceptionType == "FileNotFoundError" {
      return
        "`info \(failure.nodeType)` lists the files this server has; `set \(ref).INPUT \"NAME\"` picks one"
    }
    if message.contains("outside the output folder") {
      return
        "set \(ref).filename_prefix NAME  (a prefix without `..`: files stay in the server's output folder)"
    }
    if failure.exceptionType.contains("OutOfMemory") {
      return "lower the size or batch (`show \(ref)` and the nodes it links to), then run again"
    }
    return
      "`watch \(failure.promptID.prefix(8)) --traceback` shows where in the server's Python code it failed"
  }
}

extension Array {
  subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
