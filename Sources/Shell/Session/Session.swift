import ComfyRules
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// The state of one comfysh session: the document and its undo history, variables, and output.
/// Commands run one at a time on the main actor, so they see and change it without locks.
@MainActor
public final class Session {
  public let console: Console
  public private(set) var document: Document = .untitled
  private var undoStack: [UndoEntry] = []
  private var redoStack: [UndoEntry] = []
  private var nextEntryID = 1

  /// `let` variables and loop variables, for `$NAME`.
  public var variables: [String: String] = [:]
  /// Relative paths in commands are resolved against this folder (a script's own folder); nil = cwd.
  public var baseFolder: String?
  /// True when a person is typing at a terminal (prompts may ask questions).
  public let isInteractive: Bool
  /// Set by `quit`; the runner stops after the current command.
  public var quitRequested = false
  /// The text of the command being run, as typed (undo labels, messages).
  public internal(set) var currentSource = ""

  /// Told after every command so Tab completion sees the current workflow.
  var onChange: (() -> Void)?
  /// Asks the person at the terminal whether to quit with unsaved edits; nil when nobody can be asked.
  public var confirmQuit: (() async -> Bool)?
  /// Converts UI-format files on `load`; set once the node catalog is read.
  public var uiConverter: WorkflowFile.UIConverter?
  /// `--catalog FILE`: the node catalog comes from this /object_info file instead of the server.
  public var catalogPath: String?
  /// Fetches the server's catalog (from the cache unless `refresh`); set by the server layer.
  public var catalogFetcher: ((_ refresh: Bool) async throws -> (Catalog, source: String))?
  var catalogState: CatalogState = .unknown
  var catalogNoteShown = false
  var catalogRefreshRequested = false
  var catalogLoading: Task<Catalog?, Never>?
  /// The active recording (`record FILE`, `--record FILE`).
  public var recorder: Recorder?
  /// The interpreter running this session's commands (for `source`).
  public weak var interpreter: Interpreter?
  /// Named API keys and which one is in use (Keys/). Its secrets are masked in all console output.
  public var keyRing: KeyRing {
    didSet {
      if keyRing.secrets != oldValue.secrets { console.masking = KeyMasking(secrets: keyRing.secrets) }
    }
  }
  /// The server, its live connection, the prompts run and the seed policies (`Server/ServerSession`).
  public private(set) lazy var server = ServerSession(session: self)

  /// `keyRing` nil: the process environment and `$XDG_CONFIG_HOME/comfysh/keys.json`.
  public init(console: Console, isInteractive: Bool = false, keyRing: KeyRing? = nil) {
    self.console = console
    self.isInteractive = isInteractive
    self.keyRing = keyRing ?? .forProcess()
    console.masking = KeyMasking(secrets: self.keyRing.secrets)
  }

  public var workflow: Workflow { document.workflow }

  /// True when the workflow differs from the file it was loaded from or saved to.
  public var isDirty: Bool { (undoStack.last?.id ?? 0) != document.savedMarker }

  /// How many edits were made since the last load or save.
  public var unsavedEditCount: Int {
    guard isDirty else { return 0 }
    let index = undoStack.lastIndex { $0.id == document.savedMarker }
    return undoStack.count - (index.map { $0 + 1 } ?? 0)
  }

  // MARK: - Editing

  /// Runs an edit; if `body` throws, nothing changes. Returns the journal (empty when nothing changed).
  @discardableResult
  public func edit(
    _ label: String? = nil, _ body: (inout WorkflowEditor) throws -> Void
  ) throws -> WorkflowEdit {
    // The editor takes the workflow over so changing a node does not copy all the others.
    var taken = Workflow()
    swap(&taken, &document.workflow)
    var editor = WorkflowEditor(consume taken, label: label ?? currentSource)
    do {
      try body(&editor)
    } catch {
      var (workflow, partial) = editor.finish()
      partial.undo(&workflow)
      document.workflow = workflow
      throw error
    }
    let (workflow, edit) = editor.finish()
    document.workflow = workflow
    guard !edit.isEmpty else { return edit }
    push(UndoEntry(id: takeEntryID(), label: edit.label, change: .edit(edit)))
    return edit
  }

  /// Replaces the document (`load`, `new`); undo brings the previous one back.
  public func replaceDocument(with new: Document, label: String? = nil) {
    var new = new
    let id = takeEntryID()
    new.savedMarker = id
    push(UndoEntry(id: id, label: label ?? currentSource, change: .document(before: document, after: new)))
    document = new
  }

  /// Records that the workflow is now on disk at `path`.
  public func markSaved(path: String, trailingNewline: Bool) {
    document.path = path
    document.format = .api
    document.trailingNewline = trailingNewline
    document.savedWorkflow = document.workflow
    document.savedMarker = undoStack.last?.id ?? 0
  }

  /// Takes back the last edit; returns its label, or nil when there is nothing to undo.
  public func undo() -> String? {
    guard let entry = undoStack.popLast() else { return nil }
    switch entry.change {
    case .edit(let edit): edit.undo(&document.workflow)
    case .document(let before, _): document = before
    }
    redoStack.append(entry)
    return entry.label
  }

  /// Applies the last undone edit again; nil when there is nothing to redo.
  public func redo() -> String? {
    guard let entry = redoStack.popLast() else { return nil }
    switch entry.change {
    case .edit(let edit): edit.redo(&document.workflow)
    case .document(_, let after): document = after
    }
    undoStack.append(entry)
    return entry.label
  }

  public var canUndo: Bool { !undoStack.isEmpty }
  public var canRedo: Bool { !redoStack.isEmpty }

  private func push(_ entry: UndoEntry) {
    undoStack.append(entry)
    redoStack.removeAll()
  }

  private func takeEntryID() -> Int {
    defer { nextEntryID += 1 }
    return nextEntryID
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

  /// The prompt text: `comfy NAME> `, with `*` after the name when there are unsaved edits.
  public var promptText: String {
    if document.path == nil && workflow.isEmpty && !isDirty { return "comfy> " }
    return "comfy \(document.name)\(isDirty ? "*" : "")> "
  }
}
