import ComfyClient
import ComfyRules
import Workflow

/// The last error `validate`, `run` or a watched prompt met, kept for `explain error`.
public enum LastProblem: Sendable {
  /// comfysh's own check of the workflow (`validate`, or `run` before it sent anything).
  case validation(ValidationResult, command: String)
  /// The server refused `POST /prompt`.
  case rejection(PromptRejection, prompt: JSONObject)
  /// A node failed while the prompt ran.
  case execution(ExecutionFailure)
}
