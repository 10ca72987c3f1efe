struct QuitCommand: Command {
  static let name = "quit"
  static let aliases = ["exit"]
  static let group = CommandGroup.sessions
  static let usage = "quit [-f]"
  static let summary =
    "End the session; at the prompt it asks first if there are unsaved edits (-f does not ask)."
  static let example = "quit"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let force = arguments.flag("-f", "--force")
    try arguments.expect(0)
    if !force, let confirm = session.confirmQuit, session.document.isDirty {
      guard await confirm() else { return }
    }
    session.quitRequested = true
  }
}
