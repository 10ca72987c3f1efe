import OrderedCollections
import Workflow

/// Validates an API-format prompt (the raw `prompt` JSON of a POST /prompt body) the way ComfyUI 0.3.64
/// or 0.33.0 does (`ValidationRules`), with the same verdict, error types, messages and `extra_info`.
///
/// Where the server's order depends on Python set iteration (which outputs are checked first, which
/// input of a node first), this goes by prompt order and catalog input order.
public func validate(
  prompt: JSONValue, catalog: Catalog, hooks: ValidationHooks = .init(),
  partialExecutionTargets: JSONValue? = nil
) -> ValidationResult {
  PromptValidation.validate(
    prompt: prompt, catalog: catalog, hooks: hooks, partialExecutionTargets: partialExecutionTargets)
}

/// ComfyUI's POST /prompt validation as a namespace, for callers that prefer `PromptValidation.validate…`.
public enum PromptValidation {
  public static func validate(
    prompt: JSONValue, catalog: Catalog, hooks: ValidationHooks = .init(),
    partialExecutionTargets: JSONValue? = nil
  ) -> ValidationResult {
    let rules = hooks.rules ?? ValidationRules(for: catalog)
    var prompt = prompt
    var replaced: [NodeReplacements.Applied] = []
    if rules == .comfyUI0_33, !hooks.nodeReplacements.isEmpty, case .object(let nodes) = prompt {
      switch hooks.nodeReplacements.apply(to: nodes, catalog: catalog) {
      case .success(let (rewritten, applied)):
        prompt = .object(rewritten)
        replaced = applied
      case .failure(let missing):
        var result = fault(
          "node \(missing.node) has a class the server replaces, and no `_meta`, which the replacement copies"
        )
        result.rules = rules
        return result
      }
    }
    var validator = PromptValidator(catalog: catalog, hooks: hooks, rules: rules)
    var result = validator.run(prompt: prompt, partial: partialExecutionTargets)
    result.originalPrompt = prompt
    result.conversions = validator.conversions
    result.replacements = replaced
    result.rules = rules
    return result
  }

  /// Validates a whole POST /prompt body as server.py reads it: no `prompt` member is `no_prompt`;
  /// `partial_execution_targets` restricts the outputs; `number` must be a number.
  public static func validateRequestBody(
    _ body: JSONValue, catalog: Catalog, hooks: ValidationHooks = .init()
  ) -> ValidationResult {
    let hasMember: (String) -> Bool?
    switch body {
    case .object(let members): hasMember = { members[$0] != nil }
    case .array(let elements): hasMember = { name in elements.contains(.string(name)) }
    case .string(let text): hasMember = { text.contains($0) }
    default: hasMember = { _ in nil }
    }
    guard let hasNumber = hasMember("number") else {
      return fault(
        "the body is \(body.typeName); server.py looks members up in it (`\"number\" in json_data`)")
    }
    guard case .object(let members) = body else {
      if hasNumber || hasMember("prompt") == true {
        return fault("the body is \(body.typeName), which server.py cannot index by member name")
      }
      return noPrompt()
    }
    if let number = members["number"] {
      if case .failure(let ex) = Py.float(number) {
        return fault("float(number) raised \(ex.type): \(ex.message)")
      }
    }
    guard let prompt = members["prompt"] else { return noPrompt() }
    var hooks = hooks
    let rules = hooks.rules ?? ValidationRules(for: catalog)
    hooks.rules = rules
    if rules.checksPromptID, let id = members["prompt_id"], id != .null {
      guard case .string(let text) = id, ValidationRules.isCanonicalUUID(text) else {
        var result = ValidationResult(
          accepted: false,
          error: PromptError(
            type: "invalid_prompt_id", message: "prompt_id must be a valid UUID",
            details:
              "prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one"
          ))
        result.rules = rules
        return result
      }
    }
    let result = validate(
      prompt: prompt, catalog: catalog, hooks: hooks,
      partialExecutionTargets: members["partial_execution_targets"])
    guard result.serverFault == nil, let extraData = members["extra_data"] else { return result }
    // server.py then writes `client_id` (and, for an accepted prompt, `create_time`) into extra_data.
    if case .object = extraData { return result }
    if members["client_id"] != nil || result.accepted {
      return fault("extra_data is \(extraData.typeName); server.py stores client_id and create_time in it")
    }
    return result
  }

