import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Starts a session in the mode the command line asks for and returns the exit status:
/// 0 when every command succeeded, 1 when one failed, 2 for a usage problem.
@MainActor
public enum ShellRunner {
  public static func run(_ options: ShellOptions) async -> Int32 {
    let stdinIsTerminal = isatty(0) == 1
    let interactive =
      stdinIsTerminal && options.commands == nil && (options.file == nil || options.fileIsWorkflow)
    let console = Console(jsonMode: options.json, style: Style.detect(noColorFlag: options.noColor))
    let session = Session(console: console, isInteractive: interactive)
    if options.insecureKey { session.keyRing.allowsInsecureTransport = true }
    let interpreter = Interpreter(session: session)
    interpreter.keepGoing = options.keepGoing
    session.catalog.path = options.catalogPath
    session.catalog.fileVersion = options.comfyUIVersion
    do {
      try session.server.configure(server: options.server, simulatorURL: options.simulatorURL)
    } catch {
      console.error(ShellError.from(error).message + "; give a URL such as --server http://127.0.0.1:8188")
      return 2
    }
    session.server.liveProgress = isatty(1) == 1 && !options.json
    if options.trace { session.startTrace(full: false) }
    let status = await run(options, interpreter: interpreter, interactive: interactive)
    // Close the server connection with a normal WebSocket close (its prompts keep running there).
    await session.server.shutdown()
    session.stopTrace()
    session.recorder = nil
    ended.append(interpreter)
    return status
  }

  /// Sessions that have ended, kept until the process exits: freeing a large workflow value by value
  /// costs more than the exit that follows (1.3 ms for 2,000 nodes).
  private static var ended: [Interpreter] = []

  static func run(_ options: ShellOptions, interpreter: Interpreter, interactive: Bool) async -> Int32 {
    let session = interpreter.session
    let console = session.console

    if !options.noInit { await runInitScript(interpreter) }
    if let pool = options.pool {
      do {
        try await PoolCommand.use(pool, session: session)
      } catch {
        console.error(ShellError.from(error).message)
        return 2
      }
    }

    if options.check || options.update {
      guard let file = options.file, !options.fileIsWorkflow else {
        console.error("--check and --update need a transcript: comfysh --check SCRIPT.comfy")
        return 2
      }
      return await TranscriptCheck.run(path: file, update: options.update, interpreter: interpreter)
    }

    if let path = options.recordPath {
      do {
        session.recorder = try session.startRecording(to: path, keepOutputs: options.keepOutputs)
      } catch {
        console.error(ShellError.from(error).message)
        return 2
      }
    }

    if let commands = options.commands {
      if let file = options.file, !(await loadStartupFile(file, options: options, interpreter: interpreter)) {
        return 1
      }
      interpreter.sourceName = "-c"
      await interpreter.run(text: commands)
      return interpreter.failures == 0 ? 0 : 1
    }

    if let file = options.file, !options.fileIsWorkflow {
      return await runScript(file, interpreter: interpreter)
    }

    if let file = options.file, !(await loadStartupFile(file, options: options, interpreter: interpreter)) {
      if !interactive { return 1 }
    }

    if interactive {
      return await InteractiveLoop(session: session, interpreter: interpreter, options: options).run()
    }
    interpreter.sourceName = "stdin"
    return await runLines(interpreter: interpreter, next: { await readStandardInputLine() })
  }

  /// Runs a script file: paths in it are relative to its folder; stops at the first failure.
  static func runScript(_ path: String, interpreter: Interpreter) async -> Int32 {
    let text: String
    do {
      text = try FileIO.readText(path)
    } catch {
      interpreter.session.console.error("cannot read the script \(path): \(error.reason)")
      return 2
    }
    interpreter.sourceName = path
    interpreter.session.baseFolder = FileIO.parentFolder(of: path)
    await interpreter.run(text: text)
    return interpreter.failures == 0 ? 0 : 1
  }

