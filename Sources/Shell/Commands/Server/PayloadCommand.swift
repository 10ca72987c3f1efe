import Workflow

struct PayloadCommand: Command {
  static let name = "payload"
  static let group = CommandGroup.teaching
  static let usage = "payload [--front] [--compact]"
  static let summary =
    "Print the exact POST /prompt body `run` would send (client_id, prompt, extra_data), seed policies applied and the API key masked."
  static let example = "payload"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let front = arguments.flag("--front")
    let compact = arguments.flag("--compact")
    try arguments.expect(0)
    guard !session.workflow.isEmpty else {
      throw ShellError("the workflow is empty: `load FILE` or `add CLASS` first")
    }
    let (prompt, changes, warnings) = await session.workflowWithSeedPolicies()
    for warning in warnings { session.console.warning(warning) }
    let body = session.masked(.object(try session.promptBody(for: prompt, front: front)))
    var lines = [body.serialized(compact ? .compact : .indented(2))]
    for change in changes where change.policy.mode == .randomize {
      lines.append(
        "(\(change.policy.address) is randomized at each run: `run` sends a new random value, not \(Render.value(change.new)))"
      )
    }
    session.console.result(lines: lines, json: ["type": "payload", "body": body])
  }
}
