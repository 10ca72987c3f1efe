import ComfyClient
import ComfyRules
import Workflow

struct ExplainCommand: Command {
  static let name = "explain"
  static let group = CommandGroup.teaching
  static let usage = "explain [error|NODE|NODE.INPUT|CLASS]"
  static let summary =
    "Explain in words: a node (what it does, where each input's value comes from, what its outputs feed, whether the next run will take it from the server's cache, how it looks in the payload), one input, a class, or the last error of `validate`, `run` or `watch` (the default) and the command that fixes it."
  static let example = "explain 3.seed"
  static let arguments: [ArgumentKind] = [.input]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    let catalog = await session.catalog.load()
    let lines: [String]
    if arguments.isEmpty || arguments[0].text == "error" {
      lines = try ExplainWords.problem(session: session, catalog: catalog)
    } else {
      let text = arguments[0].raw
      if let catalog, let nodeClass = catalog[className: text],
        (try? session.resolveNode(arguments[0])) == nil
      {
        lines = ExplainWords.nodeClass(nodeClass, catalog: catalog)
      } else if let id = try? session.resolveNode(arguments[0]) {
        lines = ExplainWords.node(id, session: session, catalog: catalog)
      } else if text.contains("."), let address = try? Address.parseInput(text),
        let id = try? session.workflow.resolve(address.node)
      {
        lines = try ExplainWords.input(address.name, of: id, session: session, catalog: catalog)
      } else {
        let close = catalog?.suggestions(for: text) ?? []
        throw ShellError(
          "\(text) is not a node, an input or a node class\(close.isEmpty ? "" : " (did you mean \(close.joined(separator: ", "))?)"); `nodes` lists the nodes, `catalog PATTERN` the classes"
        )
      }
    }
    session.console.result(
      lines: lines, json: ["type": "explain", "lines": .array(lines.map(JSONValue.string))])
  }
}