  static func noPrompt() -> ValidationResult {
    ValidationResult(
      accepted: false,
      error: PromptError(type: "no_prompt", message: "No prompt provided", details: "No prompt provided"))
  }

  static func fault(_ reason: String) -> ValidationResult {
    ValidationResult(accepted: false, error: nil, serverFault: reason)
  }
}

/// execution.py's `validated` dict, by the node's position in the prompt; `order` is the dict's
/// insertion order, which decides the order of `node_errors`.
struct ValidatedNodes {
  private var outcomes: [NodeOutcome?]
  private var rank: [Int]
  private var count = 0
  /// The failed entries that carry errors, in insertion order: what validate_prompt reports after each
  /// failed output (kept apart so that loop does not walk every validated node).
  private(set) var withErrors: [Int] = []

  init(count: Int) {
    outcomes = Array(repeating: nil, count: count)
    rank = Array(repeating: 0, count: count)
  }

  subscript(position: Int) -> NodeOutcome? {
    get { outcomes[position] }
    set {
      if outcomes[position] == nil {
        rank[position] = count
        count += 1
      }
      let had = outcomes[position].map { !$0.valid && !$0.errors.isEmpty } ?? false
      let has = newValue.map { !$0.valid && !$0.errors.isEmpty } ?? false
      outcomes[position] = newValue
      if has && !had {
        // Nearly always the newest entry; otherwise keep insertion order.
        let r = rank[position]
        let at = withErrors.lastIndex { rank[$0] < r }.map { $0 + 1 } ?? 0
        withErrors.insert(position, at: at)
      } else if had && !has, let at = withErrors.firstIndex(of: position) {
        withErrors.remove(at: at)
      }
    }
  }
}

/// One node's verdict in `validated` (execution.py's `(valid, errors, id)` tuples).
struct NodeOutcome {
  var valid: Bool
  var errors: [NodeError]
}

/// The checks ComfyUI runs for a file-loading class's own VALIDATE_INPUTS (nodes.py, comfy_extras).
struct FileValidator {
  /// `inspect.getfullargspec(...).args`, the class argument included: these inputs skip the range and
  /// choice checks.
  let arguments: [String]
  /// How Python names the function in a "missing argument" TypeError.
  let qualifiedName: String
  let fileInput: String
  /// "image", "audio" or "video", as in "Invalid image file: x".
  let noun: String

  static let known: [String: FileValidator] = {
    let image = FileValidator(
      arguments: ["s", "image"], qualifiedName: "LoadImage.VALIDATE_INPUTS", fileInput: "image", noun: "image"
    )
    return [
      "LoadImage": image,
      "LoadImageOutput": image,
      "WebcamCapture": image,
      "LoadImageMask": FileValidator(
        arguments: ["s", "image"], qualifiedName: "LoadImageMask.VALIDATE_INPUTS", fileInput: "image",
        noun: "image"),
      "LoadAudio": FileValidator(
        arguments: ["s", "audio"], qualifiedName: "LoadAudio.VALIDATE_INPUTS", fileInput: "audio",
        noun: "audio"),
      "LoadVideo": FileValidator(
        arguments: ["cls", "file"], qualifiedName: "LoadVideo.validate_inputs", fileInput: "file",
        noun: "video"),
    ]
  }()
}

/// A catalog class as validation uses it, shared by every node of the class: copying a `NodeClass`
/// retains each of its members, and a prompt names a few classes many times; what every node reads
/// is kept apart, as reading it through `nodeClass` copies the whole class.
final class ResolvedClass: Sendable {
  let nodeClass: NodeClass
  let fileValidator: FileValidator?
  let inputs: [InputSpec]
  let hasDynamicInputs: Bool
  let outputs: [OutputSpec]
  let isV3Schema: Bool

