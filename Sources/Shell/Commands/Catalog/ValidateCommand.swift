import ComfyRules
import Workflow

struct ValidateCommand: Command {
  static let name = "validate"
  static let group = CommandGroup.workflow
  static let usage = "validate [--json]"
  static let summary =
    "Check the workflow as the server's POST /prompt would; --json prints exactly the server's answer body."
  static let example = "validate"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let asJSON = arguments.flag("--json")
    try arguments.expect(0)
    guard let catalog = await session.catalog.load() else {
      throw ShellError(
        "validating needs the node catalog: \(session.catalog.unavailableReason ?? "none"); connect to a server or start with --catalog FILE"
      )
    }
    let hooks = await session.validationHooks(catalog: catalog, inputFileExists: session.inputFileKnown)
    let result = validate(prompt: session.workflow.json, catalog: catalog, hooks: hooks)
    session.lastProblem =
      result.accepted && result.nodeErrors.isEmpty ? nil : .validation(result, command: "validate")
    if asJSON {
      let body = result.responseJSON()
      session.console.result(
        body.serialized(), json: ["type": "validation", "accepted": .bool(result.accepted), "response": body])
      if !result.accepted {
        throw ShellError(
          "the server would reject this workflow (\(result.error?.type ?? "invalid")); `validate` explains the errors"
        )
      }
      return
    }
    for line in result.replacementLines { session.console.print(line) }
    if result.accepted && result.nodeErrors.isEmpty {
      let outputs = result.outputsToExecute.count
      session.console.result(
        "valid: the server would accept it (\(Render.plural(outputs, "output node")) to run)",
        json: ["type": "validation", "accepted": true, "response": result.responseJSON()])
      return
    }
    let lines = result.describeForUser(catalog: catalog)
    if result.accepted {
      session.console.print(
        "accepted with errors: only \(Render.plural(result.outputsToExecute.count, "output")) would run")
      session.console.print(lines: lines)
      session.console.emit(["type": "validation", "accepted": true, "response": result.responseJSON()])
      return
    }
    session.console.print(lines: lines)
    session.console.emit(["type": "validation", "accepted": false, "response": result.responseJSON()])
    throw ShellError(
      "the server would reject this workflow (\(result.error?.type ?? "invalid")); fix the errors above")
  }
}
