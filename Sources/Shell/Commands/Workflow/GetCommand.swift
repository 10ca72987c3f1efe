import Workflow

struct GetCommand: Command {
  static let name = "get"
  static let group = CommandGroup.workflow
  static let usage = "get NODE.INPUT"
  static let summary =
    "Print one input's value exactly (text quoted, numbers as written, a link as NODE:SLOT)."
  static let example = "get 11.seed"
  static let arguments: [ArgumentKind] = [.input]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    let address = try Address.parseInput(arguments[0].raw)
    let id = try session.workflow.resolve(address.node)
    guard let node = session.workflow[id], let value = node.input(address.name) else {
      throw ShellError(session.checks.missingInputMessage(address.name, nodeID: id))
    }
    var json: JSONObject = ["type": "value", "node": .string(id), "input": .string(address.name)]
    switch value {
    case .link(let source, let slot):
      json["link"] = .array([.string(source), .int(slot)])
    case .value(let v), .malformedLink(let v):
      json["value"] = v
    }
    session.console.result(Render.input(value), json: json)
  }
}
