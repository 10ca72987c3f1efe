struct RedoCommand: Command {
  static let name = "redo"
  static let group = CommandGroup.workflow
  static let usage = "redo"
  static let summary = "Apply again the edit that undo took back (until a new edit is made)."
  static let example = "redo"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0)
    guard let label = session.document.redo() else { throw ShellError("nothing to redo") }
    session.console.result("redid: \(label)", json: ["type": "redo", "command": .string(label)])
  }
}
