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
    guard SourceCommand.depth < SourceCommand.maximumDepth else {
      throw ShellError(
        "source nests deeper than \(SourceCommand.maximumDepth) scripts (does \(arguments[0].text) source itself?)"
      )
    }
    let text: String
    do {
      text = String(decoding: try await FileIO.readInterruptibly(path, limit: .script), as: UTF8.self)
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
    try await SourceCommand.$depth.withValue(SourceCommand.depth + 1) {
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

  /// How many `source` commands are running inside each other in this task.
  @TaskLocal static var depth = 0
  /// Deeper is refused: a script that sources itself would otherwise recurse until the stack ran out.
  static let maximumDepth = 32
}
