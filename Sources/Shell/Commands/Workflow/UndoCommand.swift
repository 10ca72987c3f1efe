struct UndoCommand: Command {
  static let name = "undo"
  static let group = CommandGroup.workflow
  static let usage = "undo"
  static let summary = "Take back the last edit; every edit of the session can be undone, one at a time."
  static let example = "undo"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0)
    guard let label = session.document.undo() else { throw ShellError("nothing to undo") }
    session.console.result("undid: \(label)", json: ["type": "undo", "command": .string(label)])
  }
}
