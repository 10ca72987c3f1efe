import Workflow

struct SourceCommand: Command {
  static let name = "source"
  static let aliases = ["."]
  static let group = CommandGroup.sessions
  static let usage = "source FILE"
  static let summary =
    "Run the commands of a script file in this session (its paths are relative to its folder); stops at its first failure."
  static let example = "source sweep.comfy"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    guard let interpreter = session.interpreter else { return }
    let path = session.resolvePath(arguments[0].text)
    let text: String
    do {
      text = try FileIO.readText(path)
    } catch {
      throw ShellError("cannot read \(arguments[0].text): \(error.reason)")
    }
    let statements: [Statement]
    do {
      statements = try Parser.parse(text)
    } catch {
      throw ShellError("\(arguments[0].text):\(error.line): \(error.message)")
    }
    let savedFolder = session.baseFolder
    session.baseFolder = FileIO.parentFolder(of: path)
    defer { session.baseFolder = savedFolder }
    for statement in statements {
      if session.quitRequested { return }
      do {
        try await interpreter.execute(statement)
      } catch let failure as Interpreter.LocatedFailure {
        let command = failure.source.map { "\($0.oneLine): " } ?? ""
        throw ShellError("\(arguments[0].text):\(failure.line): \(command)\(failure.error.message)")
      }
    }
  }
}
