import Workflow

/// `key none`: send no key in this session, not even `COMFY_API_KEY`; `--default` also clears the
/// store's default.
struct KeyNoneCommand: KeySubcommand {
  static let verb = "none"
  static let usage = "key none [--default]"
  static let summary =
    "Send no key in this session (COMFY_API_KEY is ignored too); --default also clears the default key of new sessions."
  static let example = "key none"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let clearDefault = arguments.flag("--default")
    try arguments.expect(0)
    let cleared = try session.keyRing.useNone(clearDefault: clearDefault)
    var text = "no key will be sent"
    if let cleared { text += "; \(cleared) is no longer the default" }
    session.console.result(
      text,
      json: [
        "type": "key_selected", "name": .null, "cleared_default": cleared.map(JSONValue.string) ?? .null,
      ])
  }
}
