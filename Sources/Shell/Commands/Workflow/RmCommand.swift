import Workflow

struct RmCommand: Command {
  static let name = "rm"
  static let aliases = ["remove"]
  static let group = CommandGroup.workflow
  static let usage = "rm [--force] NODE"
  static let summary =
    "Remove a node; refuses while other inputs link to it (listing them) unless --force removes those links too."
  static let example = "rm 14"
  static let arguments: [ArgumentKind] = [.node]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let force = arguments.flag("--force", "-f")
    try arguments.expect(1)
    let id = try session.resolveNode(arguments[0])
    guard let node = session.workflow[id] else { return }
    let consumers = session.workflow.consumers(of: id).filter { $0.node != id }
    let inputs = consumers.map { "\(NodeRef.id($0.node)).\($0.input)" }
    if !consumers.isEmpty && !force {
      throw ShellError(
        "node \(id) is used by \(inputs.joined(separator: ", ")); unlink \(consumers.count == 1 ? "it" : "them") first, or `rm --force \(arguments[0].raw)` removes the links too"
      )
    }
    try session.document.edit { editor in
      for consumer in consumers {
        editor.update(consumer.node) { $0.removeInput(consumer.input) }
      }
      editor.remove(id)
    }
    var line = "removed \(NodeRef.id(id))  \(node.classType ?? "?")"
    if let title = node.title { line += "  " + JSONValue.string(title).serialized() }
    if !inputs.isEmpty { line += " and unlinked \(inputs.joined(separator: ", "))" }
    session.console.result(
      line, json: ["type": "removed", "id": .string(id), "unlinked": .array(inputs.map(JSONValue.string))])
  }
}
