import OrderedCollections
import Workflow

/// The server's `GET /node_replacements` (ComfyUI 0.4 and later): for a class that no longer exists,
/// the class that took its place and how its inputs and output slots carry over.
public struct NodeReplacements: Sendable, Equatable {
  public struct Replacement: Sendable, Equatable {
    public enum InputSource: Sendable, Equatable {
      /// The old node's input of this name, when it has one.
      case input(String)
      /// A fixed value.
      case value(JSONValue)
    }

    public var newClass: String
    /// New input name and where its value comes from; nil: every old input is dropped.
    public var inputMapping: [(name: String, source: InputSource)]?
    /// Old output slot → new slot; nil: slots stay as they are.
    public var outputMapping: [Int: Int]?

    public static func == (a: Replacement, b: Replacement) -> Bool {
      a.newClass == b.newClass && a.outputMapping == b.outputMapping
        && a.inputMapping?.map(\.name) == b.inputMapping?.map(\.name)
        && a.inputMapping?.map(\.source) == b.inputMapping?.map(\.source)
    }
  }

  /// Old class name → its replacement (the first the server lists).
  public var byOldClass: [String: Replacement]

  public init(byOldClass: [String: Replacement] = [:]) {
    self.byOldClass = byOldClass
  }

  /// Reads the JSON of `GET /node_replacements`; entries of a shape it does not know are left out.
  public init(json: JSONValue) {
    var table: [String: Replacement] = [:]
    for (oldClass, entries) in json.objectValue ?? [:] {
      guard let entry = entries.arrayValue?.first, let newClass = entry["new_node_id"]?.stringValue else {
        continue
      }
      let inputs = entry["input_mapping"]?.arrayValue.map { list in
        list.compactMap { item -> (name: String, source: Replacement.InputSource)? in
          guard let name = item["new_id"]?.stringValue else { return nil }
          if let old = item["old_id"]?.stringValue { return (name, .input(old)) }
          if let value = item["set_value"] { return (name, .value(value)) }
          return nil
        }
      }
      let outputs = entry["output_mapping"]?.arrayValue.map { list in
        var slots: [Int: Int] = [:]
        for item in list {
          if let old = item["old_idx"]?.numberValue?.int64Value,
            let new = item["new_idx"]?.numberValue?.int64Value
          {
            slots[Int(clamping: old)] = Int(clamping: new)
          }
        }
        return slots
      }
      table[oldClass] = Replacement(newClass: newClass, inputMapping: inputs, outputMapping: outputs)
    }
    byOldClass = table
  }

  public var isEmpty: Bool { byOldClass.isEmpty }

  /// One node the server would rewrite.
  public struct Applied: Sendable, Equatable {
    public var node: String
    public var oldClass: String
    public var newClass: String
  }

  /// What server.py does before validating: every node whose class is not in `catalog` and has a
  /// replacement becomes the new class, its inputs mapped, and links to its outputs re-slotted.
  /// Throws the node id when that node has no `_meta` (the server then fails with a 500).
  func apply(to nodes: JSONObject, catalog: Catalog) -> Result<(JSONObject, [Applied]), MissingMeta> {
    var result = nodes
    var applied: [Applied] = []
    var slotChanges: [String: [Int: Int]] = [:]
    for (id, node) in nodes {
      guard case .object(var fields) = node, let oldClass = fields["class_type"]?.stringValue,
        !catalog.contains(oldClass), let replacement = byOldClass[oldClass]
      else { continue }
      guard fields["_meta"] != nil else { return .failure(MissingMeta(node: id)) }
      let oldInputs = fields["inputs"]?.objectValue ?? [:]
      var newInputs = JSONObject()
      for (name, source) in replacement.inputMapping ?? [] {
        switch source {
        case .input(let old): if let value = oldInputs[old] { newInputs[name] = value }
        case .value(let value): newInputs[name] = value
        }
      }
      fields["class_type"] = .string(replacement.newClass)
      fields["inputs"] = .object(newInputs)
      result[id] = .object(fields)
      applied.append(Applied(node: id, oldClass: oldClass, newClass: replacement.newClass))
      if let slots = replacement.outputMapping { slotChanges[id] = slots }
    }
    if !slotChanges.isEmpty {
      for (id, node) in result {
        guard case .object(var fields) = node, case .object(var inputs)? = fields["inputs"] else { continue }
        var changed = false
        for (name, value) in inputs {
          guard case .array(let link) = value, link.count == 2, let source = link[0].stringValue,
            let slots = slotChanges[source], let old = link[1].numberValue?.int64Value,
            let new = slots[Int(clamping: old)]
          else { continue }
          inputs[name] = .array([link[0], .int(new)])
          changed = true
        }
        if changed {
          fields["inputs"] = .object(inputs)
          result[id] = .object(fields)
        }
      }
    }
    return .success((result, applied))
  }

  struct MissingMeta: Error {
    let node: String
  }
}
