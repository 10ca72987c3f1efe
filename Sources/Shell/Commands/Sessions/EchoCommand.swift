struct EchoCommand: Command {
  static let name = "echo"
  static let group = CommandGroup.sessions
  static let usage = "echo TEXT…"
  static let summary = "Print the arguments, separated by spaces, after $NAME expansion."
  static let example = "echo seed is $seed"
  static let arguments: [ArgumentKind] = [.text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let text = arguments.values.map(\.text).joined(separator: " ")
    session.console.result(text, json: ["type": "echo", "text": .string(text)])
  }
}
