import Workflow

/// `key rm NAME`: deletes a stored key (and the default that names it). Keys that only the
/// environment supplies are not the store's to delete.
struct KeyRmCommand: KeySubcommand {
  static let verb = "rm"
  static let aliases = ["remove"]
  static let usage = "key rm NAME"
  static let summary =
    "Delete key NAME from the store (keys from COMFYSH_KEY_<NAME> stay: unset the variable)."
  static let example = "key rm old"
  static let arguments: [ArgumentKind] = [.text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    let removal = try session.keyRing.remove(arguments[0].text)
    var text = "removed key \(removal.name) from the store"
    if removal.wasDefault { text += "; it was the default" }
    if let variable = removal.stillSuppliedBy {
      text += "; \(variable) still supplies it"
    } else if removal.wasSelected {
      text += "; it was in use: `key use NAME` or `key none` to choose again"
    }
    session.console.result(
      text,
      json: [
        "type": "key_removed", "name": .string(removal.name), "was_default": .bool(removal.wasDefault),
        "still_supplied_by": removal.stillSuppliedBy.map(JSONValue.string) ?? .null,
      ])
  }
}
