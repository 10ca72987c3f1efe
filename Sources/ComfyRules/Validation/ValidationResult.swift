import OrderedCollections
import Workflow

/// What validation needs from its surroundings: the simulator knows its input folder, a client does not.
public struct ValidationHooks: Sendable {
  /// Whether the server's input folder has a file (`example.png`, or annotated `x.png [output]`), for
  /// LoadImage-like classes whose own check looks for the file. Nil: a name counts as present when it
  /// is one of the input's choices in the catalog (what the server listed when the catalog was read).
  public var inputFileExists: (@Sendable (_ annotatedName: String) -> Bool)?
  /// The folder the server's `execution.py` lives in, as tracebacks in `exception_during_*` errors
  /// show it; the recorded ComfyUI 0.3.64 ran from `/srv/ComfyUI`.
  public var tracebackRoot: String
  /// Whose answers to give; nil: by the catalog's ComfyUI version, or what its object_info shows.
  public var rules: ValidationRules?
  /// The server's `GET /node_replacements`, applied first under the 0.33 rules.
  public var nodeReplacements: NodeReplacements

  public init(
    inputFileExists: (@Sendable (_ annotatedName: String) -> Bool)? = nil,
    tracebackRoot: String = "/srv/ComfyUI", rules: ValidationRules? = nil,
    nodeReplacements: NodeReplacements = NodeReplacements()
  ) {
    self.inputFileExists = inputFileExists
    self.tracebackRoot = tracebackRoot
    self.rules = rules
    self.nodeReplacements = nodeReplacements
  }
}

/// The prompt-level `error` of a rejected POST /prompt.
public struct PromptError: Sendable, Equatable {
  /// `invalid_prompt`, `prompt_no_outputs`, `prompt_outputs_failed_validation` or `no_prompt`.
  public var type: String
  public var message: String
  public var details: String
  public var extraInfo: JSONObject

  public init(type: String, message: String, details: String, extraInfo: JSONObject = [:]) {
    self.type = type
    self.message = message
    self.details = details
    self.extraInfo = extraInfo
  }

  public var json: JSONValue {
    [
      "type": .string(type), "message": .string(message), "details": .string(details),
      "extra_info": .object(extraInfo),
    ]
  }
}

/// One entry of a node's `errors` list, exactly as the server writes it.
public struct NodeError: Sendable, Equatable {
  /// `required_input_missing`, `bad_linked_input`, `return_type_mismatch`, `invalid_input_type`,
  /// `value_smaller_than_min`, `value_bigger_than_max`, `value_not_in_list`, `custom_validation_failed`,
  /// `exception_during_inner_validation` or `exception_during_validation`.
  public var type: String
  public var message: String
  public var details: String
  /// `input_name`, `input_config`, `received_value`, `received_type`, `linked_node`, `exception_*`…
  public var extraInfo: JSONObject

  public init(type: String, message: String, details: String, extraInfo: JSONObject = [:]) {
    self.type = type
    self.message = message
    self.details = details
    self.extraInfo = extraInfo
  }

  /// The input the error is about, when it names one.
  public var inputName: String? { extraInfo["input_name"]?.stringValue }

  public var json: JSONValue {
    [
      "type": .string(type), "message": .string(message), "details": .string(details),
      "extra_info": .object(extraInfo),
    ]
  }
}

/// The errors of one node and the outputs that could not run because of them.
public struct NodeErrors: Sendable, Equatable {
  public var errors: [NodeError]
  /// Output nodes whose validation reported this node (in the server's own, sometimes generous, way:
  /// every failed output is added to every node that has errors at that point).
  public var dependentOutputs: [String]
  public var classType: String

  public init(errors: [NodeError], dependentOutputs: [String], classType: String) {
    self.errors = errors
    self.dependentOutputs = dependentOutputs
    self.classType = classType
  }

  public var json: JSONValue {
    [
      "errors": .array(errors.map(\.json)), "dependent_outputs": .array(dependentOutputs.map { .string($0) }),
      "class_type": .string(classType),
    ]
  }
}

/// ComfyUI's verdict on a POST /prompt, as `validate_prompt` (execution.py) and server.py would give it.
public struct ValidationResult: Sendable {
  /// The prompt would be queued (HTTP 200): at least one output node is valid.
  public var accepted: Bool
  /// The reason for a rejection (HTTP 400); nil when accepted.
  public var error: PromptError?
  /// Errors per node id, in the server's order; may be non-empty when accepted (an output is skipped).
  public var nodeErrors: OrderedDictionary<String, NodeErrors>
  /// The valid output nodes, which are the ones that would run, in prompt order.
  public var outputsToExecute: [String]
  /// Set when the real server would fail with an unhandled exception and answer HTTP 500 (text body
  /// `ValidationResult.serverFaultBody`); says what it chokes on.
  public var serverFault: String?
  /// Inputs the server rewrote while validating (`int("8")` → 8, `__value__` unwrapped), per node.
  var conversions: [String: [(input: String, value: JSONValue)]] = [:]
  /// The prompt as received, after node replacement.
  public internal(set) var originalPrompt: JSONValue?
  /// The nodes the server would rewrite to a replacement class before validating them.
  public internal(set) var replacements: [NodeReplacements.Applied] = []
  /// The rules the verdict follows.
  public internal(set) var rules: ValidationRules = .comfyUI0_3

  public init(
    accepted: Bool, error: PromptError?, nodeErrors: OrderedDictionary<String, NodeErrors> = [:],
    outputsToExecute: [String] = [], serverFault: String? = nil
  ) {
    self.accepted = accepted
    self.error = error
    self.nodeErrors = nodeErrors
    self.outputsToExecute = outputsToExecute
    self.serverFault = serverFault
  }

  /// What aiohttp answers when a handler raises.
  public static let serverFaultBody = "500 Internal Server Error\n\nServer got itself in trouble"

  /// 200, 400, or 500 (see `serverFault`).
  public var httpStatus: Int { serverFault != nil ? 500 : (accepted ? 200 : 400) }

  /// The server's JSON answer: `{"error": …, "node_errors": …}` on rejection, `{"node_errors": …}` when
  /// accepted (the caller adds `prompt_id` and `number` in front); `null` for a 500, whose body is text.
  public func responseJSON() -> JSONValue {
    if serverFault != nil { return .null }
    var nodes = JSONObject(minimumCapacity: nodeErrors.count)
    for (id, errors) in nodeErrors { nodes[id] = errors.json }
    if let error, !accepted {
      return ["error": error.json, "node_errors": .object(nodes)]
    }
    return ["node_errors": .object(nodes)]
  }

  /// The prompt the way the server keeps (and later shows in history) after validation: the values it
  /// converted are replaced, and numbers are written as Python writes them back (`1E5` → `100000.0`).
  public var validatedPrompt: JSONValue? {
    guard accepted, case .object(var nodes)? = originalPrompt else { return nil }
    for (id, changes) in conversions {
      guard case .object(var node)? = nodes[id], case .object(var inputs)? = node["inputs"] else { continue }
      for change in changes { inputs[change.input] = change.value }
      node["inputs"] = .object(inputs)
      nodes[id] = .object(node)
    }
    return Py.roundTrip(.object(nodes))
  }
}
