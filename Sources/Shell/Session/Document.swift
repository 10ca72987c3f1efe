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
