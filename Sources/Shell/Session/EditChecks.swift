import ComfyRules
import Workflow

/// The checks and messages of editing commands: what an input, a value or a link may be, by the
/// workflow being edited and (when it has been read) the node catalog. A value, so it can be tested alone.
struct EditChecks {
  let workflow: Workflow
  let catalog: Catalog?

  func nodeClass(of node: Node) -> NodeClass? {
    node.classType.flatMap { catalog?[className: $0] }
  }

  /// The node's input called `name` with its current values: a selected option's sub-inputs and an
  /// autogrow's slots count (`resize_type.width`, `images.image2`).
  func spec(_ name: String, of node: Node) -> InputSpec? {
    nodeClass(of: node)?.liveInput(named: name, values: node.inputs)
  }

  /// The values selecting `key` in a dynamic combo brings, as the page fills them in: the option's
  /// required widgets at their defaults, and a nested dynamic combo at its default (or first) option.
  func selectionDefaults(_ selector: InputSpec, key: String) -> [(name: String, value: JSONValue)] {
    guard let option = selector.dynamicCombo?.option(key) else { return [] }
    var result: [(name: String, value: JSONValue)] = []
    for sub in option.inputs where sub.isRequired && sub.isWidget {
      var named = sub
      named.name = "\(selector.name).\(sub.name)"
      if let nested = sub.dynamicCombo {
        guard let first = sub.defaultValue?.stringValue ?? nested.keys.first else { continue }
        result.append((named.name, .string(first)))
        result += selectionDefaults(named, key: first)
      } else if let value = sub.defaultValue ?? sub.firstChoice {
        result.append((named.name, value))
      }
    }
    return result
  }

  /// Extra rows for `show`: required inputs that are missing, and the outputs.
  func catalogNotes(for node: Node) -> [[String]] {
    guard let nodeClass = nodeClass(of: node) else { return [] }
    var rows: [[String]] = []
    for input in nodeClass.liveInputs(values: node.inputs)
    where input.isRequired && node.inputs[input.name] == nil {
      rows.append([
        input.name,
        input.isWidget
          ? "(missing; default \(input.defaultValue.map(Render.value) ?? "none"))"
          : "(missing link: \(input.kind.typeName))",
      ])
    }
    return rows
  }

  /// "node 11 has no input sede (did you mean seed?)".
  func missingInputMessage(_ name: String, nodeID: String) -> String {
    let node = workflow[nodeID]
    var known = Array(node?.inputs.keys ?? [])
    for input in node.flatMap { nodeClass(of: $0) }?.inputs ?? [] where !known.contains(input.name) {
      known.append(input.name)
    }
    var message = "node \(nodeID) (\(node?.classType ?? "?")) has no input \(name)"
    if let close = Suggest.closest(name, in: known) {
      message += " (did you mean \(close)?)"
    } else if !known.isEmpty {
      message += "; its inputs are \(known.joined(separator: ", "))"
    }
    return message
  }

  /// Refuses an input name the node does not have, since the server ignores unknown inputs and a typo
  /// would go unnoticed; `--new` (allowNew) adds it anyway. With a catalog the class's inputs count;
  /// without one, a node with no inputs yet accepts any name.
  func checkInputName(_ name: String, of node: Node, allowNew: Bool, command: String) throws {
    if allowNew || node.inputs[name] != nil { return }
    if let nodeClass = nodeClass(of: node) {
      if nodeClass.liveInput(named: name, values: node.inputs) != nil { return }
      if let message = dynamicInputMessage(name, of: node, nodeClass: nodeClass) { throw ShellError(message) }
    } else if node.inputs.isEmpty {
      return
    }
    throw ShellError(
      missingInputMessage(name, nodeID: node.id)
        + "; to add it anyway: \(command) --new \(NodeRef.id(node.id)).\(name) …")
  }

  /// Why a dotted name is not an input now: an option that is not selected, or a slot past the maximum.
  func dynamicInputMessage(_ name: String, of node: Node, nodeClass: NodeClass) -> String? {
    // The nearest enclosing input that exists now, and the segment under it that does not.
    var enclosing = Substring(name)
    var parent: InputSpec?
    while parent == nil, let dot = enclosing.lastIndex(of: ".") {
      enclosing = enclosing[..<dot]
      parent = nodeClass.liveInput(named: String(enclosing), values: node.inputs)
    }
    guard let parent else { return nil }
    let leaf = String(name.dropFirst(enclosing.count + 1).prefix { $0 != "." })
    let parentName = String(enclosing)
    let id = NodeRef.id(node.id)
    switch parent.kind {
    case .dynamicCombo(let combo):
      let current = node.inputs[parentName]?.stringValue
      let having = combo.options.filter { $0.inputs.contains { $0.name == leaf } }.map(\.key)
      let keys = combo.options.first(where: { $0.key == current })?.inputs.map(\.name) ?? []
      var message = "\(id).\(parentName) is \(current.map { JSONValue.string($0).serialized() } ?? "not set")"
      message += keys.isEmpty ? ", which has no inputs" : ", whose inputs are \(keys.joined(separator: ", "))"
      if let first = having.first {
        message +=
          "; \(leaf) belongs to \(having.map { JSONValue.string($0).serialized() }.joined(separator: ", ")): `set \(id).\(parentName) \(JSONValue.string(first).serialized())` first"
      }
      return message
    case .autogrow(let grow):
      return
        "\(id).\(parentName) has slots \(grow.slotNames.first ?? "") … \(grow.slotNames.last ?? "") (at most \(grow.maximum)); \(leaf) is not one of them"
    default:
      return nil
    }
  }

