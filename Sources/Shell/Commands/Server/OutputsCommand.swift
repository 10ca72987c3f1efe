import ComfyClient
import Workflow

struct OutputsCommand: Command {
  static let name = "outputs"
  static let group = CommandGroup.server
  static let usage = "outputs [ID | --all]"
  static let summary =
    "List the files the last prompt (or prompt ID) wrote, node by node, and the previews kept from the live socket; --all lists every prompt this session ran, each with the server (pool member) it ran on; `download` fetches them."
  static let example = "outputs"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let all = arguments.flag("--all")
    try arguments.expect(all ? 0...0 : 0...1)
    if all {
      try await listAll(session)
      return
    }
    let id = try session.server.promptID(arguments.isEmpty ? nil : arguments[0], command: name)
    let result = try await PromptOutputs.find(id, session: session)
    var lines: [String] = []
    let member = session.server.onMember(id)
    if !member.isEmpty { lines.append("prompt \(id) ran\(member)") }
    let rows = result.files.map { item -> [String] in
      [item.node, result.label(item.node), item.file.path]
    }
    if rows.isEmpty {
      lines.append(result.finished ? "prompt \(id) wrote no files" : "prompt \(id) has written no files yet")
    } else {
      lines += Render.table(rows)
    }
    if !result.previews.isEmpty {
      var perNode: [(String, Int)] = []
      for preview in result.previews {
        let node = preview.node ?? "?"
        if let index = perNode.firstIndex(where: { $0.0 == node }) {
          perNode[index].1 += 1
        } else {
          perNode.append((node, 1))
        }
      }
      lines.append(
        "previews: " + Render.plural(result.previews.count, "image") + " ("
          + perNode.map { "node \($0.0): \($0.1)" }.joined(separator: ", ")
          + "); `download --previews` saves them")
    }
    session.console.result(
      lines: lines,
      json: [
        "type": "outputs", "prompt_id": .string(id), "finished": .bool(result.finished),
        "files": .array(result.files.map { ServerFormat.fileJSON($0.file, node: $0.node) }),
        "previews": .array(
          result.previews.map {
            [
              "node": $0.node.map(JSONValue.string) ?? .null, "format": .string($0.image.format.name),
              "bytes": .int($0.image.bytes.count),
            ]
          }),
      ])
  }
}

extension OutputsCommand {
  /// `outputs --all`: every prompt of this session with its server and files, a row per file.
  static func listAll(_ session: Session) async throws {
    let everything = try await PromptOutputs.everyPrompt(session)
    var rows: [[String]] = []
    var objects: [JSONValue] = []
    for prompt in everything {
      if prompt.files.isEmpty {
        rows.append([String(prompt.id.prefix(8)), prompt.server, "", "", prompt.problem ?? "no files"])
      }
      for item in prompt.files {
        rows.append([
          String(prompt.id.prefix(8)), prompt.server, item.node, prompt.label(item.node), item.file.path,
        ])
      }
      objects.append([
        "prompt_id": .string(prompt.id), "server": .string(prompt.server),
        "files": .array(prompt.files.map { ServerFormat.fileJSON($0.file, node: $0.node) }),
        "problem": prompt.problem.map(JSONValue.string) ?? .null,
      ])
    }
    let fileCount = everything.reduce(0) { $0 + $1.files.count }
    let lines =
      Render.table(rows)
      + [
        "\(Render.plural(everything.count, "prompt")), \(Render.plural(fileCount, "file")); `download DIR --all` saves them"
      ]
    session.console.result(lines: lines, json: ["type": "outputs_all", "prompts": .array(objects)])
  }
}

/// A prompt's files and previews, from this session's tracker or else from the server's history.
struct PromptOutputs {
  var files: [(node: String, file: OutputFile)]
  var previews: [(node: String?, image: PreviewImage)]
  var finished: Bool
  var nodes: [String: NodeRun]

  func label(_ node: String) -> String { nodes[node].map(ServerFormat.label) ?? "" }

  /// One prompt of `outputs --all` / `download --all`: where it ran and what it wrote.
  struct OfPrompt {
    var id: String
    /// The pool member's name, else the server's address.
    var server: String
    var files: [(node: String, file: OutputFile)]
    var nodes: [String: NodeRun]
    /// Why its files are not known (the server no longer has it, or it failed), for the row.
    var problem: String?

    func label(_ node: String) -> String { nodes[node].map(ServerFormat.label) ?? "" }
  }

  /// Every prompt this session ran, oldest first (each once, as moved prompts keep their last id).
  @MainActor
  static func everyPrompt(_ session: Session) async throws -> [OfPrompt] {
    let records = session.server.records
    guard !records.isEmpty else {
      throw ShellError("no prompt was run in this session: `run` first")
    }
    var seen: Set<String> = []
    var result: [OfPrompt] = []
    for record in records where seen.insert(record.id).inserted {
      let server = session.server.member(of: record.id)?.name ?? record.server.description
      do {
        let found = try await find(record.id, session: session)
        var problem: String?
        if !found.finished { problem = "still running (`watch` it first)" }
        result.append(
          OfPrompt(id: record.id, server: server, files: found.files, nodes: found.nodes, problem: problem))
      } catch {
        result.append(
          OfPrompt(
            id: record.id, server: server, files: [], nodes: [:],
            problem: ShellError.server(error, session: session).message))
      }
    }
    return result
  }

  @MainActor
  static func find(_ id: String, session: Session) async throws -> PromptOutputs {
    if let tracker = await session.server.tracker(id) {
      var nodes: [String: NodeRun] = [:]
      for run in tracker.nodes.values { nodes[run.id] = run }
      return PromptOutputs(
        files: tracker.outputs, previews: tracker.previews, finished: tracker.isFinished, nodes: nodes)
    }
    let client = session.server.client(for: id)
    guard let entry = try await session.request({ try await client.history(promptID: id) }) else {
      throw ShellError("\(client.server) has no prompt \(id) in its history (`history` lists recent ones)")
    }
    var nodes: [String: NodeRun] = [:]
    if let prompt = entry.item.flatMap({ try? Workflow(apiJSON: $0.prompt) }) {
      for node in prompt.nodes.values {
        nodes[node.id] = NodeRun(id: node.id, classType: node.classType, title: node.title)
      }
    }
    return PromptOutputs(files: entry.files, previews: [], finished: true, nodes: nodes)
  }
}
