import ComfyRules
import Workflow

struct CatalogCommand: Command {
  static let name = "catalog"
  static let group = CommandGroup.server
  static let usage = "catalog [--refresh] [PATTERN]"
  static let summary =
    "Search the node classes by class name, display name or category; without PATTERN, say where the catalog comes from. --refresh fetches it again."
  static let example = "catalog upscale"
  static let arguments: [ArgumentKind] = [.className]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let refresh = arguments.flag("--refresh")
    try arguments.expect(0...1)
    if refresh { session.catalog.reset(refreshing: true) }
    guard let catalog = await session.catalog.load() else {
      throw ShellError(
        "no node catalog: \(session.catalog.unavailableReason ?? "unknown reason"); connect to a server (`server URL`) or start with --catalog FILE"
      )
    }
    guard arguments.count == 1 else {
      let apiNodes = catalog.summaries.filter(\.isAPINode).count
      var line =
        "catalog: \(Render.plural(catalog.count, "node class", "node classes")) (\(apiNodes) paid API nodes) from \(session.catalog.source ?? "?")"
      if let version = catalog.comfyUIVersion { line += " · ComfyUI \(version)" }
      let rules = ValidationRules(for: catalog)
      line += " · validates as \(rules)"
      session.console.result(
        line,
        json: [
          "type": "catalog", "classes": .int(catalog.count), "api_nodes": .int(apiNodes),
          "source": .string(session.catalog.source ?? ""),
          "comfyui_version": catalog.comfyUIVersion.map(JSONValue.string) ?? .null,
          "rules": .string(rules.recordedVersion),
        ])
      return
    }
    let matches = catalog.search(arguments[0].text)
    if session.console.jsonMode {
      session.console.emit([
        "type": "catalog_search", "pattern": .string(arguments[0].text),
        "classes": .array(
          matches.map {
            [
              "class_type": .string($0.name), "display_name": .string($0.displayName),
              "category": .string($0.category),
              "api_node": .bool($0.isAPINode), "output_node": .bool($0.isOutputNode),
            ]
          }),
      ])
      return
    }
    guard !matches.isEmpty else {
      session.console.print("no node class matches \(arguments[0].text)")
      return
    }
    let limit = 40
    var rows = matches.prefix(limit).map { nodeClass -> [String] in
      var flags: [String] = []
      if nodeClass.isAPINode { flags.append("paid") }
      if nodeClass.isOutputNode { flags.append("output") }
      if nodeClass.isDeprecated { flags.append("deprecated") }
      if nodeClass.isExperimental { flags.append("experimental") }
      return [
        nodeClass.name, JSONValue.string(nodeClass.displayName).serialized(), nodeClass.category,
        flags.joined(separator: ","),
      ]
    }
    if matches.count > limit {
      rows.append(["… \(matches.count - limit) more; narrow the pattern", "", "", ""])
    }
    session.console.print(lines: Render.table(rows))
  }
}