  init(_ nodeClass: NodeClass) {
    self.nodeClass = nodeClass
    fileValidator = FileValidator.known[nodeClass.name]
    inputs = nodeClass.inputs
    hasDynamicInputs = nodeClass.hasDynamicInputs
    outputs = nodeClass.outputs
    isV3Schema = nodeClass.isV3Schema
  }
}

struct PromptValidator {
  let catalog: Catalog
  let hooks: ValidationHooks
  let rules: ValidationRules
  var prompt: JSONObject = [:]
  var validated = ValidatedNodes(count: 0)
  var inProgress: [Bool] = []
  /// The nodes being validated, outermost first (0.33's `visiting`, which finds cycles).
  var visiting: [Int] = []
  /// Nodes whose verdict is a dependency cycle, which their own validation does not overwrite.
  var inCycle: Set<Int> = []
  /// Each node's class by its position, found by validate_prompt's first loop before any node is validated.
  var classes: [ResolvedClass?] = []
  var classesByName: [String: ResolvedClass] = [:]
  var conversions: [String: [(input: String, value: JSONValue)]] = [:]

  init(catalog: Catalog, hooks: ValidationHooks, rules: ValidationRules = .comfyUI0_3) {
    self.catalog = catalog
    self.hooks = hooks
    self.rules = rules
  }

  // MARK: validate_prompt

  mutating func run(prompt rawPrompt: JSONValue, partial: JSONValue?) -> ValidationResult {
    let nodes: JSONObject
    switch rawPrompt {
    case .object(let members): nodes = members
    case .array(let a) where a.isEmpty: nodes = [:]
    case .string(let s) where s.isEmpty: nodes = [:]
    case .array, .string:
      return PromptValidation.fault("the prompt is \(rawPrompt.typeName), not an object of nodes")
    default:
      return PromptValidation.fault("the prompt is \(rawPrompt.typeName), which is not iterable")
    }
    prompt = nodes
    validated = ValidatedNodes(count: nodes.count)
    inProgress = Array(repeating: false, count: nodes.count)
    classes = Array(repeating: nil, count: nodes.count)
    var outputs: [Int] = []
    for (position, (id, node)) in nodes.enumerated() {
      let classType: JSONValue
      switch node {
      case .object(let fields):
        guard let value = fields["class_type"] else { return invalidPrompt(missingClassTypeAt: id) }
        classType = value
      case .array(let elements):
        if elements.contains(.string("class_type")) {
          return PromptValidation.fault("node \(id) is a list, which cannot be indexed by 'class_type'")
        }
        return invalidPrompt(missingClassTypeAt: id)
      case .string(let text):
        if text.contains("class_type") {
          return PromptValidation.fault("node \(id) is a string, which cannot be indexed by 'class_type'")
        }
        return invalidPrompt(missingClassTypeAt: id)
      default:
        return PromptValidation.fault("node \(id) is \(node.typeName), which `'class_type' in` cannot search")
      }
      if case .array = classType {
        return PromptValidation.fault("the class_type of node \(id) is a list (unhashable)")
      }
      if case .object = classType {
        return PromptValidation.fault("the class_type of node \(id) is an object (unhashable)")
      }
      guard case .string(let name) = classType, let resolved = resolveClass(named: name) else {
        if rules == .comfyUI0_33 { return missingNodeType(id, node: node, classType: classType) }
        return ValidationResult(
          accepted: false,
          error: PromptError(
            type: "invalid_prompt",
            message: "Cannot execute because node \(Py.str(classType)) does not exist.",
            details: "Node ID '#\(id)'"))
      }
      classes[position] = resolved
      if resolved.nodeClass.isOutputNode {
        switch Self.partialContains(partial, id) {
        case .none:
          return PromptValidation.fault(
            "partial_execution_targets is \(partial?.typeName ?? "?"), not a list")
        case .some(true):
          outputs.append(position)
        case .some(false):
          break
        }
      }
    }
    if outputs.isEmpty {
      return ValidationResult(
        accepted: false,
        error: PromptError(type: "prompt_no_outputs", message: "Prompt has no outputs", details: ""))
    }

    var good: [String] = []
    var failed: [(output: String, reasons: [NodeError])] = []
    var nodeErrors = OrderedDictionary<String, NodeErrors>()
    var reported: [Int: Int] = [:]  // prompt position → index in nodeErrors
    for position in outputs {
      let output = prompt.keys[position]
      var valid = false
      var reasons: [NodeError] = []
      do {
        let outcome = try validateInputs(at: position)
        valid = outcome.valid
        reasons = outcome.errors
      } catch {
        reasons = [
          NodeError(
            type: "exception_during_validation", message: "Exception when validating node",
            details: error.message,
            extraInfo: [
              "exception_type": .string(error.type),
              "traceback": .array(
                error.site.traceback(root: hooks.tracebackRoot, fromOutput: true, rules: rules).map {
                  .string($0)
                }),
            ])
        ]
        validated[position] = NodeOutcome(valid: false, errors: reasons)
      }
      if valid {
        good.append(output)
        continue
      }
      failed.append((output, reasons))
      for index in validated.withErrors {
        if let entry = reported[index] {
          nodeErrors.values[entry].dependentOutputs.append(output)
          continue
        }
        let classType = prompt.values[index]["class_type"]?.stringValue ?? ""
        let errors = validated[index]?.errors ?? []
        reported[index] = nodeErrors.count
        nodeErrors[prompt.keys[index]] = NodeErrors(
          errors: errors, dependentOutputs: [output], classType: classType)
      }
    }
    if good.isEmpty {
      let details = failed.flatMap { $0.reasons.map { "\($0.message): \($0.details)" } }.joined(
        separator: "\n")
      return ValidationResult(
        accepted: false,
        error: PromptError(
          type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation",
          details: details),
        nodeErrors: nodeErrors)
    }
    return ValidationResult(accepted: true, error: nil, nodeErrors: nodeErrors, outputsToExecute: good)
  }

