import ComfyRules
import Workflow

/// What `POST /prompt` validation decided, in the server's own JSON shapes.
struct PromptVerdict: Sendable {
  enum Outcome: Sendable, Equatable {
    case accepted
    /// HTTP 400 with `{"error": …, "node_errors": …}`.
    case rejected
    /// The real server would raise inside the handler: HTTP 500, text body.
    case serverFault
  }

  var outcome: Outcome
  /// The `error` object of a 400 answer.
  var error: JSONValue = .null
  /// `node_errors`, an object keyed by node id; may be non-empty on a 200.
  var nodeErrors: JSONValue = [:]
  /// The output nodes to run.
  var outputs: [String] = []
  /// The prompt with validated values converted as ComfyUI converts them (`int()`, `float()`,
  /// `{"__value__": …}` unwrapped): this is what is queued, run and shown in history.
  var prompt: JSONValue = .null
}

/// The seam between the simulator and prompt validation, so the simulator does not depend on how
/// the validator is built.
protocol PromptValidating: Sendable {
  /// Validates a whole POST /prompt body (`prompt`, `partial_execution_targets`, `number`…).
  func validate(body: JSONValue, inputFileExists: @escaping @Sendable (String) -> Bool) -> PromptVerdict
}

/// The shared validator of ComfyRules, which answers as ComfyUI 0.3.64's or 0.33.0's
/// `validate_prompt` does.
struct SharedPromptValidator: PromptValidating {
  let catalog: Catalog
  let rules: ValidationRules
  let nodeReplacements: NodeReplacements

  func validate(body: JSONValue, inputFileExists: @escaping @Sendable (String) -> Bool) -> PromptVerdict {
    let hooks = ValidationHooks(
      inputFileExists: inputFileExists, tracebackRoot: "/ComfySim (simulated)", rules: rules,
      nodeReplacements: nodeReplacements)
    let result = PromptValidation.validateRequestBody(body, catalog: catalog, hooks: hooks)
    if result.serverFault != nil { return PromptVerdict(outcome: .serverFault) }
    let response = result.responseJSON()
    let nodeErrors = response["node_errors"] ?? [:]
    guard result.accepted else {
      return PromptVerdict(outcome: .rejected, error: response["error"] ?? .null, nodeErrors: nodeErrors)
    }
    return PromptVerdict(
      outcome: .accepted, nodeErrors: nodeErrors, outputs: result.outputsToExecute,
      prompt: result.validatedPrompt ?? body["prompt"] ?? .null)
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
