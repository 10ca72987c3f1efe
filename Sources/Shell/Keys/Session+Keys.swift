/// The session's side of keys: what `run` sends, what must be masked, and what must not be kept.
extension Session {
  /// The key `run` puts in `extra_data.api_key_comfy_org`, with the name it is shown by; nil when no
  /// key is to be sent. Throws when the selected key is not available here (e.g. `key use work`
  /// replayed on a machine without it) or the store was refused. When `COMFY_API_KEY` is used
  /// because nothing is selected, says so once (naming the variable, never the value).
  public func apiKeyForRun() throws -> (name: String, key: String)? {
    refreshKeys()
    guard let key = try keyRing.keyForRun() else { return nil }
    if key.source == .fallback && !keyRing.fallbackAnnounced {
      keyRing.fallbackAnnounced = true
      console.note(
        "no key is selected, so the key in \(KeyRules.fallbackVariable) is used (`key use NAME` picks another, `key none` sends none)"
      )
    }
    return (key.name, key.value)
  }

  /// Every key value this session knows (stored, from the environment, typed by mistake), for the
  /// recorder and for masking output.
  public var secrets: [String] { keyRing.secrets }

  /// Warnings `run` shows before sending a key to `serverURL`: a key over plain http to a host that
  /// is not loopback. Empty when no key would be sent, or `--insecure-key` / `COMFYSH_INSECURE_KEY=1`.
  public func keyWarnings(serverURL: String) -> [String] {
    guard !keyRing.allowsInsecureTransport, let key = try? keyRing.keyForRun() else { return [] }
    return KeyTransport.warning(serverURL: serverURL, keyName: key.name).map { [$0] } ?? []
  }

  /// True when a typed line must not go into the history file: it holds a key (a known one, or text
  /// shaped like `comfyui-…`), or it is `key add NAME` with the key typed after the name. The
  /// interactive loop asks before adding a line to the history; the command itself then refuses.
  public func isSensitive(line: String) -> Bool {
    SensitiveLines.isSensitive(line, secrets: secrets)
  }

  /// Reads the store again if it changed on disk (another session added a key).
  func refreshKeys() {
    var ring = keyRing
    if ring.reload() { keyRing = ring }
  }
}
