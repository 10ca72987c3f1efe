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
