import ComfyClient
import Workflow

struct QueueCommand: Command {
  static let name = "queue"
  static let group = CommandGroup.server
  static let usage = "queue [clear]"
  static let summary =
    "List the prompt running on the server and those waiting, in the order they will run; `queue clear` removes every waiting prompt."
  static let example = "queue"
  static let arguments: [ArgumentKind] = [.word(["clear"])]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    let client = session.server.client
    if arguments.count == 1 {
      guard arguments[0].text == "clear" else {
        throw ShellError("queue takes only `clear`; usage: \(usage)")
      }
      let before = try await session.request { try await client.queue() }
      try await session.request { try await client.clearQueue() }
      for item in before.pending { await session.server.existingConnection?.markCancelled(item.promptID) }
      session.console.result(
        "removed " + Render.plural(before.pending.count, "waiting prompt")
          + (before.running.isEmpty ? "" : "; the running one goes on (`interrupt` stops it)"),
        json: ["type": "queue_cleared", "removed": .array(before.pending.map { .string($0.promptID) })])
      return
    }
    if let pool = session.server.pool { return try await listPool(pool, session: session) }
    if try await session.request({ try await session.server.hasJobsAPI() }) {
      return try await listJobs(session: session)
    }
    let queue = try await session.request { try await client.queue() }
    let rows =
      queue.running.map { row($0, state: "running", session: session) }
      + queue.pending.map { row($0, state: "pending", session: session) }
    session.console.result(
      lines: rows.isEmpty ? ["the queue is empty"] : Render.table(rows),
      json: [
        "type": "queue", "running": .array(queue.running.map { json($0, session: session) }),
        "pending": .array(queue.pending.map { json($0, session: session) }),
      ])
  }

  /// The jobs API's view of the queue: it names no client and carries no prompt, so a prompt is this
  /// session's when the session queued it, and the columns are the times the server gives.
  static func listJobs(session: Session) async throws {
    let client = session.server.client
    let page = try await session.request {
      try await client.jobs(JobsQuery(statuses: [.inProgress, .pending]))
    }
    let byNumber = page.jobs.sorted { ($0.priority?.doubleValue ?? 0) < ($1.priority?.doubleValue ?? 0) }
    let running = byNumber.filter { $0.status == .inProgress }
    let pending = byNumber.filter { $0.status == .pending }
    let now = WallClock.milliseconds()
    func row(_ job: Job) -> [String] {
      // A running job's short form has no start time.
      let age = job.createTime.map { "queued " + ago(now - $0) + " ago" } ?? ""
      var notes = [session.server.isOurs(job.id) ? "this session" : "another client"]
      if let workflow = job.workflowID { notes.append("workflow " + workflow) }
      return [
        job.status == .inProgress ? "running" : "pending", job.id, job.priority.map { "#\($0.text)" } ?? "",
        age, notes.joined(separator: " · "),
      ]
    }
    func json(_ job: Job) -> JSONValue {
      [
        "prompt_id": .string(job.id), "number": job.priority.map(JSONValue.number) ?? .null,
        "ours": .bool(session.server.isOurs(job.id)),
        "create_time": job.createTime.map { .int(Int($0)) } ?? .null,
        "workflow_id": job.workflowID.map(JSONValue.string) ?? .null,
      ]
    }
    let rows = running.map(row) + pending.map(row)
    session.console.result(
      lines: rows.isEmpty ? ["the queue is empty"] : Render.table(rows),
      json: ["type": "queue", "running": .array(running.map(json)), "pending": .array(pending.map(json))])
  }

  /// With a pool in use: every member's queue in turn, with a member column.
  static func listPool(_ pool: ServerPool, session: Session) async throws {
    var rows: [[String]] = []
    var items: [JSONValue] = []
    for member in pool.members where member.isUp {
      let client = member.connection.client
      let queue = try await session.request { try await client.queue() }
      for (state, list) in [("running", queue.running), ("pending", queue.pending)] {
        for item in list {
          let ours = item.clientID == member.connection.clientID
          rows.append([
            member.name, state, item.promptID, item.number.map { "#\($0.text)" } ?? "",
            Render.plural(item.nodeCount, "node"), ours ? "this session" : "another client",
          ])
          items.append([
            "member": .string(member.name), "state": .string(state), "prompt_id": .string(item.promptID),
            "number": item.number.map(JSONValue.number) ?? .null, "ours": .bool(ours),
          ])
        }
      }
    }
    session.console.result(
      lines: rows.isEmpty ? ["the queues of pool \(pool.name) are empty"] : Render.table(rows),
      json: ["type": "queue", "pool": .string(pool.name), "prompts": .array(items)])
  }

  /// `12 s`, `3 min`: how long ago by this machine's clock (the server's may differ a little).
  static func ago(_ milliseconds: Int64) -> String {
    let seconds = max(0, milliseconds / 1000)
    return seconds < 120 ? "\(seconds) s" : "\(seconds / 60) min"
  }

  static func row(_ item: QueueItem, state: String, session: Session) -> [String] {
    var notes: [String] = []
    notes.append(item.clientID == session.server.clientID ? "this session" : "another client")
    if let key = item.extraData["api_key_comfy_org"]?.stringValue { notes.append("key " + maskKey(key)) }
    return [
      state, item.promptID, item.number.map { "#\($0.text)" } ?? "", Render.plural(item.nodeCount, "node"),
      notes.joined(separator: " · "),
    ]
  }

  static func json(_ item: QueueItem, session: Session) -> JSONValue {
    [
      "prompt_id": .string(item.promptID), "number": item.number.map(JSONValue.number) ?? .null,
      "nodes": .int(item.nodeCount), "client_id": item.clientID.map(JSONValue.string) ?? .null,
      "ours": .bool(item.clientID == session.server.clientID),
      "extra_data": session.masked(.object(item.extraData.filter { $0.key != "extra_pnginfo" })),
      "outputs_to_execute": .array(item.outputsToExecute.map(JSONValue.string)),
    ]
  }
}