  /// The catalog's class of that name, looked up once per validation.
  mutating func resolveClass(named name: String) -> ResolvedClass? {
    if let known = classesByName[name] { return known }
    guard let nodeClass = catalog[className: name] else { return nil }
    let resolved = ResolvedClass(nodeClass)
    classesByName[name] = resolved
    return resolved
  }

  /// 0.33's answer for a node whose class is missing or unknown; the message names its title if it has one.
  func missingNodeType(_ id: String, node: JSONValue, classType: JSONValue?) -> ValidationResult {
    let title = node["_meta"]?["title"].map(Py.str)
    let message: String
    if let classType {
      message = "Node '\(title ?? Py.str(classType))' not found. The custom node may not be installed."
    } else {
      message =
        "Node '\(title ?? "ID #\(id)")' has no class_type. The workflow may be corrupted or a custom node is missing."
    }
    return ValidationResult(
      accepted: false,
      error: PromptError(
        type: "missing_node_type", message: message, details: "Node ID '#\(id)'",
        extraInfo: [
          "node_id": .string(id), "class_type": classType ?? .null,
          "node_title": title.map(JSONValue.string) ?? (classType.map { .string(Py.str($0)) } ?? .null),
        ]))
  }

  func invalidPrompt(missingClassTypeAt id: String) -> ValidationResult {
    if rules == .comfyUI0_33 { return missingNodeType(id, node: prompt[id] ?? .null, classType: nil) }
    return ValidationResult(
      accepted: false,
      error: PromptError(
        type: "invalid_prompt", message: "Cannot execute because a node is missing the class_type property.",
        details: "Node ID '#\(id)'"))
  }

