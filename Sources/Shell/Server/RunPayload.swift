import ComfyClient
import Workflow

extension Session {
  /// The exact POST /prompt body for `prompt`: `client_id`, `prompt`, `extra_data` (the API key,
  /// and `extra_pnginfo.workflow` when the workflow came with its UI form), and `front`.
  func promptBody(for prompt: Workflow, front: Bool) throws -> JSONObject {
    var body: JSONObject = ["client_id": .string(server.clientID), "prompt": prompt.json]
    var extra: JSONObject = [:]
    if let key = try apiKeyForRun() { extra["api_key_comfy_org"] = .string(key.key) }
    if let ui = document.current.uiWorkflow { extra["extra_pnginfo"] = ["workflow": ui] }
    body["extra_data"] = .object(extra)
    if front { body["front"] = true }
    return body
  }

  /// An input of the workflow that looks like a seed, for hints (`3.seed`, `25.noise_seed`).
  func seedInputAddress() -> String? {
    for node in workflow.nodes.values {
      for (name, raw) in node.inputs where name == "seed" || name == "noise_seed" {
        if case .value(.number) = InputValue(stored: raw) { return "\(NodeRef.id(node.id)).\(name)" }
      }
    }
    return nil
  }
}
