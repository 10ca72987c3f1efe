import Workflow

/// Hides API keys wherever they could be shown: `comfyui-87d0…c1f2`.
public enum Secrets {
  /// The keys of `extra_data` (and node inputs) that hold credentials.
  public static let sensitiveNames: Set<String> = ["api_key_comfy_org", "auth_token_comfy_org"]
  /// How Comfy's API keys begin.
  public static let keyPrefix = "comfyui-"
  /// No key is shorter; shorter text is never masked as a known secret (it would mangle words).
  public static let minimumLength = 8

  /// A key shown safely, as everywhere in comfysh: its first 12 and last 4 characters
  /// (`comfyui-87d0…c1f2`); a key shorter than 24 characters shows nothing (`••••`), so at least 8
  /// characters of any key stay hidden.
  public static func mask(_ key: String) -> String {
    guard key.count >= 24 else { return String(repeating: "•", count: 4) }
    return String(key.prefix(12)) + "…" + String(key.suffix(4))
  }

  /// True for a member name that holds a credential (`api_key_comfy_org`, `X-API-KEY`, `auth_token`…).
  public static func isSensitiveName(_ name: String) -> Bool {
    let lower = name.lowercased()
    return sensitiveNames.contains(lower) || lower.contains("api_key") || lower.contains("api-key")
      || lower.contains("apikey") || lower.contains("auth_token") || lower.contains("password")
      || lower.contains("secret")
  }

  /// The value with every credential masked: members with sensitive names, and any string that
  /// contains one of `known` or a `comfyui-…` key.
  public static func masked(_ value: JSONValue, known: [String] = []) -> JSONValue {
    switch value {
    case .object(let members):
      var copy = members
      for (name, member) in members {
        if isSensitiveName(name) {
          copy[name] = maskAll(member)
        } else {
          copy[name] = masked(member, known: known)
        }
      }
      return .object(copy)
    case .array(let elements):
      return .array(elements.map { masked($0, known: known) })
    case .string(let text):
      return .string(maskText(text, known: known))
    default:
      return value
    }
  }

  private static func maskAll(_ value: JSONValue) -> JSONValue {
    switch value {
    case .string(let text): .string(mask(text))
    case .array(let elements): .array(elements.map(maskAll))
    case .object(let members): .object(members.mapValues(maskAll))
    default: value
    }
  }

  /// Masks every occurrence of the `known` keys and of anything shaped like a Comfy API key
  /// (`comfyui-` then 16 or more letters or digits) in `text`.
  public static func maskText(_ text: String, known: [String] = []) -> String {
    KeyMasking(secrets: known).apply(text)
  }

  package static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
      || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
      || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
  }
}
