/// `help [COMMAND]`: every command with one sentence, or one command's usage, description and example.
struct HelpCommand: Command {
  static let name = "help"
  static let aliases = ["?"]
  static let group = CommandGroup.sessions
  static let usage = "help [COMMAND]"
  static let summary = "List the commands, or show one command's usage, what it does and an example."
  static let example = "help link"
  static let arguments: [ArgumentKind] = [.command]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    if arguments.count == 1 {
      let name = arguments[0].text
      guard let command = CommandRegistry.command(named: name) else {
        throw ShellError(CommandRegistry.unknownCommandMessage(name))
      }
      var lines = ["usage: \(command.usage)", "  \(command.summary)", "example: \(command.example)"]
      if !command.aliases.isEmpty { lines.append("also: \(command.aliases.joined(separator: ", "))") }
      session.console.result(
        lines: lines,
        json: [
          "type": "help", "command": .string(command.name), "usage": .string(command.usage),
          "summary": .string(command.summary), "example": .string(command.example),
        ])
      return
    }
    var lines: [String] = []
    for group in CommandGroup.allCases {
      let commands = CommandRegistry.all.filter { $0.group == group }
      guard !commands.isEmpty else { continue }
      if !lines.isEmpty { lines.append("") }
      lines.append(group.rawValue + ":")
      lines += Render.table(commands.map { [$0.usage, $0.summary] })
    }
    lines.append("")
    lines.append(
      "`help COMMAND` shows an example. Values: \"text\", 'text', 42, true, null, [\"list\"], @file.txt.")
    lines.append(
      "Addresses: 11, \"a.b\", @title or @\"Save Image\"; NODE.INPUT; NODE:SLOT (194:45:0 is node 194:45, slot 0)."
    )
    session.console.result(
      lines: lines,
      json: ["type": "help", "commands": .array(CommandRegistry.all.map { .string($0.name) })])
  }
}
