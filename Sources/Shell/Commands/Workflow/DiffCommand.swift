import Workflow

struct DiffCommand: Command {
  static let name = "diff"
  static let group = CommandGroup.workflow
  static let usage = "diff [FILE]"
  static let summary =
    "Show what changed, node by node and input by input, since the last load or save, or against FILE."
  static let example = "diff original.json"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    let base: Workflow
    let baseName: String
    if arguments.isEmpty {
      base = session.document.current.savedWorkflow
      baseName = session.document.current.path.map { FileIO.baseName(of: $0) } ?? "the empty workflow"
    } else {
      base = try await session.readWorkflowFile(session.resolvePath(arguments[0].text)).workflow
      baseName = arguments[0].text
    }
    let changes = WorkflowDiff(from: base, to: session.workflow)
    if session.console.jsonMode {
      session.console.emit(["type": "diff", "against": .string(baseName), "changes": changes.json])
      return
    }
    if changes.isEmpty {
      session.console.print("no changes against \(baseName)")
      return
    }
    session.console.print("changes against \(baseName):")
    session.console.print(lines: changes.lines())
  }
}
