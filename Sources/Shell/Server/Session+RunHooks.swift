import ComfyClient
import Workflow

/// A hook `run` calls that another part of comfysh fills in; it lives in this file alone so that
/// filling it touches nothing else. (The other hook, `apiKeyForRun()`, is in Keys/Session+Keys.swift.)
extension Session {
  /// Local checks before `run` posts the prompt (the node catalog's validator; paid nodes without a
  /// key). Throw a `ShellError` to stop the run; nothing is posted and nothing changes.
  func validateBeforeRun() async throws {}
}

/// A key as it may be shown: `comfyui-87d0…c1f2` (the same form as `key list`).
func maskKey(_ key: String) -> String { KeyMask.mask(key) }

extension Session {
  /// A JSON value with every credential masked (extra_data keys, this session's keys, `comfyui-…` strings).
  func masked(_ value: JSONValue) -> JSONValue { Secrets.masked(value, known: secrets) }

  /// Text with every key of this session and every `comfyui-…` key masked.
  func masked(_ text: String) -> String { Secrets.maskText(text, known: secrets) }
}
