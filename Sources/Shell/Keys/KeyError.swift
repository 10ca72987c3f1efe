/// A key operation that failed. The message says what is wrong and what to do, and never contains a
/// key: it is shown, recorded and sent to `--json` consumers as it is.
public struct KeyError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }

  /// `key use work` (or a replayed script) on a machine that has no key by that name.
  static func missing(_ name: String) -> KeyError {
    KeyError(
      "no key named \(name) here: add it with `key add \(name)` (or set \(KeyRules.environmentVariable(for: name)))"
    )
  }

  static let cancelled = KeyError("cancelled: no key was stored")
}
