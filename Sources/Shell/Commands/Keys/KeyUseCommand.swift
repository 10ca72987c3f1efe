import Workflow

/// `key use NAME`: the key `run` sends in this session; `--default` also makes it the key new
/// sessions start with (stored in keys.json).
struct KeyUseCommand: KeySubcommand {
  static let verb = "use"
  static let usage = "key use NAME [--default]"
  static let summary =
    "Send key NAME with every run of this session; --default also makes it the key new sessions start with."
  static let example = "key use work"
  static let arguments: [ArgumentKind] = [.text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let makeDefault = arguments.flag("--default")
    try arguments.expect(1)
    let key = try session.keyRing.use(arguments[0].text, makeDefault: makeDefault)
    // The name only: a recorded `key use` replays the same on a machine whose key differs.
    session.console.result(
      "using key \(key.name)" + (makeDefault ? " (also the default for new sessions)" : ""),
      json: [
        "type": "key_selected", "name": .string(key.name), "source": .string(key.source.description),
        "default": .bool(makeDefault),
      ])
  }
}
