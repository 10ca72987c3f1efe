import Workflow

struct NewCommand: Command {
  static let name = "new"
  static let group = CommandGroup.workflow
  static let usage = "new"
  static let summary = "Start a new, empty workflow (undo brings the previous one back)."
  static let example = "new"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0)
    let unsaved = session.document.unsavedEditCount
    session.document.replace(with: .untitled)
    session.console.result("new workflow · 0 nodes", json: ["type": "new"])
    if unsaved > 0 {
      session.console.warning(
        "the previous workflow had \(Render.plural(unsaved, "unsaved edit")); `undo` brings it back")
    }
  }
}
