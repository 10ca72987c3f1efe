import ComfyClient
import Workflow

/// One server of a pool: its own connection and client id, the classes its /object_info has (to skip
/// it for workflows it cannot run), the prompts it has in flight and how long its prompts take.
@MainActor
final class PoolMember {
  /// The saved server name, or the URL when the member was given as one.
  let name: String
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

  init(name: String, address: ServerAddress, connection: ComfyConnection) {
    self.name = name
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
