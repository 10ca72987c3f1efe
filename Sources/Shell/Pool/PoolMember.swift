import ComfyClient
import Workflow

/// Which key a member's prompts carry: a member given as `SERVER=KEY` has its own (`SERVER=none`:
/// none), the others the session's (`key use`).
enum MemberKey: Equatable, Sendable {
  case session
  case none
  case named(String)

  /// Splits `gpu2=work` into the server and its key; a member without `=KEY` uses the session's.
  static func split(_ spec: String) -> (server: String, key: MemberKey) {
    guard let equals = spec.lastIndex(of: "="), equals != spec.startIndex else { return (spec, .session) }
    let name = String(spec[spec.index(after: equals)...])
    // A URL's query may hold `=`: only a key name (letters, digits, - and _) after the last one counts.
    guard !name.isEmpty,
      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    else { return (spec, .session) }
    return (String(spec[..<equals]), name == "none" ? .none : .named(name))
  }

  /// `null` for the session's key, `"none"`, or the key's name.
  var json: JSONValue {
    switch self {
    case .session: .null
    case .none: "none"
    case .named(let name): .string(name)
    }
  }

  var words: String {
    switch self {
    case .session: "the session's key"
    case .none: "no key"
    case .named(let name): "key \(name)"
    }
  }
}

/// One server of a pool: its own connection and client id, the classes its /object_info has (to skip
/// it for workflows it cannot run), the prompts it has in flight and how long its prompts take.
@MainActor
final class PoolMember {
  /// The saved server name, or the URL when the member was given as one.
  let name: String
  /// The key its prompts carry.
  let key: MemberKey
  let address: ServerAddress
  let connection: ComfyConnection
  /// Class names of the member's /object_info, read when first needed.
  var classNames: Set<String>?
  /// Prompt ids posted to it that have not ended.
  var inFlight: Set<String> = []
  /// A moving average of seconds per prompt (nil until one ended here).
  var secondsPerPrompt: Double?
  /// Why the member is not used any more (nil while it is up).
  var downReason: String?
  /// Prompts that ended here with success, and all that ended here.
  var succeeded = 0
  var ended = 0
  /// The class names a skip was already reported for, so each is said once.
  var reportedMissing: Set<String> = []

  var isUp: Bool { downReason == nil }

  init(name: String, address: ServerAddress, connection: ComfyConnection, key: MemberKey = .session) {
    self.name = name
    self.key = key
    self.address = address
    self.connection = connection
  }

  /// The classes of `workflow` this member lacks (empty when it can run it); reads /object_info once.
  func missingClasses(_ workflow: Workflow) async throws -> [String] {
    if classNames == nil {
      let info = try await connection.client.objectInfo()
      classNames = Set(info.objectValue?.keys.map { $0 } ?? [])
    }
    let known = classNames ?? []
    return Set(workflow.nodes.values.compactMap(\.classType)).filter { !known.contains($0) }.sorted()
  }

  /// Folds one prompt's seconds into the average (recent prompts count most).
  func noteFinished(seconds: Double?, success: Bool) {
    ended += 1
    if success { succeeded += 1 }
    guard let seconds, seconds.isFinite, seconds >= 0 else { return }
    secondsPerPrompt = secondsPerPrompt.map { 0.7 * $0 + 0.3 * seconds } ?? seconds
  }
}
