import Workflow

struct NodesCommand: Command {
  static let name = "nodes"
  static let aliases = ["ls"]
  static let group = CommandGroup.workflow
  static let usage = "nodes [PATTERN]"
  static let summary =
    "List the nodes: id, class, title, and `paid` for API nodes; PATTERN filters by id, class or title."
  static let example = "nodes Save"
  static let arguments: [ArgumentKind] = [.text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    _ = await session.catalog.load()
    try arguments.expect(0...1)
    let pattern = arguments.isEmpty ? nil : arguments[0].text.lowercased()
    let nodes = session.workflow.nodes.values.filter { node in
      guard let pattern else { return true }
      return node.id.lowercased().contains(pattern)
        || (node.classType?.lowercased().contains(pattern) ?? false)
        || (node.title?.lowercased().contains(pattern) ?? false)
    }
    if session.console.jsonMode {
      let list: [JSONValue] = nodes.map { node in
        var object: JSONObject = [
          "id": .string(node.id), "class_type": node.classType.map(JSONValue.string) ?? .null,
        ]
        object["title"] = node.title.map(JSONValue.string) ?? .null
        object["paid"] = .bool(session.catalog.isPaid(node))
        return .object(object)
      }
      session.console.emit(["type": "nodes", "nodes": .array(list)])
      return
    }
    if session.workflow.isEmpty {
      session.console.print("the workflow is empty: `load FILE` or `add CLASS`")
      return
    }
    if nodes.isEmpty {
      session.console.print("no node matches \(arguments[0].text)")
      return
    }
    let rows = nodes.map { node in
      [
        node.id, node.classType ?? "(no class_type)", Render.title(node),
        session.catalog.isPaid(node) ? "paid" : "",
      ]
    }
    session.console.print(lines: Render.table(rows))
  }
}
