import Workflow

/// The differences between two workflows, node by node and input by input, in a readable form.
struct WorkflowDiff {
  enum NodeChange {
    case added(Node)
    case removed(Node)
    case changed(before: Node, after: Node, fields: [FieldChange])
  }

  enum FieldChange {
    case added(String, String)
    case removed(String, String)
    case changed(String, String, String)
  }

  let changes: [NodeChange]

  init(from base: Workflow, to current: Workflow) {
    var changes: [NodeChange] = []
    for (id, node) in base.nodes where current[id] == nil { changes.append(.removed(node)) }
    for (id, node) in current.nodes {
      guard let old = base[id] else {
        changes.append(.added(node))
        continue
      }
      if old == node { continue }
      changes.append(.changed(before: old, after: node, fields: WorkflowDiff.fieldChanges(old, node)))
    }
    self.changes = changes
  }

  var isEmpty: Bool { changes.isEmpty }

  static func fieldChanges(_ old: Node, _ new: Node) -> [FieldChange] {
    var result: [FieldChange] = []
    if old.classType != new.classType {
      result.append(.changed("class_type", old.classType ?? "(none)", new.classType ?? "(none)"))
    }
    if old.title != new.title {
      result.append(.changed("title", quoted(old.title), quoted(new.title)))
    }
    let oldInputs = old.inputs
    let newInputs = new.inputs
    // In the old node's input order, then inputs that are new.
    for (name, value) in oldInputs {
      let before = Render.input(InputValue(stored: value))
      guard let after = newInputs[name] else {
        result.append(.removed(name, before))
        continue
      }
      if after != value { result.append(.changed(name, before, Render.input(InputValue(stored: after)))) }
    }
    for (name, value) in newInputs where oldInputs[name] == nil {
      result.append(.added(name, Render.input(InputValue(stored: value))))
    }
    // Fields other than inputs/class_type/title, e.g. `_meta` extras, compared as JSON.
    var otherKeys = Array(old.fields.keys)
    for key in new.fields.keys where !otherKeys.contains(key) { otherKeys.append(key) }
    for key in otherKeys where key != "inputs" && key != "class_type" {
      var before = old.fields[key]
      var after = new.fields[key]
      if key == "_meta" {
        before = before.flatMap { stripTitle($0) }
        after = after.flatMap { stripTitle($0) }
      }
      if before != after {
        result.append(
          .changed(
            key, before.map { Render.short($0) } ?? "(none)", after.map { Render.short($0) } ?? "(none)"))
      }
    }
    return result
  }

  private static func stripTitle(_ meta: JSONValue) -> JSONValue? {
    guard var object = meta.objectValue else { return meta }
    object.removeValue(forKey: "title")
    return object.isEmpty ? nil : .object(object)
  }

  private static func quoted(_ text: String?) -> String {
    text.map { JSONValue.string($0).serialized() } ?? "(none)"
  }

  /// `+ 15  SaveImage  "Save Image"`, `- 14 …`, `~ 11 …` with indented input lines.
  func lines() -> [String] {
    var lines: [String] = []
    for change in changes {
      switch change {
      case .added(let node):
        lines.append("+ " + Self.header(node))
        for (name, value) in node.inputs {
          lines.append("    \(name) = \(Render.input(InputValue(stored: value)))")
        }
      case .removed(let node):
        lines.append("- " + Self.header(node))
      case .changed(_, let after, let fields):
        lines.append("~ " + Self.header(after))
        for field in fields {
          switch field {
          case .added(let name, let value): lines.append("  + \(name) = \(value)")
          case .removed(let name, let value): lines.append("  - \(name) = \(value)")
          case .changed(let name, let before, let after): lines.append("    \(name): \(before) → \(after)")
          }
        }
      }
    }
    return lines
  }

  private static func header(_ node: Node) -> String {
    [NodeRef.id(node.id).description, node.classType ?? "?", Render.title(node)].filter { !$0.isEmpty }
      .joined(separator: "  ")
  }

  var json: JSONValue {
    .array(
      changes.map { change in
        switch change {
        case .added(let node): ["change": "added", "id": .string(node.id), "node": .object(node.fields)]
        case .removed(let node): ["change": "removed", "id": .string(node.id)]
        case .changed(let before, let after, let fields):
          [
            "change": "changed", "id": .string(after.id),
            "fields": .array(
              fields.map { field in
                switch field {
                case .added(let name, let value): ["field": .string(name), "after": .string(value)]
                case .removed(let name, let value): ["field": .string(name), "before": .string(value)]
                case .changed(let name, let b, let a):
                  ["field": .string(name), "before": .string(b), "after": .string(a)]
                }
              }),
            "before": .object(before.fields), "after": .object(after.fields),
          ]
        }
      })
  }
}
