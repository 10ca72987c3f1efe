import ComfyClient
import Workflow

struct OutputsCommand: Command {
  static let name = "outputs"
  static let group = CommandGroup.server
  static let usage = "outputs [ID]"
  static let summary =
    "List the files the last prompt (or prompt ID) wrote, node by node, and the previews kept from the live socket; `download` fetches them."
  static let example = "outputs"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    let id = try session.server.promptID(arguments.isEmpty ? nil : arguments[0], command: name)
    let result = try await PromptOutputs.find(id, session: session)
    var lines: [String] = []
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

/// A prompt's files and previews, from this session's tracker or else from the server's history.
struct PromptOutputs {
  var files: [(node: String, file: OutputFile)]
  var previews: [(node: String?, image: PreviewImage)]
  var finished: Bool
  var nodes: [String: NodeRun]

  func label(_ node: String) -> String { nodes[node].map(ServerFormat.label) ?? "" }

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
