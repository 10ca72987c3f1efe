import Workflow

struct LinkCommand: Command {
  static let name = "link"
  static let group = CommandGroup.workflow
  static let usage = "link [--new] NODE.INPUT NODE:SLOT"
  static let summary = "Connect an input to an output; SLOT is an index or (with a catalog) an output name."
  static let example = "link 12.images 11:0"
  static let arguments: [ArgumentKind] = [.input, .output]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    _ = await session.catalog.load()
    let allowNew = arguments.flag("--new")
    try arguments.expect(2)
    let input = try Address.parseInput(arguments[0].raw)
    let target = try session.workflow.resolve(input.node)
    let output = try Address.parseOutput(arguments[1].raw)
    let (source, slot) = try session.workflow.resolve(
      output, outputNames: { session.catalog.outputNames(of: $0) })
    guard let node = session.workflow[target] else { return }
    try session.checks.checkInputName(
      input.name, of: node, allowNew: allowNew, command: session.currentCommandName)
    try session.checks.checkLink(from: source, slot: slot, to: input.name, of: node)
    try session.document.edit { editor in
      editor.update(target) { $0.setInput(input.name, .link(node: source, slot: slot)) }
    }
    session.console.emit([
      "type": "link", "node": .string(target), "input": .string(input.name),
      "link": [.string(source), .int(slot)],
    ])
  }
}
