import Workflow

/// What `POST /prompt` validation decided, in the server's own JSON shapes.
struct PromptVerdict: Sendable {
  var accepted: Bool
  /// The `error` object of a 400 answer (nil when accepted).
  var error: JSONValue?
  /// `node_errors`, an object keyed by node id; may be non-empty on a 200.
  var nodeErrors: JSONValue
  /// The output nodes to run, in prompt order.
  var outputs: [String]
  /// The prompt with validated values converted as ComfyUI converts them (`int()`, `float()`,
  /// `{"__value__": …}` unwrapped): this is what is queued, run and shown in history.
  var prompt: JSONValue
}

/// The seam between the simulator and whoever validates prompts. The shared validator from
/// `Sources/Workflow/Validation` plugs in here; `FallbackPromptValidator` stands in until then.
protocol PromptValidating: Sendable {
  func validate(
    prompt: JSONValue, partialTargets: [String]?, inputFileExists: (String) -> Bool
  ) -> PromptVerdict
}

/// A validator written from ComfyUI 0.3.64's `validate_prompt`/`validate_inputs`, covering the
/// cases the recorded fixtures show (unknown class, missing class_type, no outputs, missing and
/// malformed links, type mismatch, INT/FLOAT/STRING/BOOLEAN conversion, min/max, v1 COMBO lists,
/// LoadImage's file check).
struct FallbackPromptValidator: PromptValidating {
  let catalog: SimCatalog

  private struct Failure: Error {
    var type: String
    var message: String
  }

  private struct State {
    var prompt: JSONObject
    var validated: [String: (valid: Bool, errors: [JSONValue])] = [:]
    var validatedOrder: [String] = []

    mutating func record(_ id: String, _ valid: Bool, _ errors: [JSONValue]) {
      if validated[id] == nil { validatedOrder.append(id) }
      validated[id] = (valid, errors)
    }
  }

  func validate(
    prompt: JSONValue, partialTargets: [String]?, inputFileExists: (String) -> Bool
  ) -> PromptVerdict {
    func reject(_ type: String, _ message: String, _ details: String) -> PromptVerdict {
      PromptVerdict(
        accepted: false,
        error: .object([
          "type": .string(type), "message": .string(message), "details": .string(details), "extra_info": [:],
        ]), nodeErrors: [:], outputs: [], prompt: prompt)
    }
    guard case .object(let nodes) = prompt else {
      return reject("invalid_prompt", "Cannot execute because the prompt is not an object of nodes.", "")
    }
    var outputs: [String] = []
    for (id, node) in nodes {
      guard case .string(let classType)? = node["class_type"] else {
        return reject(
          "invalid_prompt", "Cannot execute because a node is missing the class_type property.",
          "Node ID '#\(id)'")
      }
      guard let nodeClass = catalog[classType] else {
        return reject(
          "invalid_prompt", "Cannot execute because node \(classType) does not exist.", "Node ID '#\(id)'")
      }
      if nodeClass.isOutputNode, partialTargets.map({ $0.contains(id) }) ?? true { outputs.append(id) }
    }
    if outputs.isEmpty { return reject("prompt_no_outputs", "Prompt has no outputs", "") }

    var state = State(prompt: nodes)
    var good: [String] = []
    var nodeErrors = JSONObject()
    var outputReasons: [String] = []
    for output in outputs {
      var valid = false
      var reasons: [JSONValue] = []
      do {
        (valid, reasons) = try validateInputs(output, &state, inputFileExists)
      } catch {
        reasons = [
          .object([
            "type": "exception_during_validation", "message": "Exception when validating node",
            "details": .string(error.message),
            "extra_info": .object(["exception_type": .string(error.type), "traceback": .array([])]),
          ])
        ]
        state.record(output, false, reasons)
      }
      if valid {
        good.append(output)
        continue
      }
      for reason in reasons {
        outputReasons.append(
          "\(reason["message"]?.stringValue ?? ""): \(reason["details"]?.stringValue ?? "")")
      }
      for id in state.validatedOrder {
        guard let result = state.validated[id], !result.valid, !result.errors.isEmpty else { continue }
        var entry =
          nodeErrors[id]?.objectValue ?? [
            "errors": .array(result.errors), "dependent_outputs": [],
            "class_type": state.prompt[id]?["class_type"] ?? .null,
          ]
        entry["dependent_outputs"] = .array(
          (entry["dependent_outputs"]?.arrayValue ?? []) + [.string(output)])
        nodeErrors[id] = .object(entry)
      }
    }
    if good.isEmpty {
      return PromptVerdict(
        accepted: false,
        error: .object([
          "type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
          "details": .string(outputReasons.joined(separator: "\n")), "extra_info": [:],
        ]), nodeErrors: .object(nodeErrors), outputs: [], prompt: .object(state.prompt))
    }
    return PromptVerdict(
      accepted: true, error: nil, nodeErrors: .object(nodeErrors), outputs: good,
      prompt: .object(state.prompt))
  }

