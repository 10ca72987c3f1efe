import ComfyClient
import Workflow

struct HistoryCommand: Command {
  static let name = "history"
  static let group = CommandGroup.server
  static let usage = "history [ID] [--max N] [--status S,S] [--offset N]"
  static let summary =
    "List the server's recent prompts (newest last) with their outcome and outputs, or show one prompt's outcome, time, files and error; --status completed,failed,cancelled filters (by the jobs API where the server has it)."
  static let example = "history --max 5"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let maxText = try arguments.option("--max")
    let statusText = try arguments.option("--status")
    let offsetText = try arguments.option("--offset")
    try arguments.expect(0...1)
    var client = session.server.client
    if arguments.count == 1 {
      let id = try session.server.resolvePromptID(arguments[0].text)
      client = session.server.client(for: id)
      guard let entry = try await session.request({ try await client.history(promptID: id) }) else {
        let queue = try await session.request { try await client.queue() }
        if queue.contains(id) {
          throw ShellError("prompt \(id) has not finished yet (it is in the queue): `watch \(id)` follows it")
        }
        throw ShellError("\(client.server) has no prompt \(id) in its history (`history` lists recent ones)")
      }
      return detail(entry, session: session)
    }
    var limit = 10
    if let maxText {
      guard let n = Int(maxText.text), n > 0 else {
        throw ShellError("--max takes a number above 0, not \(maxText.text)")
      }
      limit = n
    }
    var statuses: [Job.Status] = []
    for word in statusText.map({ $0.text.split(separator: ",").map(String.init) }) ?? [] {
      guard let status = Job.Status(rawValue: word) else {
        throw ShellError(
          "--status takes \(Job.Status.allCases.map(\.rawValue).joined(separator: ", ")) (comma-separated), not \(word)"
        )
      }
      statuses.append(status)
    }
    var offset = 0
    if let offsetText {
      guard let n = Int(offsetText.text), n >= 0 else {
        throw ShellError("--offset takes a number of prompts to skip (0 or more), not \(offsetText.text)")
      }
      offset = n
    }
    let pool = session.server.pool
    if pool == nil, try await session.request({ try await session.server.hasJobsAPI() }) {
      return try await listJobs(statuses: statuses, limit: limit, offset: offset, session: session)
    }
    if statuses.contains(where: { $0 == .pending || $0 == .inProgress }) {
      throw ShellError(
        "this server has no jobs API, and its history holds finished prompts only; `queue` lists the others")
    }
    let wanted = Set(
      statuses.map { status -> String in
        switch status {
        case .completed: "success"
        case .failed: "error"
        default: "interrupted"
        }
      })
    // With a pool in use, each member's history in turn, with a member column.
    let sources: [(member: String?, client: ComfyClient, clientID: String)] =
      pool?.members.filter { $0.isUp }.map {
        (member: Optional($0.name), client: $0.connection.client, clientID: $0.connection.clientID)
      } ?? [(member: nil, client: client, clientID: session.server.clientID)]
    var entries: [HistoryEntry] = []
    var rows: [[String]] = []
    for source in sources {
      let client = source.client
      var found: [HistoryEntry]
      if wanted.isEmpty && offset == 0 {
        found = try await session.request { try await client.history(maxItems: limit) }
      } else {
        // No filter on the server's side: read it all and pick here.
        found = try await session.request { try await client.history() }
        if !wanted.isEmpty { found = found.filter { wanted.contains($0.outcome.word) } }
        found = Array(found.dropLast(offset).suffix(limit))
      }
      entries += found
      rows += found.map { entry -> [String] in
        let files = entry.files.count
        return (source.member.map { [$0] } ?? []) + [
          entry.promptID, entry.outcome.word, Render.plural(files, "output"),
          entry.serverMilliseconds.map { ServerFormat.seconds(Double($0) / 1000) } ?? "",
          entry.item?.clientID == source.clientID ? "this session" : "",
        ]
      }
    }
    session.console.result(
      lines: rows.isEmpty ? ["the server's history is empty"] : Render.table(rows),
      json: ["type": "history", "prompts": .array(entries.map { .object(summary($0, session: session)) })])
  }

  /// The jobs API's view: newest first on the wire, shown newest last like the history.
  static func listJobs(statuses: [Job.Status], limit: Int, offset: Int, session: Session) async throws {
    let client = session.server.client
    let finished: [Job.Status] = [.completed, .failed, .cancelled]
    let query = JobsQuery(statuses: statuses.isEmpty ? finished : statuses, limit: limit, offset: offset)
    let page = try await session.request { try await client.jobs(query) }
    let jobs = Array(page.jobs.reversed())
    let rows = jobs.map { job -> [String] in
      [
        job.id, job.statusText, Render.plural(job.outputsCount, "output"),
        job.durationMilliseconds.map { ServerFormat.seconds(Double($0) / 1000) } ?? "",
        session.server.isOurs(job.id) ? "this session" : "",
      ]
    }
    var lines =
      rows.isEmpty ? ["no prompts\(statuses.isEmpty ? "" : " with that status")"] : Render.table(rows)
    if page.hasMore {
      lines.append("(\(page.total) in all; `history --offset \(offset + jobs.count)` shows older ones)")
    }
    session.console.result(
      lines: lines,
      json: [
        "type": "history", "total": .int(page.total), "has_more": .bool(page.hasMore),
        "prompts": .array(
          jobs.map { job in
            [
              "type": "history_entry", "prompt_id": .string(job.id), "status": .string(job.statusText),
              "seconds": job.durationMilliseconds.map { .double(Double($0) / 1000) } ?? .null,
              "number": job.priority.map(JSONValue.number) ?? .null,
              "ours": .bool(session.server.isOurs(job.id)),
              "outputs_count": .int(job.outputsCount),
            ]
          }),
      ])
  }

  static func detail(_ entry: HistoryEntry, session: Session) {
    var lines = ["prompt \(entry.promptID) · \(entry.outcome.word)"]
    if let ms = entry.serverMilliseconds { lines[0] += " in " + ServerFormat.seconds(Double(ms) / 1000) }
    if let number = entry.item?.number { lines[0] += " · #\(number.text)" }
    let workflow = entry.item.flatMap { try? Workflow(apiJSON: $0.prompt) }
    switch entry.outcome {
    case .failed(let failure):
      let message = session.masked(failure.exceptionMessage).trimmedTrailing
      lines.append("error in node \(failure.nodeID) (\(failure.nodeType)): \(failure.exceptionType)")
      lines += message.split(separator: "\n").map { "  " + $0.trimmedTrailing }
    case .interrupted(let stop):
      lines.append(
        "interrupted"
          + (stop.nodeID.map { " at node \($0)" + (stop.nodeType.map { " (\($0))" } ?? "") } ?? ""))
    default:
      break
    }
    for message in entry.messages {
      if case .executionCached(_, let nodes, _) = message, !nodes.isEmpty {
        lines.append("cached: " + nodes.joined(separator: ", "))
      }
    }
    let files = entry.files
    let rows = files.map { item -> [String] in
      let node = workflow?[item.node]
      return [
        item.node,
        node.map { ServerFormat.label(NodeRun(id: $0.id, classType: $0.classType, title: $0.title)) } ?? "",
        item.file.path,
      ]
    }
    lines += rows.isEmpty ? ["no outputs"] : Render.table(rows)
    session.console.result(lines: lines, json: summary(entry, session: session))
  }

  static func summary(_ entry: HistoryEntry, session: Session) -> JSONObject {
    var object: JSONObject = [
      "type": "history_entry", "prompt_id": .string(entry.promptID), "status": .string(entry.outcome.word),
      "seconds": entry.serverMilliseconds.map { .double(Double($0) / 1000) } ?? .null,
      "number": entry.item?.number.map(JSONValue.number) ?? .null,
      "ours": .bool(entry.item?.clientID == session.server.clientID),
      "outputs": .array(entry.files.map { ServerFormat.fileJSON($0.file, node: $0.node) }),
    ]
    if case .failed(let failure) = entry.outcome {
      object["error"] = [
        "node": .string(failure.nodeID), "node_type": .string(failure.nodeType),
        "exception_type": .string(failure.exceptionType),
        "message": .string(session.masked(failure.exceptionMessage)),
      ]
    }
    return object
  }
}
