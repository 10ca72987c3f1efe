import ComfyClient
import Workflow

struct UploadCommand: Command {
  static let name = "upload"
  static let group = CommandGroup.server
  static let usage = "upload FILE [INPUT] [--overwrite] [--subfolder DIR]"
  static let summary =
    "Upload an image to the server's input folder; with INPUT (e.g. 14.image) set that input to the name the server stored it under (an edit `undo` takes back)."
  static let example = "upload cat.png 14.image"
  static let arguments: [ArgumentKind] = [.path, .input]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let overwrite = arguments.flag("--overwrite")
    let subfolder = try arguments.option("--subfolder")?.text ?? ""
    try arguments.expect(1...2)
    let path = session.resolvePath(arguments[0].text)
    // Check the input before sending anything, so a typo does not leave a stray upload behind.
    var target: (node: String, input: String)?
    if arguments.count == 2 {
      let address = try Address.parseInput(arguments[1].raw)
      let id = try session.workflow.resolve(address.node)
      if let node = session.workflow[id] {
        try session.checks.checkInputName(
          address.name, of: node, allowNew: false, command: session.currentCommandName)
        if node.input(address.name)?.isLink == true {
          throw ShellError(
            "\(NodeRef.id(id)).\(address.name) is linked; `unlink` it first to set a file name")
        }
      }
      target = (id, address.name)
    }
    let bytes: [UInt8]
    do {
      bytes = try await FileIO.readInterruptibly(path, limit: .workflow)
    } catch {
      throw ShellError("cannot read \(arguments[0].text): \(error.reason)")
    }
    let filename = FileIO.baseName(of: path)
    // With a pool in use the file goes to every member that is up: any of them may run the workflow.
    let members = session.server.pool?.members.filter { $0.isUp } ?? []
    let primary = members.first?.connection.client ?? session.server.client
    let uploaded = try await session.request {
      try await primary.uploadImage(bytes, filename: filename, subfolder: subfolder, overwrite: overwrite)
    }
    for member in members.dropFirst() {
      let client = member.connection.client
      let copy = try await session.request {
        try await client.uploadImage(bytes, filename: filename, subfolder: subfolder, overwrite: overwrite)
      }
      if copy.inputValue != uploaded.inputValue {
        session.console.warning(
          "\(member.name) named the file \(copy.inputValue), not \(uploaded.inputValue) (it had a file of that name); `upload --overwrite` gives every member the same name"
        )
      }
    }
    if members.count > 1 {
      session.console.notice(
        "uploaded to the \(members.count) members of pool \(session.server.pool?.name ?? "")")
    }
    var text =
      "uploaded \(filename) → \(uploaded.type)/"
      + (uploaded.subfolder.isEmpty ? "" : uploaded.subfolder + "/")
      + uploaded.name
    session.server.uploadedNames.insert(uploaded.inputValue)
    if uploaded.name != filename { text += " (renamed by the server: another file had that name)" }
    var object: JSONObject = [
      "type": "upload", "file": .string(filename), "name": .string(uploaded.name),
      "subfolder": .string(uploaded.subfolder), "folder": .string(uploaded.type),
      "value": .string(uploaded.inputValue),
    ]
    if let target {
      try session.document.edit("upload \(filename) \(NodeRef.id(target.node)).\(target.input)") { editor in
        editor.update(target.node) { $0.setInput(target.input, .value(.string(uploaded.inputValue))) }
      }
      text += " · \(NodeRef.id(target.node)).\(target.input) = \(Render.value(.string(uploaded.inputValue)))"
      object["node"] = .string(target.node)
      object["input"] = .string(target.input)
    }
    session.console.result(text, json: object)
  }
}
