import Workflow

struct TitleCommand: Command {
  static let name = "title"
  static let group = CommandGroup.workflow
  static let usage = "title NODE TEXT"
  static let summary = "Set a node's title (_meta.title), which the UI shows and @title addresses match."
  static let example = "title 12 \"Final image\""
  static let arguments: [ArgumentKind] = [.node, .text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    guard arguments.count >= 2 else { throw ShellError("title needs a node and the text; usage: \(usage)") }
    if arguments.count > 2 {
      throw ShellError(
        "title takes one text; quote it: title \(arguments[0].raw) \"\(arguments.values.dropFirst().map(\.text).joined(separator: " "))\""
      )
    }
    let id = try session.resolveNode(arguments[0])
    let text = arguments[1].text
    guard !text.isEmpty else { throw ShellError("a title cannot be empty") }
    try session.document.edit { editor in editor.update(id) { $0.title = text } }
    session.console.emit(["type": "title", "id": .string(id), "title": .string(text)])
  }
}
