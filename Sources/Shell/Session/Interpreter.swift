/// Runs parsed statements against a session: looks commands up, expands variables, runs loops,
/// and reports failures with their location.
@MainActor
public final class Interpreter {
  public let session: Session
  /// What locations are called in messages: a script's file name, `-c`, `stdin`; nil at the prompt.
  public var sourceName: String?
  /// Go on after a failing command instead of stopping (`--keep-going`).
  public var keepGoing = false
  /// Called after each top-level statement, with what it printed and whether it failed (the recorder).
  public var afterStatement: ((Statement, [String], ShellError?) -> Void)?
  /// How many commands failed so far.
  public private(set) var failures = 0

  public init(session: Session) {
    self.session = session
    session.interpreter = self
  }

  /// A failure and the line it happened on.
  struct LocatedFailure: Error {
    let line: Int
    let error: ShellError
    /// The failing command as typed (the innermost one inside a loop).
    var source: String? = nil
  }

  /// Counts a failure found outside `run` (a syntax error in piped input).
  public func recordFailure() { failures += 1 }

  /// Forgets failures (after the init script, which must not fail the session).
  public func resetFailures() { failures = 0 }

  /// Runs statements in order; stops at the first failure unless `keepGoing`. True if all succeeded.
  @discardableResult
  public func run(_ statements: [Statement]) async -> Bool {
    var allSucceeded = true
    for statement in statements {
      if session.quitRequested { break }
      let recorder = Interpreter.isRecordCommand(statement) ? nil : session.recorder
      let capturing = afterStatement != nil || recorder != nil
      if capturing { session.console.beginCapture() }
      var failure: LocatedFailure?
      do {
        try await execute(statement)
      } catch let located as LocatedFailure {
        failure = located
      } catch {
        failure = LocatedFailure(
          line: statement.line, error: ShellError.from(error), source: statement.source)
      }
      if let failure {
        failures += 1
        allSucceeded = false
        report(failure)
      }
      session.console.flush()
      if capturing {
        let output = session.console.endCapture()
        afterStatement?(statement, output, failure?.error)
        // `record stop` inside the statement ends the recording; only a still-open recorder writes.
        if let recorder, recorder === session.recorder {
          if let failure {
            recorder.recordFailure(source: statement.source, message: failure.error.message)
          } else {
            recorder.record(source: statement.source, output: output)
          }
          if let keeper = recorder.outputKeeper {
            recorder.annotate(await keeper.keepFinishedOutputs(of: session))
          }
          if let problem = recorder.writeError {
            stopRecording(recorder, problem)
            allSucceeded = false
          }
        }
      }
      session.onChange?()
      if failure != nil && !keepGoing { break }
    }
    return allSucceeded
  }

  /// A recording that can no longer be written ends with an error, and the session fails (exit status 1).
  private func stopRecording(_ recorder: Recorder, _ problem: String) {
    session.recorder = nil
    failures += 1
    session.console.error(
      "the recording to \(recorder.path) stopped: \(problem); it holds every command up to the one before")
    session.console.flush()
  }

  /// Parses and runs text typed or passed with `-c`.
  @discardableResult
  public func run(text: String, firstLine: Int = 1) async -> Bool {
    do {
      return await run(try Parser.parse(text, firstLine: firstLine))
    } catch {
      failures += 1
      report(LocatedFailure(line: error.line, error: ShellError(error.message)))
      session.console.flush()
      return false
    }
  }

  /// At the prompt: `error: MESSAGE`. In a script: `FILE:LINE: COMMAND: MESSAGE`, so the line can be found.
  private func report(_ failure: LocatedFailure) {
    guard let sourceName else {
      session.console.error(failure.error.message)
      return
    }
    var message = failure.error.message
    if let source = failure.source, !source.isEmpty { message = "\(source.oneLine): \(message)" }
    session.console.error(message, location: "\(sourceName):\(failure.line)")
  }

  func execute(_ statement: Statement) async throws {
    switch statement {
    case .command(let words, let line, let source):
      guard !words.isEmpty else { return }
      do {
        try await runCommand(words: words, source: source)
      } catch let located as LocatedFailure {
        throw located
      } catch {
        throw LocatedFailure(line: line, error: ShellError.from(error), source: source)
      }
    case .forLoop(let variable, let items, let body, let line, _):
      var values: [String] = []
      do {
        for item in items {
          let argument = try item.expand(lookup)
          // An unquoted `$list` splits at white space, so `let seeds = "1 2 3"` loops three times.
          if argument.kind == .bare && item.raw.contains("$") {
            values += argument.text.split(whereSeparator: \.isWhitespace).map(String.init)
          } else {
            values.append(argument.text)
          }
        }
      } catch {
        throw LocatedFailure(line: line, error: ShellError.from(error))
      }
      for value in values {
        try Task.checkCancellation()
        session.variables[variable] = value
        for inner in body {
          if session.quitRequested { return }
          try await execute(inner)
        }
      }
    }
  }

  private func lookup(_ name: String) -> String? { session.variables[name] }

  /// `record …` is not itself recorded.
  static func isRecordCommand(_ statement: Statement) -> Bool {
    guard case .command(let words, _, _) = statement, let first = words.first else { return false }
    return first.isBare("record")
  }

  private func runCommand(words: [Word], source: String) async throws {
    let nameArgument = try words[0].expand(lookup)
    let name = nameArgument.text
    guard let command = CommandRegistry.command(named: name) else {
      throw ShellError(CommandRegistry.unknownCommandMessage(name))
    }
    var arguments = Arguments(
      command: command.name, usage: command.usage, values: try words.dropFirst().map { try $0.expand(lookup) }
    )
    let previous = session.currentSource
    session.currentSource = source
    defer { session.currentSource = previous }
    try await command.run(&arguments, in: session)
  }
}

extension String {
  /// The first line, with `…` when there were more (a multi-line block in a message).
  var oneLine: String {
    guard let newline = firstIndex(where: \.isNewline) else { return self }
    return String(self[..<newline]) + " …"
  }
}
