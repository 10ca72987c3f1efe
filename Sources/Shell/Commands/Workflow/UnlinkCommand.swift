import Workflow

struct UnlinkCommand: Command {
  static let name = "unlink"
  static let group = CommandGroup.workflow
  static let usage = "unlink NODE.INPUT"
  static let summary =
    "Remove the link into an input (a widget input gets its default back when the catalog knows it)."
  static let example = "unlink 11.image_prompt"
  static let arguments: [ArgumentKind] = [.input]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    _ = await session.catalog.load()
    try arguments.expect(1)
    let address = try Address.parseInput(arguments[0].raw)
    let id = try session.workflow.resolve(address.node)
    guard let node = session.workflow[id], let current = node.input(address.name) else {
      throw ShellError(session.checks.missingInputMessage(address.name, nodeID: id))
    }
    guard current.isLink else {
      throw ShellError(
        "\(NodeRef.id(id)).\(address.name) is not linked (it is \(Render.input(current))); `set` changes a value"
      )
    }
    let restored = session.checks.defaultValue(for: address.name, of: node)
    try session.document.edit { editor in
      editor.update(id) { node in
        if let restored {
          node.setInput(address.name, .value(restored))
        } else {
          node.removeInput(address.name)
        }
      }
    }
    if let restored {
      session.console.print("\(NodeRef.id(id)).\(address.name) = \(Render.value(restored)) (its default)")
    }
    session.console.emit(["type": "unlink", "node": .string(id), "input": .string(address.name)])
  }
}