  private func validateInputs(
    _ id: String, _ state: inout State, _ fileExists: (String) -> Bool
  ) throws(Failure)
    -> (Bool, [JSONValue])
  {
    if let done = state.validated[id] { return (done.valid, done.errors) }
    guard let node = state.prompt[id]?.objectValue else {
      throw Failure(type: "KeyError", message: "'\(id)'")
    }
    guard case .string(let classType)? = node["class_type"], let nodeClass = catalog[classType] else {
      throw Failure(type: "KeyError", message: "'\(id)'")
    }
    var inputs = node["inputs"]?.objectValue ?? [:]
    var errors: [JSONValue] = []
    var valid = true
    let customChecked: Set<String> = classType == "LoadImage" ? ["image"] : []

    for spec in nodeClass.inputs {
      let name = spec.name
      let info: JSONValue = .array([
        spec.type == "COMBO" && !spec.options.isEmpty && spec.config["options"] == nil
          ? .array(spec.options) : .string(spec.type), .object(spec.config),
      ])
      func issue(_ type: String, _ message: String, _ details: String, _ extra: JSONObject) -> JSONValue {
        var extraInfo: JSONObject = ["input_name": .string(name)]
        for (k, v) in extra { extraInfo[k] = v }
        return .object([
          "type": .string(type), "message": .string(message), "details": .string(details),
          "extra_info": .object(extraInfo),
        ])
      }
      guard var value = inputs[name] else {
        if spec.category == .required {
          errors.append(issue("required_input_missing", "Required input is missing", name, [:]))
        }
        continue
      }
      if case .array(let link) = value {
        guard link.count == 2 else {
          errors.append(
            issue(
              "bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", name,
              ["input_config": info, "received_value": value]))
          continue
        }
        let sourceID = link[0].stringValue ?? PythonText.str(link[0])
        guard case .string(let sourceClassName)? = state.prompt[sourceID]?["class_type"],
          let sourceClass = catalog[sourceClassName]
        else { throw Failure(type: "KeyError", message: PythonText.reprString(sourceID)) }
        guard let slot = link[1].numberValue?.int64Value else {
          throw Failure(
            type: "TypeError", message: "tuple indices must be integers or slices, not \(link[1].typeName)")
        }
        let index = slot < 0 ? Int(slot) + sourceClass.outputTypes.count : Int(slot)
        guard index >= 0, index < sourceClass.outputTypes.count else {
          throw Failure(type: "IndexError", message: "tuple index out of range")
        }
        let received = sourceClass.outputTypes[index]
        if !Self.typesMatch(received, spec.type) {
          errors.append(
            issue(
              "return_type_mismatch", "Return type mismatch between linked nodes",
              "\(name), received_type(\(received)) mismatch input_type(\(spec.type))",
              ["input_config": info, "received_type": .string(received), "linked_node": value]))
          continue
        }
        do {
          let (ok, _) = try validateInputs(sourceID, &state, fileExists)
          if !ok { valid = false }
        } catch {
          valid = false
          state.record(
            sourceID, false,
            [
              .object([
                "type": "exception_during_inner_validation",
                "message": "Exception when validating inner node",
                "details": .string(error.message),
                "extra_info": .object([
                  "input_name": .string(name), "input_config": info,
                  "exception_message": .string(error.message),
                  "exception_type": .string(error.type), "traceback": .array([]), "linked_node": value,
                ]),
              ])
            ])
        }
        continue
      }
      if case .object(let wrapper) = value, let inner = wrapper["__value__"] {
        value = inner
        inputs[name] = value
      }
      do {
        value = try Self.convert(value, to: spec.type)
        inputs[name] = value
      } catch {
        errors.append(
          issue(
            "invalid_input_type", "Failed to convert an input value to a \(spec.type) value",
            "\(name), \(PythonText.str(value)), \(error.message)",
            ["input_config": info, "received_value": value, "exception_message": .string(error.message)]))
        continue
      }
      if customChecked.contains(name) { continue }
      if let n = value.numberValue {
        if let min = spec.config["min"]?.numberValue, Self.less(n, min) {
          errors.append(
            issue(
              "value_smaller_than_min",
              "Value \(PythonText.pythonNumberText(n)) smaller than min of \(PythonText.pythonNumberText(min))",
              name,
              ["input_config": info, "received_value": value]))
          continue
        }
        if let max = spec.config["max"]?.numberValue, Self.less(max, n) {
          errors.append(
            issue(
              "value_bigger_than_max",
              "Value \(PythonText.pythonNumberText(n)) bigger than max of \(PythonText.pythonNumberText(max))",
              name,
              ["input_config": info, "received_value": value]))
          continue
        }
      }
      // ComfyUI 0.3.64 checks only v1 COMBO lists; a v3 `["COMBO", {"options": …}]` is accepted as is.
      if spec.type == "COMBO", spec.config["options"] == nil, !spec.options.contains(value) {
        let long = spec.options.count > 20
        let list = long ? "(list of length \(spec.options.count))" : PythonText.repr(.array(spec.options))
        errors.append(
          issue(
            "value_not_in_list", "Value not in list", "\(name): '\(PythonText.str(value))' not in \(list)",
            ["input_config": long ? .null : info, "received_value": value]))
        continue
      }
    }
    if classType == "LoadImage", let image = inputs["image"] {
      let name = PythonText.str(image)
      if !fileExists(name) {
        errors.append(
          .object([
            "type": "custom_validation_failed", "message": "Custom validation failed for node",
            "details": .string("image - Invalid image file: \(name)"), "extra_info": ["input_name": "image"],
          ]))
      }
    }
    if var updated = state.prompt[id]?.objectValue {
      updated["inputs"] = .object(inputs)
      state.prompt[id] = .object(updated)
    }
    let ok = errors.isEmpty && valid
    state.record(id, ok, errors)
    return (ok, errors)
  }

