import ComfyClient
import Workflow

struct HistoryCommand: Command {
  static let name = "history"
  static let group = CommandGroup.server
  static let usage = "history [ID] [--max N]"
  static let summary =
    "List the server's recent prompts (newest last) with their outcome and outputs, or show one prompt's outcome, time, files and error."
  static let example = "history --max 5"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let maxText = try arguments.option("--max")
    try arguments.expect(0...1)
    let client = session.server.client
    if arguments.count == 1 {
      let id = try session.server.resolvePromptID(arguments[0].text)
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
    let entries = try await session.request { try await client.history(maxItems: limit) }
    let rows = entries.map { entry -> [String] in
      let files = entry.files.count
      return [
        entry.promptID, entry.outcome.word, Render.plural(files, "output"),
        entry.serverMilliseconds.map { ServerFormat.seconds(Double($0) / 1000) } ?? "",
        entry.item?.clientID == session.server.clientID ? "this session" : "",
      ]
    }
    session.console.result(
      lines: rows.isEmpty ? ["the server's history is empty"] : Render.table(rows),
      json: ["type": "history", "prompts": .array(entries.map { .object(summary($0, session: session)) })])
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