  /// `partial_execution_list is None or x in partial_execution_list`; nil when Python would raise.
  static func partialContains(_ partial: JSONValue?, _ id: String) -> Bool? {
    switch partial {
    case nil, .null?: return true
    case .array(let elements)?: return elements.contains(.string(id))
    case .string(let text)?: return text.contains(id)
    case .object(let members)?: return members[id] != nil
    default: return nil
    }
  }

  // MARK: validate_inputs

  mutating func validateInputs(at position: Int) throws(PyException) -> NodeOutcome {
    if let known = validated[position] { return known }
    let id = prompt.keys[position]
    guard !inProgress[position] else {
      if rules == .comfyUI0_33 { return dependencyCycle(closingAt: position) }
      throw PyException(
        type: "RecursionError", message: "maximum recursion depth exceeded", site: .recursion)
    }
    inProgress[position] = true
    visiting.append(position)
    defer {
      inProgress[position] = false
      visiting.removeLast()
    }
    // validate_prompt has made sure every node is an object with a known class.
    guard case .object(let node) = prompt.values[position], let resolved = classes[position] else {
      throw PyException(type: "KeyError", message: Py.reprString(id), site: .linkedNode)
    }
    guard let inputs = node["inputs"] else {
      throw PyException(type: "KeyError", message: "'inputs'", site: .readInputs)
    }
    let fileValidator = resolved.fileValidator
    let customArguments = fileValidator?.arguments ?? []
    var errors: [NodeError] = []
    var valid = true
    let specs: [InputSpec]
    if case .object(let members) = inputs, resolved.hasDynamicInputs {
      specs = resolved.nodeClass.liveInputs(values: members)
    } else {
      specs = resolved.inputs
    }

    for spec in specs {
      let name = spec.name
      let value: JSONValue
      switch inputs {
      case .object(let members):
        guard let member = members[name] else {
          if spec.mustBePresent { errors.append(Self.missing(spec)) }
          continue
        }
        value = member
      case .array(let elements):
        guard elements.contains(.string(name)) else {
          if spec.mustBePresent { errors.append(Self.missing(spec)) }
          continue
        }
        throw PyException(
          type: "TypeError", message: "list indices must be integers or slices, not str", site: .readInput)
      case .string(let text):
        guard text.contains(name) else {
          if spec.mustBePresent { errors.append(Self.missing(spec)) }
          continue
        }
        throw PyException(
          type: "TypeError", message: "string indices must be integers, not 'str'", site: .readInput)
      default:
        throw PyException(
          type: "TypeError", message: "argument of type '\(Py.typeName(inputs))' is not iterable",
          site: .inputMembership)
      }

      if case .array(let link) = value {
        if link.count != 2 {
          errors.append(
            NodeError(
              type: "bad_linked_input",
              message: "Bad linked input, must be a length-2 list of [node_id, slot_index]",
              details: name,
              extraInfo: [
                "input_name": .string(name), "input_config": spec.inputConfig,
                "received_value": Py.roundTrip(value),
              ]))
          continue
        }
        let linkedPosition = try linkedNodePosition(link[0])
        guard let linkedClass = classes[linkedPosition] else {
          throw PyException(
            type: "KeyError", message: Py.reprString(prompt.keys[linkedPosition]), site: .linkedNode)
        }
        let receivedType = try Self.returnType(of: linkedClass, slot: link[1])
        if !Catalog.typesFit(received: receivedType, input: spec.linkedType) {
          errors.append(
            NodeError(
              type: "return_type_mismatch", message: "Return type mismatch between linked nodes",
              details:
                "\(name), received_type(\(Py.str(receivedType))) mismatch input_type(\(Py.str(spec.rawType)))",
              extraInfo: [
                "input_name": .string(name), "input_config": spec.inputConfig, "received_type": receivedType,
                "linked_node": Py.roundTrip(value),
              ]))
          continue
        }
        do {
          let outcome = try validateInputs(at: linkedPosition)
          if !outcome.valid { valid = false }
        } catch {
          valid = false
          let reason = NodeError(
            type: "exception_during_inner_validation", message: "Exception when validating inner node",
            details: error.message,
            extraInfo: [
              "input_name": .string(name), "input_config": spec.inputConfig,
              "exception_message": .string(error.message), "exception_type": .string(error.type),
              "traceback": .array(
                error.site.traceback(root: hooks.tracebackRoot, fromOutput: false, rules: rules).map {
                  .string($0)
                }),
              "linked_node": Py.roundTrip(value),
            ])
          validated[linkedPosition] = NodeOutcome(valid: false, errors: [reason])
        }
        continue
      }

      // A value: unwrap `__value__`, convert like int()/float()/str()/bool(), then check range and choices.
      var current = value
      var changed = false
      if case .object(let members) = current, let wrapped = members["__value__"] {
        current = wrapped
        changed = true
      }
      // `input_type == "INT"` etc.: the parser gives these kinds exactly to those type names.
      let converted: Result<JSONValue, PyException>?
      switch spec.kind {
      case .int:
        if case .number(let n) = current, Py.isCanonicalIntText(n.text) {
          converted = .success(current)  // int() of a canonical int is itself
        } else {
          converted = Py.int(current).map(Py.intJSON)
        }
      case .float:
        if case .number(let n) = current, Py.isCanonicalFloatText(n.text) {
          converted = .success(current)  // already the float's repr
        } else {
          converted = Py.float(current).map(Py.floatJSON)
        }
      case .string: converted = .success(.string(Py.str(current)))
      case .boolean: converted = .success(.bool(Py.bool(current)))
      case .combo, .link, .dynamicCombo, .autogrow: converted = nil
      }
      switch converted {
      case .success(let newValue)?:
        current = newValue
        changed = true
      case .failure(let ex)?:
        if changed && current != value { record(id, name, current) }
        errors.append(
          NodeError(
            type: "invalid_input_type",
            message: "Failed to convert an input value to a \(spec.kind.typeName) value",
            details: "\(name), \(Py.str(current)), \(ex.message)",
            extraInfo: [
              "input_name": .string(name), "input_config": spec.inputConfig,
              "received_value": Py.roundTrip(current), "exception_message": .string(ex.message),
            ]))
        continue
      case nil:
        break
      }
      if changed && current != value { record(id, name, current) }
      if customArguments.contains(name) { continue }
      if let minimum = spec.options["min"],
        try Py.less(current, minimum, operator: "<", site: .minimum).get()
      {
        errors.append(
          NodeError(
            type: "value_smaller_than_min",
            message: "Value \(Py.str(current)) smaller than min of \(Py.str(minimum))",
            details: name,
            extraInfo: [
              "input_name": .string(name), "input_config": spec.inputConfig,
              "received_value": Py.roundTrip(current),
            ]))
        continue
      }
      if let maximum = spec.options["max"],
        try Py.less(maximum, current, operator: ">", site: .maximum).get()
      {
        errors.append(
          NodeError(
            type: "value_bigger_than_max",
            message: "Value \(Py.str(current)) bigger than max of \(Py.str(maximum))",
            details: name,
            extraInfo: [
              "input_name": .string(name), "input_config": spec.inputConfig,
              "received_value": Py.roundTrip(current),
            ]))
        continue
      }
      if rules.checksV3Combos, case .combo(let combo) = spec.kind, !combo.validatesOptions,
        !spec.isRemoteCombo
      {
        let choices = combo.options
        let values: [JSONValue]
        if combo.multiselect, case .array(let picked) = current {
          values = picked
        } else {
          values = [current]
        }
        if values.allSatisfy({ value in choices.contains { Py.equal(value, $0) } }) { continue }
        let shown: String
        if case .array = current { shown = Py.repr(current) } else { shown = "'\(Py.str(current))'" }
        errors.append(Self.notInList(spec, shown: shown, value: current, choices: choices))
        continue
      }
      if case .array(let choices) = spec.rawType, !choices.contains(where: { Py.equal(current, $0) }) {
        errors.append(Self.notInList(spec, shown: "'\(Py.str(current))'", value: current, choices: choices))
        continue
      }
    }

    if let fileValidator {
      errors += try runFileValidator(fileValidator, id: id, nodeClass: resolved.nodeClass, inputs: inputs)
    }
    if inCycle.contains(position), let cycle = validated[position] { return cycle }
    let outcome = NodeOutcome(valid: errors.isEmpty && valid, errors: errors)
    validated[position] = outcome
    return outcome
  }