  /// Commands line by line (piped standard input): a `{` block is read until its `}`. A line longer
  /// than `LineInput.maximumLength` is an error and skipped.
  static func runLines(interpreter: Interpreter, next: () async -> LineInput.Line?) async -> Int32 {
    let console = interpreter.session.console
    var pending = ""
    var pendingLine = 1
    var lineNumber = 0
    func fail(_ message: String, line: Int) {
      console.error(message, location: interpreter.sourceName.map { "\($0):\(line)" })
      interpreter.recordFailure()
    }
    while let input = await next() {
      lineNumber += 1
      guard case .text(let line) = input else {
        if case .tooLong(let bytes) = input {
          fail(
            "line \(lineNumber) is \(bytes) bytes long, more than the \(LineInput.maximumLength >> 20) MiB a command may be; it was skipped (long text belongs in a file: set NODE.INPUT @file.txt)",
            line: lineNumber)
        }
        pending = ""
        if interpreter.failures > 0 && !interpreter.keepGoing { break }
        continue
      }
      let continuing = !pending.isEmpty
      if !continuing { pendingLine = lineNumber }
      pending += continuing ? "\n" + line : line
      // An open block can only be closed by a line with a `}`: parsing again without one would make
      // a long block quadratic. The last parse at the end reports any error inside it.
      if continuing && !line.contains("}") { continue }
      guard pending.utf8.count <= LineInput.maximumLength else {
        fail(
          "the { block started on line \(pendingLine) is longer than \(LineInput.maximumLength >> 20) MiB",
          line: pendingLine)
        pending = ""
        break
      }
      do {
        let statements = try Parser.parse(pending, firstLine: pendingLine)
        pending = ""
        await interpreter.run(statements)
      } catch let error where error.isIncomplete {
        continue
      } catch {
        pending = ""
        fail(error.message, line: error.line)
      }
      if interpreter.session.quitRequested || (interpreter.failures > 0 && !interpreter.keepGoing) { break }
    }
    if !pending.isEmpty {
      do {
        _ = try Parser.parse(pending, firstLine: pendingLine)
      } catch let error where !error.isIncomplete {
        fail(error.message, line: error.line)
        pending = ""
      } catch {}
      if !pending.isEmpty {
        fail("the input ended inside a { block started on line \(pendingLine)", line: pendingLine)
      }
    }
    console.flush()
    return interpreter.failures == 0 ? 0 : 1
  }

  /// `comfysh FILE.json`: loads the workflow before the first command.
  static func loadStartupFile(_ file: String, options: ShellOptions, interpreter: Interpreter) async -> Bool {
    let saved = interpreter.sourceName
    interpreter.sourceName = nil
    defer { interpreter.sourceName = saved }
    let word = Word(segments: [.single(file)], raw: Address.quote(file))
    return await interpreter.run([.command(words: [Word("load"), word], line: 1, source: "load \(word.raw)")])
  }

  /// `$XDG_CONFIG_HOME/comfysh/init.comfy`, like `.psqlrc`; its failures are reported but do not stop start-up.
  static func runInitScript(_ interpreter: Interpreter) async {
    let path = ShellPaths.configFolder + "/init.comfy"
    guard FileIO.exists(path), let text = try? FileIO.readText(path) else { return }
    let saved = (interpreter.sourceName, interpreter.keepGoing, interpreter.session.baseFolder)
    interpreter.sourceName = path
    interpreter.keepGoing = true
    interpreter.session.baseFolder = ShellPaths.configFolder
    await interpreter.run(text: text)
    interpreter.resetFailures()
    (interpreter.sourceName, interpreter.keepGoing, interpreter.session.baseFolder) = saved
  }

  /// One line of standard input, read on a thread of its own so no task waits behind it.
  static func readStandardInputLine() async -> LineInput.Line? {
    await OwnThread.run(on: OwnThread.standardInput) { LineInput.next() }
  }
}

/// Where comfysh keeps its files (XDG base directories).
public enum ShellPaths {
  static func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
  }

  static var home: String { environment("HOME") ?? "." }

  /// `$XDG_CONFIG_HOME/comfysh` (keys, init script, servers).
  public static var configFolder: String {
    (environment("XDG_CONFIG_HOME") ?? home + "/.config") + "/comfysh"
  }
  /// `$XDG_STATE_HOME/comfysh` (history).
  public static var stateFolder: String {
    (environment("XDG_STATE_HOME") ?? home + "/.local/state") + "/comfysh"
  }
  /// `$XDG_CACHE_HOME/comfysh` (catalogs).
  public static var cacheFolder: String { (environment("XDG_CACHE_HOME") ?? home + "/.cache") + "/comfysh" }
}
