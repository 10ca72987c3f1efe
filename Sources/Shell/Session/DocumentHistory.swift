import Workflow

/// The workflow being edited and what is known about the file it came from.
public struct Document: Sendable {
  public var workflow: Workflow
  /// The file it was loaded from or last saved to; nil for a new workflow.
  public var path: String?
  public var format: WorkflowFile.Format?
  /// The UI-format workflow that came with it (sent as `extra_pnginfo.workflow` by `run`).
  public var uiWorkflow: JSONValue?
  public var trailingNewline: Bool
  /// The workflow as it is on disk (last load or save), for `diff`.
  public var savedWorkflow: Workflow
  /// The undo entry that was on top when the document was loaded or saved; unsaved edits differ from it.
  var savedMarker: Int

  public static let untitled = Document(
    workflow: Workflow(), path: nil, format: nil, uiWorkflow: nil, trailingNewline: true,
    savedWorkflow: Workflow(),
    savedMarker: 0)

  /// The name the prompt and messages use: the file's base name, or "untitled".
  public var name: String { path.map(FileIO.baseName(of:)) ?? "untitled" }
}

/// The document and its undo history: every change goes through here, so a failed edit changes
/// nothing and every change can be taken back.
@MainActor
public final class DocumentHistory {
  public private(set) var current: Document = .untitled
  private var undoStack: [UndoEntry] = []
  private var redoStack: [UndoEntry] = []
  private var nextEntryID = 1
  /// What undo calls an edit when it is given no label: the command being run, as typed.
  public var defaultLabel = ""

  public init() {}

  public var workflow: Workflow { current.workflow }

  /// True when the workflow differs from the file it was loaded from or saved to.
  public var isDirty: Bool { (undoStack.last?.id ?? 0) != current.savedMarker }

  /// How many edits were made since the last load or save.
  public var unsavedEditCount: Int {
    guard isDirty else { return 0 }
    let index = undoStack.lastIndex { $0.id == current.savedMarker }
    return undoStack.count - (index.map { $0 + 1 } ?? 0)
  }

  /// Runs an edit; if `body` throws, nothing changes. Returns the journal (empty when nothing changed).
  @discardableResult
  public func edit(
    _ label: String? = nil, _ body: (inout WorkflowEditor) throws -> Void
  ) throws -> WorkflowEdit {
    // The editor takes the workflow over so changing a node does not copy all the others.
    var taken = Workflow()
    swap(&taken, &current.workflow)
    var editor = WorkflowEditor(consume taken, label: label ?? defaultLabel)
    do {
      try body(&editor)
    } catch {
      var (workflow, partial) = editor.finish()
      partial.undo(&workflow)
      current.workflow = workflow
      throw error
    }
    let (workflow, edit) = editor.finish()
    current.workflow = workflow
    guard !edit.isEmpty else { return edit }
    push(UndoEntry(id: takeEntryID(), label: edit.label, change: .edit(edit)))
    return edit
  }

  /// Replaces the document (`load`, `new`); undo brings the previous one back.
  public func replace(with new: Document, label: String? = nil) {
    var new = new
    let id = takeEntryID()
    new.savedMarker = id
    push(UndoEntry(id: id, label: label ?? defaultLabel, change: .document(before: current, after: new)))
    current = new
  }

  /// Records that the workflow is now on disk at `path`.
  public func markSaved(path: String, trailingNewline: Bool) {
    current.path = path
    current.format = .api
    current.trailingNewline = trailingNewline
    current.savedWorkflow = current.workflow
    current.savedMarker = undoStack.last?.id ?? 0
  }

  /// Takes back the last edit; returns its label, or nil when there is nothing to undo.
  public func undo() -> String? {
    guard let entry = undoStack.popLast() else { return nil }
    switch entry.change {
    case .edit(let edit): edit.undo(&current.workflow)
    case .document(let before, _): current = before
    }
    redoStack.append(entry)
    return entry.label
  }

  /// Applies the last undone edit again; nil when there is nothing to redo.
  public func redo() -> String? {
    guard let entry = redoStack.popLast() else { return nil }
    switch entry.change {
    case .edit(let edit): edit.redo(&current.workflow)
    case .document(_, let after): current = after
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
}

/// One step `undo` can take back: an edit of nodes, or a whole document replaced by `load`/`new`.
struct UndoEntry {
  enum Change {
    case edit(WorkflowEdit)
    case document(before: Document, after: Document)
  }

  let id: Int
  let label: String
  let change: Change
}
