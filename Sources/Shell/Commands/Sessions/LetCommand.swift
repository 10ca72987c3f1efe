struct LetCommand: Command {
  static let name = "let"
  static let group = CommandGroup.sessions
  static let usage = "let NAME = VALUE"
  static let summary = "Define a variable; $NAME (or ${NAME}) in any later argument is replaced by its value."
  static let example = "let prompt = \"a lighthouse at dusk\""
  static let arguments: [ArgumentKind] = [.text, .word(["="]), .value]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    guard arguments.count == 3, arguments[1].kind == .bare, arguments[1].text == "=" else {
      throw ShellError("write it as: let NAME = VALUE (quote a value with spaces)")
    }
    let name = arguments[0].text
    guard Parser.isVariableName(name) else {
      throw ShellError(
        "\(name) cannot be a variable name; use letters, digits and _ (not starting with a digit)")
    }
    session.variables[name] = arguments[2].text
  }
}
