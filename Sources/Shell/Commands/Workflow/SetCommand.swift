import Workflow

struct SetCommand: Command {
  static let name = "set"
  static let group = CommandGroup.workflow
  static let usage = "set [--new] NODE.INPUT VALUE"
  static let summary =
    "Set an input to a value: \"text\", 'text', a number as written, true/false/null, JSON, or @file.txt; --new adds an input the node does not have."
  static let example = "set 11.prompt \"a lighthouse at dusk, film grain\""
  static let arguments: [ArgumentKind] = [.input, .value]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    _ = await session.catalog.load()
    let allowNew = arguments.flag("--new")
    if arguments.count > 2 {
      throw ShellError(
        "set takes one value; quote text with spaces: set \(arguments[0].raw) \"\(arguments.values.dropFirst().map(\.text).joined(separator: " "))\""
      )
    }
    try arguments.expect(2)
    let address = try Address.parseInput(arguments[0].raw)
    let id = try session.workflow.resolve(address.node)
    guard let node = session.workflow[id] else { return }
    try session.checks.checkInputName(
      address.name, of: node, allowNew: allowNew, command: session.currentCommandName)
    var value = try session.inputValue(arguments[1])
    var notes: [String] = []
    if case .value(let raw) = value {
      let (coerced, note) = try session.checks.coerce(raw, input: address.name, of: node)
      value = .value(coerced)
      if let note { notes.append(note) }
    } else if case .link(let source, let slot) = value {
      try session.checks.checkLink(from: source, slot: slot, to: address.name, of: node)
    }
    // Selecting a dynamic combo's option swaps the previous option's sub-inputs for the new one's defaults.
    var removed: [String] = []
    var added: [(name: String, value: JSONValue)] = []
    if let selector = session.checks.spec(address.name, of: node), selector.dynamicCombo != nil,
      case .value(.string(let key)) = value, node.inputs[address.name]?.stringValue != key
    {
      removed = node.inputs.keys.filter { $0.hasPrefix(address.name + ".") }
      added = session.checks.selectionDefaults(selector, key: key)
      var parts: [String] = []
      if !removed.isEmpty { parts.append("removed " + removed.joined(separator: ", ")) }
      if !added.isEmpty {
        parts.append(
          "added " + added.map { "\($0.name) = \(Render.value($0.value))" }.joined(separator: ", "))
      }
      if !parts.isEmpty {
        notes.append("\(NodeRef.id(id)).\(address.name): " + parts.joined(separator: "; "))
      }
    }
    try session.document.edit { editor in
      editor.update(id) { node in
        guard !removed.isEmpty || !added.isEmpty else { return node.setInput(address.name, value) }
        // The new option's inputs go right after their selector, where the page shows them.
        var inputs = JSONObject()
        var placed = false
        for (name, stored) in node.inputs where !removed.contains(name) {
          guard name == address.name else {
            inputs[name] = stored
            continue
          }
          inputs[name] = value.stored
          for (sub, subValue) in added { inputs[sub] = InputValue.value(subValue).stored }
          placed = true
        }
        node.inputs = inputs
        if !placed {
          node.setInput(address.name, value)
          for (sub, subValue) in added { node.setInput(sub, .value(subValue)) }
        }
      }
    }
    // Silent on success, as in the guide's sessions: the value was just typed. Notes say what changed it.
    for note in notes { session.console.print(note) }
    session.console.emit([
      "type": "set", "node": .string(id), "input": .string(address.name), "value": valueJSON(value),
    ])
  }

  static func valueJSON(_ value: InputValue) -> JSONValue {
    switch value {
    case .link(let node, let slot): .array([.string(node), .int(slot)])
    case .value(let v), .malformedLink(let v): v
    }
  }
}
