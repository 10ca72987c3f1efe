import Workflow

struct AddCommand: Command {
  static let name = "add"
  static let group = CommandGroup.workflow
  static let usage = "add CLASS [as ID] [NAME=VALUE…]"
  static let summary =
    "Add a node of a class, with the next free id unless `as ID` names one, and optional input values."
  static let example = "add SaveImage as 20 filename_prefix=lighthouse"
  static let arguments: [ArgumentKind] = [.className, .text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    _ = await session.catalog.load()
    guard arguments.count >= 1 else { throw ShellError("add needs a class; usage: \(usage)") }
    let classType = arguments[0].text
    guard !classType.isEmpty, !classType.contains("=") else {
      throw ShellError("add needs a class first; usage: \(usage)")
    }
    var rest = Array(arguments.values.dropFirst())
    var id = session.workflow.nextNodeID()
    if let first = rest.first, first.kind == .bare, first.text == "as" {
      guard rest.count >= 2 else { throw ShellError("`as` needs a node id; usage: \(usage)") }
      let ref = try Address.parseNode(rest[1].raw)
      guard case .id(let chosen) = ref else { throw ShellError("`as` takes a node id, not a title") }
      guard session.workflow[chosen] == nil else {
        throw ShellError(
          "there is already a node \(chosen) (\(session.workflow[chosen]?.classType ?? "?")); choose another id"
        )
      }
      id = chosen
      rest.removeFirst(2)
    }
    var node = try session.checks.newNode(id: id, classType: classType)
    for assignment in rest {
      guard let equals = assignment.raw.firstIndex(of: "="), equals != assignment.raw.startIndex else {
        throw ShellError("\(assignment.raw) is not NAME=VALUE; usage: \(usage)")
      }
      let name = String(assignment.raw[..<equals])
      let valueWord = try Parser.parse(String(assignment.raw[assignment.raw.index(after: equals)...]))
      guard case .command(let words, _, _)? = valueWord.first, words.count == 1 else {
        throw ShellError(
          "\(assignment.raw): the value after = is missing or has spaces; quote it: \(name)=\"…\"")
      }
      let value = try session.inputValue(try words[0].expand { session.variables[$0] })
      if case .value(let raw) = value {
        let (coerced, note) = try session.checks.coerce(raw, input: name, of: node)
        node.setInput(name, .value(coerced))
        if let note { session.console.print(note) }
      } else {
        if case .link(let source, let slot) = value {
          try session.checks.checkLink(from: source, slot: slot, to: name, of: node)
        }
        node.setInput(name, value)
      }
    }
    let added = node
    try session.document.edit { editor in editor.insert(added) }
    var line = "added \(NodeRef.id(id))  \(classType)"
    if let title = added.title { line += "  " + JSONValue.string(title).serialized() }
    session.console.result(
      line,
      json: [
        "type": "added", "id": .string(id), "class_type": .string(classType), "node": .object(added.fields),
      ])
    for note in session.checks.addNotes(for: added) { session.console.print(note) }
  }
}