  /// `value_not_in_list`; over 20 choices the server names only their count and leaves out the config.
  static func notInList(_ spec: InputSpec, shown: String, value: JSONValue, choices: [JSONValue]) -> NodeError
  {
    let tooMany = choices.count > 20
    return NodeError(
      type: "value_not_in_list", message: "Value not in list",
      details:
        "\(spec.name): \(shown) not in \(tooMany ? "(list of length \(choices.count))" : Py.repr(.array(choices)))",
      extraInfo: [
        "input_name": .string(spec.name), "input_config": tooMany ? .null : spec.inputConfig,
        "received_value": Py.roundTrip(value),
      ])
  }

  /// The details name the input's last segment (`height`), `input_name` its dotted key.
  static func missing(_ spec: InputSpec) -> NodeError {
    NodeError(
      type: "required_input_missing", message: "Required input is missing", details: spec.leafName,
      extraInfo: ["input_name": .string(spec.name)])
  }

  /// 0.33 meets a node again while validating what it links to: every node on the loop gets a
  /// `dependency_cycle` naming the loop from where it was entered.
  mutating func dependencyCycle(closingAt position: Int) -> NodeOutcome {
    let start = visiting.lastIndex(of: position) ?? 0
    let path = Array(visiting[start...]) + [position]
    var members: [Int] = []
    for node in path where !members.contains(node) { members.append(node) }
    let details = path.map { node in
      "\(prompt.keys[node]) (\(prompt.values[node]["class_type"].map(Py.str) ?? "None"))"
    }.joined(separator: " -> ")
    let ids: JSONValue = .array(members.map { .string(prompt.keys[$0]) })
    for node in members {
      validated[node] = NodeOutcome(
        valid: false,
        errors: [
          NodeError(
            type: "dependency_cycle", message: "Dependency cycle detected", details: details,
            extraInfo: ["node_id": .string(prompt.keys[node]), "cycle_nodes": ids])
        ])
      inCycle.insert(node)
    }
    return validated[position] ?? NodeOutcome(valid: false, errors: [])
  }

