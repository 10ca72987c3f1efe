import ComfyClient

/// What a key name and a key value may look like, and how a name maps to its environment variable.
/// Names are ASCII so that `COMFYSH_KEY_<NAME>` is always a valid variable name.
public enum KeyRules {
  /// `COMFYSH_KEY_<NAME>` supplies or overrides key NAME.
  public static let variablePrefix = "COMFYSH_KEY_"
  /// Used when no key is selected.
  public static let fallbackVariable = "COMFY_API_KEY"
  /// Comfy API keys start with this; others are accepted with a warning.
  public static let expectedPrefix = Secrets.keyPrefix
  /// Shorter values are refused: they are not API keys, and masking them would mangle ordinary output.
  public static let minimumLength = Secrets.minimumLength
  public static let maximumLength = 4096
  public static let maximumNameLength = 40

  /// Letters, digits, `-` and `_`, not starting with `-`; not shaped like a key (`key add comfyui-…` is
  /// a key typed where the name goes); not `COMFY_API_KEY`.
  public static func checkName(_ name: String) throws(KeyError) {
    guard !name.isEmpty else { throw KeyError("a key needs a name: key add NAME") }
    if name.lowercased().hasPrefix(expectedPrefix) || looksLikeKey(name) {
      throw KeyError(
        "that looks like a key, not a name: give the key a name (`key add work`) and paste the key at the hidden prompt"
      )
    }
    guard name.utf8.count <= maximumNameLength else {
      throw KeyError("key names have at most \(maximumNameLength) characters")
    }
    let valid = name.utf8.allSatisfy {
      isASCIILetterOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
    }
    guard valid, name.utf8.first != UInt8(ascii: "-") else {
      throw KeyError("\(name) cannot be a key name; use letters, digits, - and _ (e.g. work, ci-bot)")
    }
    guard name != fallbackVariable else {
      throw KeyError("\(fallbackVariable) is the name of the key from the environment; choose another name")
    }
  }

  /// `COMFYSH_KEY_` + NAME upper-cased, `-` → `_` (`ci-bot` → `COMFYSH_KEY_CI_BOT`).
  public static func environmentVariable(for name: String) -> String {
    variablePrefix + variableSuffix(for: name)
  }

  /// The part after `COMFYSH_KEY_`; two names with the same suffix are the same key to the environment.
  static func variableSuffix(for name: String) -> String {
    String(
      decoding: name.utf8.map { byte in
        if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
        if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { return byte - 32 }
        return byte
      }, as: UTF8.self)
  }

  /// A key as typed, pasted or read from a variable: surrounding white space is dropped (pasting often
  /// adds some); white space inside, control characters, or a length that no key has are refused.
  /// `origin` names where the value came from in messages ("the key", "COMFYSH_KEY_WORK").
  public static func normalize(_ raw: String, origin: String) throws(KeyError) -> String {
    let value = trimmed(raw)
    guard !value.isEmpty else { throw KeyError("\(origin) is empty") }
    guard !value.unicodeScalars.contains(where: isBlankOrControl) else {
      throw KeyError("\(origin) contains white space or control characters; a key is one word")
    }
    guard value.count >= minimumLength else {
      throw KeyError(
        "\(origin) is too short to be an API key (keys have at least \(minimumLength) characters)")
    }
    guard value.utf8.count <= maximumLength else {
      throw KeyError("\(origin) is too long to be an API key (more than \(maximumLength) bytes)")
    }
    return value
  }

  /// True for a value Comfy would issue (`comfyui-…`); others get a warning, not a refusal.
  public static func hasExpectedPrefix(_ key: String) -> Bool { key.hasPrefix(expectedPrefix) }

  /// True for text shaped like a Comfy API key: `comfyui-` then at least 16 letters or digits.
  /// Such text is masked in output and kept out of the history even when comfysh does not know it.
  public static func looksLikeKey(_ text: String) -> Bool {
    KeyMasking.keyShapedRanges(in: Array(text.utf8)).isEmpty == false
  }

  /// A valid environment variable name (for `--from-env VAR`).
  static func isVariableName(_ name: String) -> Bool {
    guard let first = name.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
      return false
    }
    return name.utf8.allSatisfy { isASCIILetterOrDigit($0) || $0 == UInt8(ascii: "_") }
  }

  static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool { Secrets.isASCIILetterOrDigit(byte) }

  static func isBlankOrControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F
      || (0x80...0x9F).contains(scalar.value)
  }

  static func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isBlankOrControl($0) }),
      let last = scalars.lastIndex(where: { !isBlankOrControl($0) })
    else { return "" }
    return String(scalars[first...last])
  }
}
