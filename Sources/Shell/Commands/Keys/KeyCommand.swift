import Workflow

/// Each `key` subcommand is a command of its own (`KeyAddCommand`…); this one only dispatches,
/// so `help key` and errors list them all.
struct KeyCommand: Command {
  static let name = "key"
  static let aliases = ["keys"]
  static let group = CommandGroup.keys
  static let usage = "key add|use|none|list|rm [NAME]"
  static let summary =
    "Named API keys for paid API nodes: add (read without echo), use, none, list (masked), rm; `key` alone lists."
  static let example = "key use work"
  static let arguments: [ArgumentKind] = [.word(subcommands.map { $0.verb }), .name("keys")]

  static let subcommands: [any KeySubcommand.Type] = [
    KeyAddCommand.self, KeyUseCommand.self, KeyNoneCommand.self, KeyListCommand.self, KeyRmCommand.self,
  ]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    guard !arguments.isEmpty else {
      var rest = Arguments(command: KeyListCommand.name, usage: KeyListCommand.usage, values: [])
      try await KeyListCommand.run(&rest, in: session)
      return
    }
    let verb = arguments[0].text
    guard arguments[0].kind == .bare,
      let command = subcommands.first(where: { $0.verb == verb || $0.aliases.contains(verb) })
    else {
      let verbs = subcommands.map { $0.verb }
      var message = "key has no subcommand \(verb)"
      if let close = Suggest.closest(verb, in: verbs) { message += " (did you mean key \(close)?)" }
      message += "; usage: " + subcommands.map { $0.usage }.joined(separator: " | ")
      throw ShellError(message)
    }
    var rest = Arguments(
      command: command.name, usage: command.usage, values: Array(arguments.values.dropFirst()))
    try await command.run(&rest, in: session)
  }
}

/// A `key` subcommand: a command whose name is `key VERB`.
@MainActor
protocol KeySubcommand: Command {
  static var verb: String { get }
}

extension KeySubcommand {
  static var name: String { "key " + verb }
  static var group: CommandGroup { .keys }
}