  mutating func record(_ id: String, _ input: String, _ value: JSONValue) {
    conversions[id, default: []].append((input, value))
  }

  /// `prompt[o_id]` lookup rules: only a string can name a node; lists and objects are unhashable.
  func linkedNodePosition(_ value: JSONValue) throws(PyException) -> Int {
    switch value {
    case .string(let id):
      if let position = prompt.index(forKey: id) { return position }
      throw PyException(type: "KeyError", message: Py.reprString(id), site: .linkedNode)
    case .array, .object:
      throw PyException(
        type: "TypeError", message: "unhashable type: '\(Py.typeName(value))'", site: .linkedNode)
    default:
      throw PyException(type: "KeyError", message: Py.repr(value), site: .linkedNode)
    }
  }

  /// `RETURN_TYPES[val[1]]`: Python indexing, negative indices included; v1 classes hold a tuple,
  /// v3 classes a list, which changes the error text.
  static func returnType(of nodeClass: ResolvedClass, slot: JSONValue) throws(PyException) -> JSONValue {
    let container = nodeClass.isV3Schema ? "list" : "tuple"
    let index: String
    switch slot {
    case .bool(let b): index = b ? "1" : "0"
    case .number(let n) where Py.isIntText(n.text):
      index = Py.isCanonicalIntText(n.text) ? n.text : Py.canonicalInt(n.text)
    default:
      throw PyException(
        type: "TypeError",
        message: "\(container) indices must be integers or slices, not \(Py.typeName(slot))",
        site: .linkedSlot)
    }
    guard let i = Int(index) else {
      throw PyException(
        type: "IndexError", message: "cannot fit 'int' into an index-sized integer", site: .linkedSlot)
    }
    let count = nodeClass.outputs.count
    let position = i < 0 ? count + i : i
    guard position >= 0, position < count else {
      throw PyException(type: "IndexError", message: "\(container) index out of range", site: .linkedSlot)
    }
    let output = nodeClass.outputs[position]
    // A match-type output is whatever its template allows.
    if output.rawType == .string(CatalogParser.matchType) { return .string(output.type) }
    return output.rawType
  }

