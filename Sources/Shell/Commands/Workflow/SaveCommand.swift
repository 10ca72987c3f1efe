import Media
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
      if case .other(let what) = FileIO.kind(of: path) {
        throw ShellError("\(shownName) is \(what), not a regular file; save writes only regular files")
      }
      if !isCurrentFile && FileIO.exists(path) {
        guard force else {
          throw ShellError("\(shownName) already exists; `save -f \(shownName)` replaces it")
        }
        if let kind = try await notReplaceableKind(path) {
          throw ShellError(
            "\(shownName) is \(kind); save writes API-format JSON and never replaces it, so give another name: save \(suggestedName(path))"
          )
        }
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
    // An unedited "Export (API)" file saves to the same bytes wherever it goes (it may lack the newline).
    let trailingNewline = document.format == .api ? document.trailingNewline : true
    try WorkflowFile.save(document.workflow, to: path, trailingNewline: trailingNewline)
    session.document.markSaved(path: path, trailingNewline: trailingNewline)
    session.console.result(
      "saved \(shownName) · \(Render.plural(document.workflow.count, "node"))",
      json: ["type": "saved", "file": .string(shownName), "nodes": .int(document.workflow.count)])
  }

  /// What an existing file is when `save -f` must not replace it with API JSON: a PNG (the image and its
  /// workflow would be lost) or a UI-format workflow (its layout would be).
  static func notReplaceableKind(_ path: String) async throws -> String? {
    let bytes: [UInt8]
    do {
      bytes = try await FileIO.readInterruptibly(path)
    } catch {
      // Unreadable or too large to be a workflow: the write reports what is wrong with the path.
      return nil
    }
    if PNGChunks.isPNG(bytes) { return "a PNG image" }
    if let value = try? JSONValue.parse(bytes: bytes), WorkflowFile.isUIFormat(value) {
      return "a UI-format workflow"
    }
    return nil
  }

  /// `flux.png` → `flux.json`.
  static func suggestedName(_ path: String) -> String {
    var base = FileIO.baseName(of: path)
    if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
    if base.hasSuffix(".ui") { base = String(base.dropLast(3)) }
    return base + ".api.json"
  }
}
