import ComfyClient
import ComfyRules
import Workflow

/// One comfysh session: the parts commands work with, each owned here and reached by name
/// (`session.document`, `session.catalog`, `session.server`, `session.keyRing`, `session.console`),
/// plus what the language needs (variables, the script's folder). Commands run one at a time on
/// the main actor, so they see and change it without locks.
@MainActor
public final class Session {
  public let console: Console
  /// The workflow being edited and its undo history.
  public let document = DocumentHistory()
  /// The node catalog: where it comes from, and lookups in it.
  public let catalog: SessionCatalog
  /// The server, its live connection, the prompts run and the seed policies.
  public let server: ServerSession
  /// Named API keys and which one is in use (Keys/). Its secrets are masked in all console output.
  public var keyRing: KeyRing {
    didSet {
      if keyRing.secrets != oldValue.secrets { console.masking = KeyMasking(secrets: keyRing.secrets) }
    }
  }

  /// The `images` setting and what the terminal can draw (`view`, `watch`).
  public let pictures: TerminalPictures
  /// `let` variables and loop variables, for `$NAME`.
  public var variables: [String: String] = [:]
  /// Relative paths in commands are resolved against this folder (a script's own folder); nil = cwd.
  public var baseFolder: String?
  /// True when a person is typing at a terminal (prompts may ask questions).
  public let isInteractive: Bool
  /// Set by `quit`; the runner stops after the current command.
  public var quitRequested = false
  /// The text of the command being run, as typed (undo labels, messages).
  public internal(set) var currentSource = "" {
    didSet { document.defaultLabel = currentSource }
  }

  /// Told after every command so Tab completion sees the current workflow.
  var onChange: (() -> Void)?
  /// Asks the person at the terminal whether to quit with unsaved edits; nil when nobody can be asked.
  public var confirmQuit: (() async -> Bool)?
  /// The active recording (`record FILE`, `--record FILE`).
  public var recorder: Recorder?
  /// What the last failed `validate`, `run` or watched prompt met, for `explain error`.
  public var lastProblem: LastProblem?
  /// Set while `trace` is on.
  var tracing: Tracing?
  var traceWords: TraceWords?
  var tracePrinting = false
  /// The interpreter running this session's commands (for `source`).
  public weak var interpreter: Interpreter?

  /// `keyRing` nil: the process environment and `$XDG_CONFIG_HOME/comfysh/keys.json`.
  public init(console: Console, isInteractive: Bool = false, keyRing: KeyRing? = nil) {
    self.console = console
    self.isInteractive = isInteractive
    pictures = TerminalPictures(jsonMode: console.jsonMode)
    self.keyRing = keyRing ?? .forProcess()
    console.masking = KeyMasking(secrets: self.keyRing.secrets)
    let catalog = SessionCatalog(warn: { [console] in console.warning($0) })
    let server = ServerSession(console: console, catalog: catalog, finishNotices: isInteractive)
    // The node catalog comes from the current server (unless --catalog FILE), read when first needed.
    catalog.fetcher = { [weak server] refresh in
      guard let server else { throw ShellError("the session has ended") }
      return try await server.fetchCatalog(refresh: refresh)
    }
    self.catalog = catalog
    self.server = server
  }

  /// The workflow being edited (`document.workflow`).
  public var workflow: Workflow { document.workflow }

  /// The editing checks over the workflow as it is now and the catalog as far as it has been read.
  var checks: EditChecks { EditChecks(workflow: workflow, catalog: catalog.current) }

  /// The first word of the command being run (for hints that repeat it).
  var currentCommandName: String {
    String(currentSource.split(separator: " ", maxSplits: 1).first ?? "set")
  }

  // MARK: - Paths and values

  /// A path as the user typed it, made relative to the script's folder when it is not absolute.
  public func resolvePath(_ path: String) -> String {
    FileIO.resolve(path, relativeTo: baseFolder)
  }

  /// Resolves a node reference against the current workflow.
  public func resolveNode(_ argument: Argument) throws -> String {
    try workflow.resolve(Address.parseNode(argument.raw))
  }

  /// Reads a workflow file of any kind; reads the catalog first only when the file needs converting.
  /// `prefer` picks the UI workflow or the API prompt of a file that has both (`load --ui` / `--api`).
  func readWorkflowFile(
    _ path: String, prefer: WorkflowFile.Preference = .automatic
  ) async throws -> WorkflowFile {
    let bytes: [UInt8]
    do {
      bytes = try await FileIO.readInterruptibly(path, limit: .workflow)
    } catch {
      throw ShellError("cannot read \(path): \(error.reason)")
    }
    warnAboutLossyText(bytes, name: path)
    if WorkflowFile.needsUIConversion(bytes, prefer: prefer) { _ = await catalog.load() }
    return try WorkflowFile.parse(bytes, name: path, convertUI: catalog.uiConverter, prefer: prefer)
  }

  /// The prompt text: `comfy NAME> `, with `*` after the name when there are unsaved edits.
  public var promptText: String {
    let dirty = document.isDirty
    if document.current.path == nil && workflow.isEmpty && !dirty { return "comfy> " }
    return "comfy \(document.current.name)\(dirty ? "*" : "")> "
  }
}