  /// The class's VALIDATE_INPUTS: the named file must exist in the server's input folder.
  func runFileValidator(
    _ validator: FileValidator, id: String, nodeClass: NodeClass, inputs: JSONValue
  )
    throws(PyException) -> [NodeError]
  {
    guard case .object(let members) = inputs, let raw = members[validator.fileInput] else {
      let parameter = validator.arguments.last ?? validator.fileInput
      throw PyException(
        type: "TypeError",
        message: "\(validator.qualifiedName)() missing 1 required positional argument: '\(parameter)'",
        site: .customValidation)
    }
    // get_input_data hands a link over as None (nothing has run yet); other values as they are now.
    var value = raw
    if let converted = conversions[id]?.last(where: { $0.input == validator.fileInput }) {
      value = converted.value
    }
    if Self.isLink(value) { value = .null }
    guard case .string(let name) = value else {
      throw PyException(
        type: "AttributeError", message: "'\(Py.typeName(value))' object has no attribute 'endswith'",
        site: .customValidation)
    }
    if fileExists(name, input: nodeClass.input(named: validator.fileInput)) { return [] }
    return [
      NodeError(
        type: "custom_validation_failed", message: "Custom validation failed for node",
        details: "\(validator.fileInput) - Invalid \(validator.noun) file: \(name)",
        extraInfo: ["input_name": .string(validator.fileInput)])
    ]
  }

  /// graph_utils `is_link`: a 2-element list of a string and a number (bools count, being ints).
  static func isLink(_ value: JSONValue) -> Bool {
    guard case .array(let pair) = value, pair.count == 2, case .string = pair[0] else { return false }
    switch pair[1] {
    case .number, .bool: return true
    default: return false
    }
  }

  func fileExists(_ name: String, input: InputSpec?) -> Bool {
    if let check = hooks.inputFileExists { return check(name) }
    guard let input, let combo = input.combo else { return true }
    // A v3 combo with no listed options (a remote list) says nothing about the files.
    if !combo.validatesOptions && combo.options.isEmpty { return true }
    return combo.options.contains(.string(name))
  }
}

extension Catalog {
  /// Whether an output of type `output` may feed an input of type `input`, by ComfyUI's rule
  /// (`validate_node_input`): equal types, `*` on either side, or comma-separated unions that share a type.
  public static func outputType(_ output: String, fits input: String) -> Bool {
    typesFit(received: .string(output), input: .string(input))
  }

  /// The same rule over the raw JSON types, where a v1 COMBO input's type is its list of choices.
  static func typesFit(received: JSONValue, input: JSONValue) -> Bool {
    if received == input { return true }
    if received == .string("*") || input == .string("*") { return true }
    if case .array = received, input == .string("COMBO") { return true }
    guard case .string(let r) = received, case .string(let i) = input else { return false }
    if r == i { return true }
    let inputTypes = Set(i.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed))
    return r.split(separator: ",", omittingEmptySubsequences: false).contains {
      inputTypes.contains(Self.trimmed($0))
    }
  }

  private static func trimmed(_ s: Substring) -> Substring {
    var result = s
    while let first = result.first, first.isWhitespace { result = result.dropFirst() }
    while let last = result.last, last.isWhitespace { result = result.dropLast() }
    return result
  }
}
