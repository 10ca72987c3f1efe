import Workflow

struct LoadCommand: Command {
  static let name = "load"
  static let group = CommandGroup.workflow
  static let usage = "load FILE"
  static let summary =
    "Load a workflow: API-format JSON, a UI-format JSON, a POST /prompt body, or a ComfyUI PNG."
  static let example = "load flux.json"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    let path = session.resolvePath(arguments[0].text)
    let file = try await session.readWorkflowFile(path)
    let unsaved = session.document.unsavedEditCount
    session.document.replace(
      with: Document(
        workflow: file.workflow, path: path, format: file.format, uiWorkflow: file.uiWorkflow,
        trailingNewline: file.trailingNewline, savedWorkflow: file.workflow, savedMarker: 0))
    var line =
      "loaded \(arguments[0].text) · \(Render.plural(file.workflow.count, "node")) · \(file.format.rawValue)"
    if file.format == .png && file.uiWorkflow != nil { line += " (with its UI workflow)" }
    session.console.result(
      line,
      json: [
        "type": "loaded", "file": .string(arguments[0].text), "nodes": .int(file.workflow.count),
        "format": .string(file.format.rawValue),
      ])
    if unsaved > 0 {
      session.console.warning(
        "the previous workflow had \(Render.plural(unsaved, "unsaved edit")); `undo` brings it back")
    }
  }
}
