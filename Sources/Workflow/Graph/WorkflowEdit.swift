/// One undoable step: the nodes it touched, each before and after, so undo costs what the edit touched
/// rather than a copy of the whole workflow.
public struct WorkflowEdit: Sendable {
  public struct NodeChange: Sendable {
    public let id: String
    public let before: Node?
    public let beforeIndex: Int?
    public var after: Node?
  }

  public let label: String
  public private(set) var changes: [NodeChange] = []
  /// Set when the edit replaced the whole workflow (`load`, `new`): both sides, kept whole.
  public private(set) var replacement: (before: Workflow, after: Workflow)?

  public init(label: String) { self.label = label }

  public var isEmpty: Bool {
    if let replacement { return replacement.before == replacement.after }
    return changes.allSatisfy { $0.before == $0.after }
  }

  /// Puts the workflow back as it was before the edit.
  public func undo(_ workflow: inout Workflow) {
    if let replacement {
      workflow = replacement.before
      return
    }
    for change in changes.reversed() {
      apply(change.before, id: change.id, index: change.beforeIndex, to: &workflow)
    }
  }

  /// Applies the edit again after an undo.
  public func redo(_ workflow: inout Workflow) {
    if let replacement {
      workflow = replacement.after
      return
    }
    for change in changes {
      apply(change.after, id: change.id, index: nil, to: &workflow)
    }
  }

  private func apply(_ node: Node?, id: String, index: Int?, to workflow: inout Workflow) {
    guard let node else {
      workflow.nodes.removeValue(forKey: id)
      return
    }
    if workflow.nodes[id] != nil {
      workflow.nodes[id] = node
    } else if let index, index <= workflow.nodes.count {
      workflow.nodes.updateValue(node, forKey: id, insertingAt: index)
    } else {
      workflow.nodes[id] = node
    }
  }

  fileprivate mutating func record(id: String, in workflow: Workflow) {
    guard !changes.contains(where: { $0.id == id }) else { return }
    changes.append(
      NodeChange(
        id: id, before: workflow.nodes[id], beforeIndex: workflow.nodes.index(forKey: id), after: nil))
  }

  fileprivate mutating func replace(_ before: Workflow, with after: Workflow) {
    replacement = (replacement?.before ?? before, after)
  }

  fileprivate mutating func finish(with workflow: Workflow) {
    if replacement != nil {
      replacement?.after = workflow
      changes = []
      return
    }
    for i in changes.indices { changes[i].after = workflow.nodes[changes[i].id] }
  }
}

/// The only way edits change a workflow: every node it touches is journaled for undo.
public struct WorkflowEditor: ~Copyable {
  public private(set) var workflow: Workflow
  private var edit: WorkflowEdit

  public init(_ workflow: Workflow, label: String) {
    self.workflow = workflow
    self.edit = WorkflowEdit(label: label)
  }

  /// Read access for checks made while editing.
  public subscript(id: String) -> Node? { workflow.nodes[id] }

  /// Changes an existing node in place.
  public mutating func update(_ id: String, _ body: (inout Node) throws -> Void) rethrows {
    guard var node = workflow.nodes[id] else { return }
    try body(&node)
    edit.record(id: id, in: workflow)
    workflow.nodes[id] = node
  }

  /// Adds a node at the end (or replaces one with the same id).
  public mutating func insert(_ node: Node) {
    edit.record(id: node.id, in: workflow)
    workflow.nodes[node.id] = node
  }

  public mutating func remove(_ id: String) {
    edit.record(id: id, in: workflow)
    workflow.nodes.removeValue(forKey: id)
  }

  /// Replaces every node (for `load` and `new`); the journal keeps each one so undo restores them.
  public mutating func replaceAll(with other: Workflow) {
    var start = workflow
    edit.undo(&start)
    edit.replace(start, with: other)
    workflow = other
  }

  /// Ends editing: the new workflow and the journal of what changed.
  public consuming func finish() -> (Workflow, WorkflowEdit) {
    edit.finish(with: workflow)
    return (workflow, edit)
  }
}
