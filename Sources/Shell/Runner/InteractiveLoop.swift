import ComfyRules
import Dispatch
import LineEditor
import Synchronization
import Workflow

/// The shell at a terminal: libedit line editing, history, Tab completion, Ctrl-C that cancels the
/// running command (never the shell), and Ctrl-D that leaves (asking first about unsaved edits).
@MainActor
struct InteractiveLoop {
  let session: Session
  let interpreter: Interpreter
  let options: ShellOptions

  /// The completion context, replaced after every command and read by the editor thread on Tab.
  final class CompletionState: Sendable {
    private let context: Mutex<CompletionContext>
    init(_ context: CompletionContext) { self.context = Mutex(context) }
    func set(_ new: CompletionContext) { context.withLock { $0 = new } }
    func get() -> CompletionContext { context.withLock { $0 } }
  }

  /// The command running now, so a Ctrl-C can cancel it.
  final class Running {
    var task: Task<Void, Never>?
  }

  func run() async -> Int32 {
    let state = CompletionState(session.completionContext())
    // Tab waits (on the editor's thread) for the first catalog read, so what it completes never
    // depends on whether that read won a race with the person typing.
    let catalogWarmUp = DispatchGroup()
    catalogWarmUp.enter()
    let editor = LineEditor(
      historyFile: ShellPaths.stateFolder + "/history",
      completer: { text in
        _ = catalogWarmUp.wait(timeout: .now() + 15)
        let result = Completer.complete(text, context: state.get())
        return Completion(start: result.start, candidates: result.candidates, appendSpace: result.appendSpace)
      })
    defer { editor.close() }
    let session = self.session
    session.onChange = { state.set(session.completionContext()) }
    session.console.printAbove = { editor.printAbove($0) }
    session.confirmQuit = {
      await Self.ask("quit without saving \(Self.unsavedDescription(session))? [y/N] ", editor)
    }
    defer {
      session.console.printAbove = nil
      session.confirmQuit = nil
    }

    let running = Running()
    let interrupts = Task { @MainActor in
      for await _ in editor.interrupts {
        guard let task = running.task else { continue }
        task.cancel()
      }
    }
    defer { interrupts.cancel() }

    session.console.print(banner)
    session.console.flush()
    // Read the catalog while the user types, so Tab knows classes, inputs and choices.
    let warmUp = Task { @MainActor in
      defer { catalogWarmUp.leave() }
      _ = await session.catalog.load()
      session.onChange?()
    }
    defer { warmUp.cancel() }
    while !session.quitRequested {
      guard let text = await readStatement(editor) else {
        // Ctrl-D on an empty line.
        if session.document.isDirty,
          !(await Self.ask("quit without saving \(Self.unsavedDescription(session))? [y/N] ", editor))
        {
          continue
        }
        break
      }
      if text.allSatisfy(\.isWhitespace) { continue }
      // A line holding a key never reaches the history file (the command itself refuses it).
      if !session.isSensitive(line: text) { editor.addHistory(text) }
      let task = Task { @MainActor in _ = await interpreter.run(text: text) }
      running.task = task
      await task.value
      running.task = nil
      if task.isCancelled { session.console.flush() }
    }
    session.console.flush()
    return 0
  }

  /// One complete statement: a `{` block is read over several lines with a `...>` prompt.
  private func readStatement(_ editor: LineEditor) async -> String? {
    guard case .line(var text) = await editor.readLine(prompt: prompt) else { return nil }
    while true {
      do {
        _ = try Parser.parse(text)
        return text
      } catch  where error.isIncomplete {
        guard case .line(let more) = await editor.readLine(prompt: continuationPrompt) else {
          session.console.warning("the unfinished { block was dropped")
          return ""
        }
        text += "\n" + more
      } catch {
        return text  // the interpreter reports the syntax error
      }
    }
  }

  private var prompt: String {
    let style = session.console.style
    // The file name is the user's, but may hold anything (a control character in a name).
    let plain = TerminalText.visible(session.promptText)
    guard style.enabled else { return plain }
    // `comfy NAME*> ` with the dirty mark in yellow; escape sequences are marked as non-printing.
    let name = plain.dropFirst("comfy".count).dropLast(2)
    var result = LineEditor.nonPrinting("\u{1B}[1m") + "comfy" + LineEditor.nonPrinting("\u{1B}[0m")
    if name.hasSuffix("*") {
      result +=
        name.dropLast() + LineEditor.nonPrinting("\u{1B}[33m") + "*" + LineEditor.nonPrinting("\u{1B}[0m")
    } else {
      result += name
    }
    return result + "> "
  }

  private var continuationPrompt: String { "  ...> " }

  private var banner: String {
    var parts = ["comfysh 0.1"]
    if let server = session.serverDescription { parts.append("server \(server)") }
    if !session.workflow.isEmpty { parts.append(Render.plural(session.workflow.count, "node")) }
    parts.append("`help` lists the commands")
    return parts.joined(separator: " · ")
  }

  static func unsavedDescription(_ session: Session) -> String {
    "\(Render.plural(session.document.unsavedEditCount, "unsaved edit")) to \(session.document.current.name)"
  }

  /// A yes/no question at the prompt; anything but y/yes (or Ctrl-D) is no.
  static func ask(_ question: String, _ editor: LineEditor) async -> Bool {
    guard case .line(let answer) = await editor.readLine(prompt: question) else { return false }
    let word = answer.trimmingTrailingBlanks().lowercased()
    return word == "y" || word == "yes"
  }
}

extension Session {
  /// What Tab completion needs, copied so the editor thread never touches the session.
  func completionContext() -> CompletionContext {
    var context = CompletionContext(workflow: workflow)
    context.variables = variables.keys.sorted()
    context.baseFolder = baseFolder
    context.names["keys"] = keyRing.listings().map(\.name)
    context.names["servers"] = ((try? SavedServers.load()) ?? [:]).keys.map { $0 }
    if let catalog = catalog.current {
      context.classNames = catalog.names
      context.classInputs = { catalog[className: $0]?.editableInputNames(values: $1) }
      context.classOutputs = { catalog.outputNames(of: $0) }
      context.inputChoices = { className, input, values in
        guard let spec = catalog[className: className]?.liveInput(named: input, values: values) else {
          return nil
        }
        switch spec.kind {
        case .combo(let combo): return combo.names
        case .dynamicCombo(let combo): return combo.keys
        case .boolean: return ["true", "false"]
        default: return nil
        }
      }
    }
    return context
  }

  /// The server shown in the banner (with its version once `server` or the catalog asked it).
  var serverDescription: String? { server.bannerDescription }
}