  /// Checks and converts a value for an input with the catalog; returns a note when the value changed.
  func coerce(_ value: JSONValue, input: String, of node: Node) throws -> (JSONValue, String?) {
    guard let spec = spec(input, of: node) else { return (value, nil) }
    switch spec.coerce(value) {
    case .success(let coercion):
      // Lists stay wrapped as the API format needs.
      if case .array = coercion.value { return (value, coercion.note) }
      return (coercion.value, coercion.note)
    case .failure(var error):
      // ComfyUI 0.4 and later check v3 combos too.
      if case .notAChoice(let input, let value, let choices, let suggestions, false) = error, let catalog,
        ValidationRules(for: catalog) == .comfyUI0_33
      {
        error = .notAChoice(
          input: input, value: value, choices: choices, suggestions: suggestions, checkedByServer: true)
      }
      throw ShellError("\(NodeRef.id(node.id)).\(input): \(error.shellMessage)")
    }
  }

  /// Checks that a link's source exists, would not make a cycle, and (with a catalog) that the output's
  /// type fits the input, naming the outputs that would.
  func checkLink(from source: String, slot: Int, to input: String, of node: Node) throws {
    guard let sourceNode = workflow[source] else { throw ShellError(workflow.missingNodeMessage(source)) }
    if source == node.id || workflow.upstream(of: source).contains(node.id) {
      throw ShellError(
        "linking \(NodeRef.id(node.id)).\(input) to \(NodeRef.id(source)):\(slot) would make a cycle (\(source) depends on \(node.id)); ComfyUI cannot run cycles"
      )
    }
    guard let sourceClass = nodeClass(of: sourceNode) else { return }
    guard slot < sourceClass.outputs.count else {
      let list = sourceClass.outputs.enumerated().map { "\($0.offset) \($0.element.name)" }.joined(
        separator: ", ")
      throw ShellError(
        "node \(source) (\(sourceClass.name)) has no output \(slot); its outputs are \(list.isEmpty ? "none" : list)"
      )
    }
    guard let wanted = spec(input, of: node) else { return }
    let type = sourceClass.outputs[slot].type
    let wantedType = wanted.linkTypeName
    guard !Catalog.outputType(type, fits: wantedType) else { return }
    var message =
      "\(NodeRef.id(node.id)).\(input) takes \(wantedType), but \(NodeRef.id(source)):\(slot) is \(type)"
    let fitting = outputs(fitting: wantedType, excluding: node.id)
    if !fitting.isEmpty {
      message += "; outputs with \(wantedType): \(fitting.prefix(5).joined(separator: ", "))"
    }
    throw ShellError(message)
  }

  /// `14:0 (LoadImage "Load Image")` for each output in the workflow whose type fits `type`.
  func outputs(fitting type: String, excluding id: String) -> [String] {
    var result: [String] = []
    for node in workflow.nodes.values where node.id != id && !workflow.upstream(of: node.id).contains(id) {
      guard let nodeClass = nodeClass(of: node) else { continue }
      for (slot, output) in nodeClass.outputs.enumerated() where Catalog.outputType(output.type, fits: type) {
        result.append(
          "\(NodeRef.id(node.id)):\(slot) (\(nodeClass.name) \(Render.title(node)))".replacingAll(
            " )", with: ")"))
      }
    }
    return result
  }

  /// The default a widget input returns to when unlinked (from the catalog).
  func defaultValue(for input: String, of node: Node) -> JSONValue? {
    guard let spec = spec(input, of: node), spec.isWidget else { return nil }
    return spec.defaultValue ?? spec.firstChoice
  }

  /// A new node of a class: with a catalog, its display name as title and every required widget at
  /// its default; unknown classes are refused with the closest names.
  func newNode(id: String, classType: String) throws -> Node {
    guard let catalog else { return Node(id: id, classType: classType, title: classType) }
    guard let nodeClass = catalog[className: classType] else {
      let close = catalog.suggestions(for: classType)
      var message = "there is no node class \(classType) in the catalog"
      if !close.isEmpty { message += " (did you mean \(close.joined(separator: ", "))?)" }
      throw ShellError(message + "; `catalog PATTERN` searches it")
    }
    var inputs = JSONObject()
    for input in nodeClass.inputs where input.isRequired && input.isWidget {
      if let combo = input.dynamicCombo {
        guard let key = input.defaultValue?.stringValue ?? combo.keys.first else { continue }
        inputs[input.name] = .string(key)
        for (name, value) in selectionDefaults(input, key: key) {
          inputs[name] = InputValue.value(value).stored
        }
      } else if let value = input.defaultValue ?? input.firstChoice {
        inputs[input.name] = InputValue.value(value).stored
      }
    }
    return Node(id: id, classType: classType, title: nodeClass.displayName, inputs: inputs)
  }

  /// What `add` says after adding: the required inputs that still need a link.
  func addNotes(for node: Node) -> [String] {
    guard let nodeClass = nodeClass(of: node) else { return [] }
    let missing = nodeClass.liveInputs(values: node.inputs).filter {
      $0.isRequired && node.inputs[$0.name] == nil
    }
    guard !missing.isEmpty else { return [] }
    let list = missing.map { "\($0.name) (\($0.linkTypeName))" }.joined(separator: ", ")
    return ["needs \(missing.count == 1 ? "a link" : "links"): \(list)"]
  }
}

extension InputSpec {
  /// The type an output must have to link here (`IMAGE`, `INT`, `*`).
  var linkTypeName: String {
    if case .link(let type) = kind { return type }
    if case .combo = kind { return "COMBO" }
    return kind.typeName
  }

  /// The first COMBO choice, the widget's value when there is no default.
  var firstChoice: JSONValue? {
    if case .combo(let combo) = kind { return combo.options.first }
    return nil
  }
}
