import ComfyClient
import Workflow

struct ViewCommand: Command {
  static let name = "view"
  static let group = CommandGroup.running
  static let usage = "view [ID | FILE | NODE] [--rows N]"
  static let summary =
    "Show what the last prompt (or prompt ID) made, a file, or NODE's latest output, in the terminal: pictures drawn with the terminal's graphics protocol (`images` says which), at most --rows rows each; video and audio as their length and size. Off a terminal, under --json or with `images off`, the names and sizes only."
  static let example = "view 9"
  static let arguments: [ArgumentKind] = [.node]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let rowsText = try arguments.option("--rows")
    try arguments.expect(0...1)
    var maxRows: Int?
    if let rowsText {
      guard let rows = Int(rowsText.text), (1...1000).contains(rows) else {
        throw ShellError("--rows takes a number of terminal rows from 1 to 1000, not \(rowsText.text)")
      }
      maxRows = rows
    }
    guard !arguments.isEmpty else {
      let id = try session.server.promptID(nil, command: name)
      try await showPrompt(id, node: nil, session: session, maxRows: maxRows)
      return
    }
    let argument = arguments[0]
    if let node = try? session.resolveNode(argument), session.workflow.nodes[node] != nil {
      guard let id = await latestPrompt(writing: node, session: session) else {
        throw ShellError(
          "node \(node) wrote no files in this session's prompts; `run` and `watch` first, or `view ID` for a prompt of another session"
        )
      }
      try await showPrompt(id, node: node, session: session, maxRows: maxRows)
      return
    }
    let path = session.resolvePath(argument.text)
    if FileIO.exists(path) {
      guard !FileIO.isFolder(path) else {
        throw ShellError("\(argument.text) is a folder; `view` shows a file")
      }
      let bytes: [UInt8]
      do {
        bytes = try FileIO.read(path, limit: .workflow)
      } catch {
        throw ShellError("cannot read \(argument.text): \(error.reason)")
      }
      session.showMedia(
        bytes, name: argument.text, lead: "", json: ["type": "view", "file": .string(path)], maxRows: maxRows)
      return
    }
    let id = try session.server.resolvePromptID(argument.text)
    guard session.server.promptRecord(id) != nil || looksLikePromptID(id) else {
      throw ShellError(
        "\(argument.text) is not a node of the workflow, a file, or a prompt id; `nodes` lists nodes, `history` lists prompts"
      )
    }
    try await showPrompt(id, node: nil, session: session, maxRows: maxRows)
  }

  /// ComfyUI's prompt ids are UUIDs (`8-4-4-4-12` hex digits).
  static func looksLikePromptID(_ text: String) -> Bool {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    return parts.map(\.count) == [8, 4, 4, 4, 12] && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }
  }

  /// The newest prompt of this session that has files from `node`.
  static func latestPrompt(writing node: String, session: Session) async -> String? {
    for record in session.server.records.reversed() {
      if let tracker = await session.server.tracker(record.id),
        tracker.outputs.contains(where: { $0.node == node })
      {
        return record.id
      }
    }
    return nil
  }

  static func showPrompt(_ id: String, node: String?, session: Session, maxRows: Int?) async throws {
    let result = try await PromptOutputs.find(id, session: session)
    let files = result.files.filter { node == nil || $0.node == node }
    guard !files.isEmpty else {
      throw ShellError(
        result.finished
          ? "prompt \(id) wrote no files" : "prompt \(id) has written no files yet (`watch` it first)")
    }
    let width = files.map(\.node.count).max() ?? 1
    var failures: [String] = []
    for item in files {
      let label = result.label(item.node)
      let lead = item.node.padding(to: width) + "  " + (label.isEmpty ? "" : label + "  ")
      let bytes: [UInt8]
      do {
        bytes = try await session.request { try await session.server.client(for: id).view(item.file) }
      } catch {
        let message = ShellError.server(error, session: session).message
        session.console.warning("cannot fetch \(item.file.path): \(message)")
        failures.append(item.file.path)
        continue
      }
      session.showMedia(
        bytes, name: item.file.path, lead: lead,
        json: [
          "type": "view", "prompt_id": .string(id), "node": .string(item.node),
          "file": ServerFormat.fileJSON(item.file),
        ], maxRows: maxRows)
    }
    if failures.count == files.count {
      throw ShellError("none of prompt \(id)'s files could be fetched from \(session.server.address)")
    }
  }
}
