import Workflow

struct ShowCommand: Command {
  static let name = "show"
  static let group = CommandGroup.workflow
  static let usage = "show NODE"
  static let summary =
    "Show a node: class, title, every input with its value or link, and the inputs that use its outputs."
  static let example = "show 11"
  static let arguments: [ArgumentKind] = [.node]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    _ = await session.catalog.load()
    try arguments.expect(1)
    let id = try session.resolveNode(arguments[0])
    guard let node = session.workflow[id] else { return }
    let consumers = session.workflow.consumers(of: id)
    if session.console.jsonMode {
      session.console.emit([
        "type": "node", "id": .string(id), "node": .object(node.fields),
        "used_by": .array(consumers.map { .string("\(NodeRef.id($0.node)).\($0.input)") }),
      ])
      return
    }
    var header = [id, node.classType ?? "(no class_type)", Render.title(node)]
    if session.catalog.isPaid(node) { header.append("paid") }
    var lines = [header.filter { !$0.isEmpty }.joined(separator: "  ")]
    var rows: [[String]] = []
    for name in treeOrder(node.inputs) {
      guard let raw = node.inputs[name] else { continue }
      let value = InputValue(stored: raw)
      var shown = Render.input(value)
      if case .link(let source, _) = value {
        let sourceNode = session.workflow[source]
        shown = "← " + shown + "  " + (sourceNode.map { $0.displayName } ?? "(missing node)")
      } else if case .value(let v) = value {
        shown = Render.short(v, limit: 70)
      }
      rows.append([treeName(name, among: node.inputs), shown])
    }
    rows += session.checks.catalogNotes(for: node)
    if rows.isEmpty { lines.append("  (no inputs)") } else { lines += Render.table(rows) }
    for (key, value) in node.fields where key != "inputs" && key != "class_type" && key != "_meta" {
      lines.append("  \(key): \(Render.short(value))")
    }
    if !consumers.isEmpty {
      lines.append(
        "used by: "
          + consumers.map { "\(NodeRef.id($0.node)).\($0.input) (output \($0.slot))" }.joined(separator: ", ")
      )
    }
    session.console.print(lines: lines)
  }

  /// The inputs in their stored order, each sub-input right under its selector (one set later
  /// than a sibling is stored last, but shown in its place).
  static func treeOrder(_ inputs: JSONObject) -> [String] {
    var children: [String: [String]] = [:]
    var roots: [String] = []
    for name in inputs.keys {
      var parent = Substring(name)
      var found: String?
      while found == nil, let dot = parent.lastIndex(of: ".") {
        parent = parent[..<dot]
        if inputs[String(parent)] != nil { found = String(parent) }
      }
      if let found { children[found, default: []].append(name) } else { roots.append(name) }
    }
    var ordered: [String] = []
    func visit(_ name: String) {
      ordered.append(name)
      for child in children[name] ?? [] { visit(child) }
    }
    roots.forEach(visit)
    return ordered
  }

  /// A dynamic combo's sub-input under its selector, as a tree: `format`, `  .codec`, `    .crf`.
  static func treeName(_ name: String, among inputs: JSONObject) -> String {
    var depth = 0
    var parent = Substring(name)
    var leaf: Substring?
    while let dot = parent.lastIndex(of: "."), inputs[String(parent[..<dot])] != nil {
      if leaf == nil { leaf = name[dot...] }
      parent = parent[..<dot]
      depth += 1
    }
    guard let leaf else { return name }
    return String(repeating: "  ", count: depth) + leaf
  }
}
