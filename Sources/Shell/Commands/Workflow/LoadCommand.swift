import Workflow

struct LoadCommand: Command {
  static let name = "load"
  static let group = CommandGroup.workflow
  static let usage = "load [--ui | --api] FILE"
  static let summary =
    "Load a workflow: API-format JSON, a UI-format JSON (subgraphs too), a POST /prompt body, or a ComfyUI PNG or WEBP."
  static let example = "load --ui render.png"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let ui = arguments.flag("--ui")
    let api = arguments.flag("--api")
    if ui && api {
      throw ShellError(
        "--ui and --api exclude each other: --ui converts the UI workflow, --api reads the API prompt")
    }
    try arguments.expect(1)
    let prefer: WorkflowFile.Preference = ui ? .ui : api ? .api : .automatic
    let path = session.resolvePath(arguments[0].text)
    let file = try await session.readWorkflowFile(path, prefer: prefer)
    let unsaved = session.document.unsavedEditCount
    session.document.replace(
      with: Document(
        workflow: file.workflow, path: path, format: file.format, uiWorkflow: file.uiWorkflow,
        trailingNewline: file.trailingNewline, savedWorkflow: file.workflow, savedMarker: 0))
    var line =
      "loaded \(arguments[0].text) · \(Render.plural(file.workflow.count, "node")) · \(file.format.rawValue)"
    if let source = file.source { line += ", " + source }
    var json: JSONObject = [
      "type": "loaded", "file": .string(arguments[0].text), "nodes": .int(file.workflow.count),
      "format": .string(file.format.rawValue),
    ]
    if let source = file.source { json["source"] = .string(source) }
    if !file.unknownTypes.isEmpty {
      json["unknown_types"] = .object(
        JSONObject(
          uniqueKeysWithValues: file.unknownTypes.map { ($0.key, .array($0.value.map { .string($0) })) }))
    }
    session.console.result(line, json: json)
    if !file.unknownTypes.isEmpty {
      let listed = file.unknownTypes.map { type, ids in
        "\(type) (\(ids.count == 1 ? "node" : "nodes") \(ids.joined(separator: ", ")))"
      }
      let types = file.unknownTypes.count == 1 ? "the node type" : "\(file.unknownTypes.count) node types:"
      session.console.warning(
        "the catalog does not know \(types) \(listed.joined(separator: ", ")); the nodes are kept with their "
          + "links and values, and the server refuses the workflow until their custom nodes are installed")
    }
    if unsaved > 0 {
      session.console.warning(
        "the previous workflow had \(Render.plural(unsaved, "unsaved edit")); `undo` brings it back")
    }
  }
}
