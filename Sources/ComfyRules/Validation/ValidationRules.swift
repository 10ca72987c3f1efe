import Workflow

/// Which ComfyUI's POST /prompt answers to reproduce; the two differ in error types, in what they
/// check and in the lines their tracebacks name (Docs/comfyui-versions.md has the table).
public enum ValidationRules: Sendable, Equatable, CustomStringConvertible {
  /// ComfyUI 0.3.x, as recorded from 0.3.64: unknown classes are `invalid_prompt`, v3 COMBOs unchecked,
  /// a cycle of links overflows the recursion.
  case comfyUI0_3
  /// ComfyUI 0.4 and later, as recorded from 0.33.0: `missing_node_type`, `dependency_cycle`,
  /// `invalid_prompt_id`, v3 COMBOs and dotted dynamic inputs checked, node replacement first.
  case comfyUI0_33

  /// The rules of a server reporting `version` (`system_stats.system.comfyui_version`); nil when the
  /// text is not a version.
  public init?(comfyUIVersion version: String) {
    var text = Substring(version).drop { $0 == " " || $0 == "v" }
    while text.last == " " { text = text.dropLast() }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false).prefix(2).map {
      Int($0.prefix { $0.isNumber })
    }
    guard parts.count == 2, let major = parts[0], let minor = parts[1] else { return nil }
    self = (major, minor) < (0, 4) ? .comfyUI0_3 : .comfyUI0_33
  }

  /// The rules for a catalog: by its server's version when known, otherwise by what only newer servers
  /// write in object_info (`search_aliases` on every class, V3 dynamic input types).
  public init(for catalog: Catalog) {
    if let version = catalog.comfyUIVersion, let rules = ValidationRules(comfyUIVersion: version) {
      self = rules
    } else {
      self = catalog.looksLikeComfyUI0_4OrLater ? .comfyUI0_33 : .comfyUI0_3
    }
  }

  /// The version these rules were recorded from, for messages (`0.3.64`, `0.33.0`).
  public var recordedVersion: String {
    switch self {
    case .comfyUI0_3: "0.3.64"
    case .comfyUI0_33: "0.33.0"
    }
  }

  public var description: String {
    switch self {
    case .comfyUI0_3: "ComfyUI 0.3 (as 0.3.64)"
    case .comfyUI0_33: "ComfyUI 0.4 and later (as 0.33.0)"
    }
  }

  /// Whether a client's `prompt_id` must be a UUID in canonical lowercase form.
  var checksPromptID: Bool { self == .comfyUI0_33 }
  /// Whether `["COMBO", {"options": …}]` values are checked against their options.
  var checksV3Combos: Bool { self == .comfyUI0_33 }

  /// `str(uuid.UUID(text)) == text`: 36 characters, lowercase hex, hyphens at 8-4-4-4-12.
  public static func isCanonicalUUID(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (i, byte) in bytes.enumerated() {
      if [8, 13, 18, 23].contains(i) {
        guard byte == UInt8(ascii: "-") else { return false }
      } else {
        guard
          (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        else { return false }
      }
    }
    return true
  }
}

extension Catalog {
  /// object_info of ComfyUI 0.4 and later writes `search_aliases` on every class; looking at the first
  /// keeps a lazily read catalog lazy.
  var looksLikeComfyUI0_4OrLater: Bool {
    guard let first = summaries.first, let nodeClass = self[className: first.name] else { return false }
    return nodeClass.raw["search_aliases"] != nil
  }
}
