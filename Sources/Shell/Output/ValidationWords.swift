import ComfyRules
import Workflow

extension ValidationResult {
  /// The verdict in words a user can act on, one line each: what is wrong with which node and input,
  /// and what would fix it (the allowed range, the closest choices, outputs that have the wanted type).
  /// Empty when the prompt is accepted with no node errors.
  public func describeForUser(catalog: Catalog) -> [String] {
    let nodes = originalPrompt?.objectValue ?? [:]
    var lines: [String] = []
    if let serverFault {
      return ["ComfyUI would fail on this request with HTTP 500 (\(serverFault))"]
    }
    if let error, !accepted {
      switch error.type {
      case "no_prompt":
        lines.append("the request has no \"prompt\" member with the workflow")
      case "invalid_prompt", "missing_node_type":
        let id = Self.nodeID(fromDetails: error.details)
        let classType = nodes[id]?["class_type"]
        if let name = classType?.stringValue {
          var line = "node \(id): this server has no node class \(name)"
          let close = catalog.suggestions(for: name)
          if !close.isEmpty { line += " (did you mean \(close.joined(separator: ", "))?)" }
          line += "; a custom node may be missing from the server"
          lines.append(line)
        } else if classType != nil {
          lines.append(
            "node \(id): class_type must be a class name (text), not \(classType?.typeName ?? "?")")
        } else {
          lines.append(
            "node \(id) has no class_type; every node needs one, e.g. \"class_type\": \"SaveImage\"")
        }
      case "invalid_prompt_id":
        lines.append(
          "the prompt_id is not a UUID in lowercase hyphenated form (ComfyUI 0.4 and later insist); leave it out and the server makes one"
        )
      case "prompt_no_outputs":
        lines.append(
          "nothing would run: the workflow has no output node (such as SaveImage or PreviewImage); add one")
      case "prompt_outputs_failed_validation":
        lines.append("no output node can run:")
      default:
        lines.append("\(error.message)\(error.details.isEmpty ? "" : ": \(error.details)")")
      }
    } else if !nodeErrors.isEmpty {
      let skipped = Set(nodeErrors.values.flatMap(\.dependentOutputs)).subtracting(outputsToExecute)
      let names = nodes.keys.filter { skipped.contains($0) }
      lines.append(
        "accepted, but output\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")) will not run:")
    }
    if !accepted, error?.type == "prompt_outputs_failed_validation", nodeErrors.isEmpty {
      if let loop = Self.linkLoop(in: nodes) {
        lines.append(
          "  the links go in a circle (\(loop.joined(separator: " → "))); ComfyUI cannot run a loop")
      } else {
        lines.append("  the server named no node; check the links between nodes")
      }
    }
    for (id, errors) in nodeErrors {
      let label = Self.label(id, nodes[id], catalog: catalog)
      for error in errors.errors {
        lines.append("  \(label): " + describe(error, nodeID: id, nodes: nodes, catalog: catalog))
      }
    }
    return lines
  }

  /// The first loop of links found (`["1", "2", "1"]`), following each node's linked inputs.
  static func linkLoop(in nodes: JSONObject) -> [String]? {
    var state: [String: Int] = [:]  // 1 on the path, 2 done
    var path: [String] = []
    func visit(_ id: String) -> [String]? {
      if state[id] == 2 { return nil }
      if state[id] == 1, let start = path.firstIndex(of: id) { return Array(path[start...]) + [id] }
      state[id] = 1
      path.append(id)
      for (_, value) in nodes[id]?["inputs"]?.objectValue ?? [:] {
        if case .array(let link) = value, link.count == 2, let target = link[0].stringValue,
          nodes[target] != nil,
          let loop = visit(target)
        {
          return loop
        }
      }
      path.removeLast()
      state[id] = 2
      return nil
    }
    for id in nodes.keys {
      if let loop = visit(id) { return loop }
    }
    return nil
  }

  /// `Node ID '#12'` → `12`.
  static func nodeID(fromDetails details: String) -> String {
    guard details.hasPrefix("Node ID '#"), details.hasSuffix("'") else { return details }
    return String(details.dropFirst(10).dropLast())
  }

  static func label(_ id: String, _ node: JSONValue?, catalog: Catalog) -> String {
    let classType = node?["class_type"]?.stringValue ?? "?"
    var label = "node \(id) (\(classType)"
    if let title = node?["_meta"]?["title"]?.stringValue, title != classType,
      title != catalog[className: classType]?.displayName
    {
      label += " \"\(title)\""
    }
    return label + ")"
  }

  func describe(_ error: NodeError, nodeID id: String, nodes: JSONObject, catalog: Catalog) -> String {
    let inputName = error.inputName ?? "?"
    let classType = nodes[id]?["class_type"]?.stringValue ?? ""
    let spec = catalog[className: classType]?.liveInput(
      named: inputName, values: nodes[id]?["inputs"]?.objectValue ?? [:])
    let received = error.extraInfo["received_value"]
    switch error.type {
    case "required_input_missing":
      guard let spec else { return "\(inputName) is missing" }
      var line = "\(inputName) is missing (required \(spec.kind.typeName)"
      if let value = spec.defaultValue { line += ", default \(value.serialized())" }
      line += ")"
      if case .link(let type) = spec.kind {
        line += "; " + Self.candidates(for: type, excluding: id, nodes: nodes, catalog: catalog)
      }
      return line
    case "bad_linked_input":
      return
        "\(inputName) = \(received?.serialized() ?? "?") is not a link [\"NODE\", SLOT]; a list value must be "
        + "written {\"__value__\": [...]}"
    case "return_type_mismatch":
      let wanted = spec.map { Py.str($0.rawType) } ?? "?"
      let got = error.extraInfo["received_type"].map(Py.str) ?? "?"
      var source = "?"
      if case .array(let link)? = error.extraInfo["linked_node"], link.count == 2 {
        source = "\(link[0].stringValue ?? link[0].serialized()):\(link[1].serialized())"
      }
      var line = "\(id).\(inputName) wants \(wanted) but \(source) gives \(got)"
      if let spec, case .link(let type) = spec.kind {
        line += "; " + Self.candidates(for: type, excluding: id, nodes: nodes, catalog: catalog)
      } else if spec?.kind.isValueKind == true {
        line += "; set a value instead, or link an output of type \(wanted)"
      }
      return line
    case "invalid_input_type", "value_smaller_than_min", "value_bigger_than_max", "value_not_in_list":
      if let spec, let raw = nodes[id]?["inputs"]?[inputName], case .failure(var problem) = spec.coerce(raw) {
        // The server reported it, so it does check this list (v3 combos since 0.4).
        if case .notAChoice(let input, let value, let choices, let suggestions, _) = problem {
          problem = .notAChoice(
            input: input, value: value, choices: choices, suggestions: suggestions, checkedByServer: true)
        }
        return problem.shellMessage
      }
      if error.type == "value_not_in_list", case .array(let choices)? = spec?.rawType {
        let shown = received.map(Py.str) ?? "?"
        let close = Suggest.ranked(shown, in: choices.map(Py.str), limit: 3)
        return "\(inputName) = \"\(shown)\" is not one of the \(choices.count) choices"
          + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?")
      }
      return "\(inputName): \(error.message) (\(error.details))"
    case "custom_validation_failed":
      let file = nodes[id]?["inputs"]?[inputName]?.stringValue ?? "?"
      var line = "\(inputName): the server has no input file \(file); upload it with `upload FILE`"
      if let choices = spec?.combo?.names, !choices.isEmpty {
        let close = Suggest.ranked(file, in: choices, limit: 3)
        if !close.isEmpty { line += " (or did you mean \(close.joined(separator: ", "))?)" }
      }
      return line
    case "dependency_cycle":
      let path = error.details.replacingAll(" -> ", with: " → ")
      return "its links go in a circle (\(path)); ComfyUI cannot run a loop: `unlink` one of them"
    case "exception_during_inner_validation", "exception_during_validation":
      return Self.explainException(error, nodeID: id, nodes: nodes, catalog: catalog)
    default:
      return "\(error.message): \(error.details)"
    }
  }

  /// "outputs with IMAGE: 14:0 (LoadImage), 3:0 (EmptyImage)" or a note that there are none.
  static func candidates(
    for type: String, excluding id: String, nodes: JSONObject, catalog: Catalog
  ) -> String {
    var found: [String] = []
    for (nodeID, node) in nodes where nodeID != id {
      guard let className = node["class_type"]?.stringValue, let nodeClass = catalog[className: className]
      else {
        continue
      }
      for (slot, output) in nodeClass.outputs.enumerated()
      where Catalog.outputType(output.type, fits: type) && type != "*" {
        found.append("node \(nodeID) (\(className)) has \(output.type) at \(nodeID):\(slot)")
      }
    }
    if found.isEmpty { return "no node in the workflow has an output of type \(type); add one that does" }
    let shown = found.prefix(4).joined(separator: "; ")
    return found.count > 4 ? shown + "; and \(found.count - 4) more" : shown
  }

  /// Finds the link of node `id` that the server choked on: a node that is not there, or a slot past
  /// the end of the linked class's outputs.
  static func explainException(
    _ error: NodeError, nodeID id: String, nodes: JSONObject, catalog: Catalog
  ) -> String {
    let inputs = nodes[id]?["inputs"]
    if error.extraInfo["exception_type"]?.stringValue == "KeyError", error.details == "'inputs'" {
      return "the node has no \"inputs\" object; write \"inputs\": {} at least"
    }
    for (name, value) in inputs?.objectValue ?? [:] {
      guard case .array(let link) = value, link.count == 2 else { continue }
      guard let target = link[0].stringValue else {
        return
          "\(name) links to \(link[0].serialized()), but node ids are text: write [\"\(Py.str(link[0]))\", \(link[1].serialized())]"
      }
      guard let linked = nodes[target] else {
        var line = "\(name) links to node \(target), which is not in the workflow"
        if let close = Suggest.closest(target, in: Array(nodes.keys)) { line += " (did you mean \(close)?)" }
        return line
      }
      let className = linked["class_type"]?.stringValue ?? "?"
      guard let outputs = catalog[className: className]?.outputs else { continue }
      let slotText = link[1].serialized()
      if let slot = Int(slotText), slot >= 0, slot < outputs.count { continue }
      if let slot = Int(slotText), slot < 0, -slot <= outputs.count { continue }
      let list = outputs.enumerated().map { "\($0.offset) \($0.element.type)" }.joined(separator: ", ")
      return "\(name) links to output \(slotText) of node \(target) (\(className)), whose outputs are "
        + (list.isEmpty ? "none" : list)
    }
    let type = error.extraInfo["exception_type"]?.stringValue ?? "exception"
    return "the server's validation failed with \(type): \(error.details)"
  }
}
