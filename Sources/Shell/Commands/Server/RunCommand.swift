import ComfyClient
import Workflow

struct RunCommand: Command {
  static let name = "run"
  static let group = CommandGroup.running
  static let usage = "run [--count N] [--front] [--no-check]"
  static let summary =
    "Queue the workflow on the server (checked with the catalog and seed policies applied first) and print its prompt id and queue number; --front puts it at the head of the queue, --no-check sends it unchecked for the server to judge. --count N queues N prompts, the seed policies applied to each; with a pool in use (`pool use NAME`) each goes to the member that will finish it first, a few in flight per member, and `watch` follows the sweep."
  static let example = "run --count 20"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let front = arguments.flag("--front")
    let unchecked = arguments.flag("--no-check")
    let countText = try arguments.option("--count")
    try arguments.expect(0)
    guard !session.workflow.isEmpty else {
      throw ShellError("the workflow is empty: `load FILE` or `add CLASS` first")
    }
    var count = 1
    if let countText {
      guard let value = Int(countText.text), (1...100_000).contains(value) else {
        throw ShellError("--count takes a number of prompts from 1 to 100000, not \(countText.text)")
      }
      count = value
    }
    if !unchecked { try await session.validateBeforeRun() }
    let pool = countText != nil || session.server.pool != nil ? session.server.sweepPool() : nil
    for done in 0..<count {
      do {
        try await runOnce(session, front: front, pool: pool)
      } catch is CancellationError {
        throw ShellError(
          "stopped waiting for a free member: \(done) of \(count) queued, nothing else was posted")
      }
    }
  }

  /// Applies the seed policies, posts one prompt (to the pool's best member when given) and prints it.
  static func runOnce(_ session: Session, front: Bool, pool: ServerPool?) async throws {
    let server = session.server
    let (prompt, seeds, seedWarnings) = await session.workflowWithSeedPolicies()
    for warning in seedWarnings { session.console.warning(warning) }
    let sameAsLast = server.isSameAsLastRun(prompt)
    let body = try session.promptBody(for: prompt, front: front)
    let key = try session.apiKeyForRun()
    for warning in session.keyWarnings(serverURL: server.address.description) {
      session.console.warning(warning)
    }
    let queued: QueuedPrompt
    var member: PoolMember?
    do {
      if let pool {
        let posted = try await pool.dispatch(prompt, body: body)
        queued = posted.0
        member = posted.1
      } else {
        queued = try await server.connection().submit(body: body, prompt: prompt)
      }
    } catch let rejection as PromptRejection {
      throw rejected(rejection, prompt: prompt, session: session)
    } catch let error as ShellError {
      throw error
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      throw ShellError.server(error, session: session)
    }
    // Posted: now the seed changes become part of the workflow (undo takes them back).
    if !seeds.isEmpty {
      let label =
        "run: " + seeds.map { "\($0.policy.address) \(Render.value($0.new))" }.joined(separator: ", ")
      try session.document.edit(label) { editor in
        for change in seeds {
          editor.update(change.policy.node) { $0.setInput(change.policy.input, .value(change.new)) }
        }
      }
    }
    if pool == nil { server.record(queued, workflow: prompt) }

    let warnings = ServerFormat.nodeErrorLines(queued.nodeErrors, workflow: prompt)
    if !warnings.isEmpty {
      session.console.warning("some outputs will not run; the server found errors in their inputs:")
      for line in warnings { session.console.warning(session.masked(line)) }
    }
    if sameAsLast {
      let hint = session.seedInputAddress().map { "`seed \($0) randomize`" } ?? "`seed NODE.INPUT randomize`"
      session.console.warning(
        "this prompt is the same as the last one run on this server: ComfyUI answers it from its cache and makes nothing new; change an input, or \(hint) to get a new seed at each run"
      )
    }
    var text = "queued \(queued.promptID)"
    if let number = queued.number { text += " (#\(number.text))" }
    if front { text += " · front of the queue" }
    if let key { text += " · key \(key.name)" }
    let paid = prompt.nodes.values.filter { session.catalog.isPaid($0) }.count
    if paid > 0 { text += " · " + Render.plural(paid, "paid node") }
    for change in seeds { text += " · \(change.policy.address) \(Render.value(change.new))" }
    session.console.result(
      text,
      json: [
        "type": "queued", "prompt_id": .string(queued.promptID),
        "number": queued.number.map(JSONValue.number) ?? .null,
        "server": .string((member?.address ?? server.address).description),
        "member": member.map { .string($0.name) } ?? .null, "front": .bool(front),
        "key": key.map { .string($0.name) } ?? .null,
        "seeds": .array(
          seeds.map { ["node": .string($0.policy.node), "input": .string($0.policy.input), "value": $0.new] }),
        "node_errors": ServerFormat.nodeErrorsJSON(queued.nodeErrors), "same_as_last": .bool(sameAsLast),
      ])
  }

  /// A 400: the prompt-level message, then one line per node error; the workflow is unchanged.
  static func rejected(_ rejection: PromptRejection, prompt: Workflow, session: Session) -> ShellError {
    session.lastProblem = .rejection(rejection, prompt: prompt.json.objectValue ?? [:])
    session.console.emit([
      "type": "rejected", "error_type": .string(rejection.type),
      "message": .string(session.masked(rejection.message)),
      "details": .string(session.masked(rejection.details)),
      "node_errors": ServerFormat.nodeErrorsJSON(rejection.nodeErrors),
    ])
    var message = "the server refused the prompt: "
    switch rejection.type {
    case "prompt_no_outputs":
      message += "it has no output node (add a SaveImage or PreviewImage node and link it)"
    case "prompt_outputs_failed_validation" where !rejection.nodeErrors.isEmpty:
      message += "some inputs are not valid"
    default:
      message += rejection.message.isEmpty ? rejection.type : rejection.message
      if !rejection.details.isEmpty { message += " (\(rejection.details))" }
    }
    for line in ServerFormat.nodeErrorLines(rejection.nodeErrors, workflow: prompt) {
      message += "\n  " + line
    }
    message += "\nnothing was queued and the workflow is unchanged"
    return ShellError(session.masked(message))
  }
}
