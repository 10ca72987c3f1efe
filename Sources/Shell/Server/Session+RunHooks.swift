import ComfyClient
import Workflow

/// Hooks `run` calls that other parts of comfysh fill in. They live in this file alone so that
/// filling them touches nothing else.
extension Session {
  /// Local checks before `run` posts the prompt (the node catalog's validator; paid nodes without a
  /// key). Throw a `ShellError` to stop the run; nothing is posted and nothing changes.
  func validateBeforeRun() throws {}

  /// The API key `run` sends as `extra_data.api_key_comfy_org`, with the name it is known by; nil for
  /// none. The key never appears in output: everything shown passes through `maskKey`.
  func apiKeyForRun() -> (name: String, key: String)? { nil }
}

/// A key as it may be shown: `comfyui-87d0…c1f2`.
func maskKey(_ key: String) -> String { Secrets.mask(key) }

extension Session {
  /// Every secret this session knows (the keys in use), for masking text shown or recorded.
  var knownSecrets: [String] { secrets + (apiKeyForRun().map { [$0.key] } ?? []) }

  /// A JSON value with every credential masked (extra_data keys, known keys, `comfyui-…` strings).
  func masked(_ value: JSONValue) -> JSONValue { Secrets.masked(value, known: knownSecrets) }

  /// Text with every known key and `comfyui-…` key masked.
  func masked(_ text: String) -> String { Secrets.maskText(text, known: knownSecrets) }
}