  /// ComfyUI's `validate_node_input`: equal, or overlapping comma-separated unions, or `*`.
  static func typesMatch(_ received: String, _ expected: String) -> Bool {
    if received == expected { return true }
    let a = Set(received.split(separator: ",").map { $0.trimmingCharacters() })
    let b = Set(expected.split(separator: ",").map { $0.trimmingCharacters() })
    if a.contains("*") || b.contains("*") { return true }
    return !a.isDisjoint(with: b)
  }

  private static func less(_ a: JSONNumber, _ b: JSONNumber) -> Bool {
    if let x = a.int64Value, let y = b.int64Value { return x < y }
    if let x = a.uint64Value, let y = b.uint64Value { return x < y }
    return a.doubleValue < b.doubleValue
  }

  /// Python's `int()`, `float()`, `str()`, `bool()` on a JSON value, for the four widget types.
  private static func convert(_ value: JSONValue, to type: String) throws(Failure) -> JSONValue {
    switch type {
    case "INT":
      switch value {
      case .number(let n):
        if n.isInteger { return value }
        let d = n.doubleValue
        guard d.isFinite else {
          throw Failure(type: "OverflowError", message: "cannot convert float infinity to integer")
        }
        return .number(JSONNumber(uncheckedText: String(Int64(d.rounded(.towardZero)))))
      case .bool(let b): return .int(b ? 1 : 0)
      case .string(let s):
        let t = s.trimmingCharacters()
        if let i = Int64(t.hasPrefix("+") ? String(t.dropFirst()) : t) { return .number(JSONNumber(i)) }
        throw Failure(
          type: "ValueError", message: "invalid literal for int() with base 10: \(PythonText.reprString(s))")
      default:
        throw Failure(
          type: "TypeError",
          message:
            "int() argument must be a string, a bytes-like object or a real number, not '\(pythonTypeName(value))'"
        )
      }
    case "FLOAT":
      switch value {
      case .number(let n):
        return n.isInteger ? .number(JSONNumber(uncheckedText: PythonText.floatRepr(n.doubleValue))) : value
      case .bool(let b): return .number(JSONNumber(uncheckedText: b ? "1.0" : "0.0"))
      case .string(let s):
        if let d = Double(s.trimmingCharacters()), d.isFinite {
          return .number(JSONNumber(uncheckedText: PythonText.floatRepr(d)))
        }
        throw Failure(
          type: "ValueError", message: "could not convert string to float: \(PythonText.reprString(s))")
      default:
        throw Failure(
          type: "TypeError",
          message: "float() argument must be a string or a real number, not '\(pythonTypeName(value))'")
      }
    case "STRING":
      if case .string = value { return value }
      return .string(PythonText.str(value))
    case "BOOLEAN":
      switch value {
      case .bool: return value
      case .null: return false
      case .number(let n): return .bool(n.doubleValue != 0)
      case .string(let s): return .bool(!s.isEmpty)
      case .array(let a): return .bool(!a.isEmpty)
      case .object(let o): return .bool(!o.isEmpty)
      }
    default:
      return value
    }
  }

  private static func pythonTypeName(_ value: JSONValue) -> String {
    switch value {
    case .null: "NoneType"
    case .bool: "bool"
    case .number(let n): n.isInteger ? "int" : "float"
    case .string: "str"
    case .array: "list"
    case .object: "dict"
    }
  }
}

extension String {
  /// Leading and trailing white space removed (no Foundation in this module).
  func trimmingCharacters() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}

extension Substring {
  func trimmingCharacters() -> String { String(self).trimmingCharacters() }
}

/// The validator the simulator uses for `POST /prompt`.
func makeValidator(objectInfo: JSONObject, catalog: SimCatalog) -> any PromptValidating {
  FallbackPromptValidator(catalog: catalog)
}
