import Workflow

struct JSONCommand: Command {
  static let name = "json"
  static let group = CommandGroup.workflow
  static let usage = "json [NODE]"
  static let summary = "Print the workflow, or one node, as API-format JSON (what save writes and run sends)."
  static let example = "json 11"
  static let arguments: [ArgumentKind] = [.node]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    if arguments.isEmpty {
      session.console.result(
        session.workflow.json.serialized(.indented(2)),
        json: ["type": "workflow", "prompt": session.workflow.json])
      return
    }
    let id = try session.resolveNode(arguments[0])
    guard let node = session.workflow[id] else { return }
    let object: JSONValue = [id: .object(node.fields)]
    session.console.result(object.serialized(.indented(2)), json: ["type": "workflow", "prompt": object])
  }
}
