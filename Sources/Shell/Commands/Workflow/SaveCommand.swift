import Workflow

struct SaveCommand: Command {
  static let name = "save"
  static let group = CommandGroup.workflow
  static let usage = "save [-f] [FILE]"
  static let summary =
    "Save the workflow as API-format JSON (atomically; key order and number text are kept); -f replaces another existing file."
  static let example = "save flux-edited.json"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let force = arguments.flag("-f", "--force")
    try arguments.expect(0...1)
    let document = session.document.current
    let path: String
    let shownName: String
    if arguments.count == 1 {
      shownName = arguments[0].text
      path = session.resolvePath(arguments[0].text)
      let isCurrentFile = path == document.path && document.format == .api
      if FileIO.isFolder(path) {
        throw ShellError("\(shownName) is a folder; give a file name, e.g. save \(shownName)/workflow.json")
      }
      if !isCurrentFile && FileIO.exists(path) && !force {
        throw ShellError("\(shownName) already exists; `save -f \(shownName)` replaces it")
      }
    } else {
      guard let current = document.path else {
        throw ShellError("the workflow has no file yet; give one: save FILE.json")
      }
      guard document.format == .api else {
        let kind = document.format?.rawValue ?? "file"
        throw ShellError(
          "\(document.name) is a \(kind); saving writes API-format JSON, so give a new name: save \(suggestedName(current))"
        )
      }
      path = current
      shownName = arguments.isEmpty ? document.name : arguments[0].text
    }
    let trailingNewline = path == document.path ? document.trailingNewline : true
    try WorkflowFile.save(document.workflow, to: path, trailingNewline: trailingNewline)
    session.document.markSaved(path: path, trailingNewline: trailingNewline)
    session.console.result(
      "saved \(shownName) · \(Render.plural(document.workflow.count, "node"))",
      json: ["type": "saved", "file": .string(shownName), "nodes": .int(document.workflow.count)])
  }

  /// `flux.png` → `flux.json`.
  static func suggestedName(_ path: String) -> String {
    var base = FileIO.baseName(of: path)
    if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
    if base.hasSuffix(".ui") { base = String(base.dropLast(3)) }
    return base + ".api.json"
  }
}
