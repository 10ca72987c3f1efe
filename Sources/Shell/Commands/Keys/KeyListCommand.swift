import Workflow

/// `key list`: every key this session can use, masked, with where it comes from and which is in use.
struct KeyListCommand: KeySubcommand {
  static let verb = "list"
  static let aliases = ["ls"]
  static let usage = "key list"
  static let summary =
    "List the keys (masked) with where each comes from (store, COMFYSH_KEY_<NAME>, COMFY_API_KEY); * marks the one in use."
  static let example = "key list"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0)
    session.refreshKeys()
    let ring = session.keyRing
    if case .failure(let error) = ring.stored { session.console.warning(error.message) }
    let rows = ring.listings()
    let status = inUseLine(ring)
    if session.console.jsonMode {
      let keys: [JSONValue] = rows.map { row in
        var object: JSONObject = [
          "name": .string(row.name), "masked": row.masked.map(JSONValue.string) ?? .null,
          "source": .string(row.source.description), "default": .bool(row.isDefault),
          "in_use": .bool(row.inUse),
        ]
        if let problem = row.problem { object["problem"] = .string(problem) }
        return .object(object)
      }
      session.console.emit([
        "type": "keys", "keys": .array(keys), "in_use": ring.nameInUse.map(JSONValue.string) ?? .null,
      ])
      return
    }
    if rows.isEmpty, case .success = ring.stored {
      session.console.print(
        "no keys: `key add NAME` stores one (or set \(KeyRules.variablePrefix)<NAME> or \(KeyRules.fallbackVariable))"
      )
      return
    }
    let table = rows.map { row -> [String] in
      var from = row.source.description
      if row.overridesStore { from += " (overrides the store)" }
      if row.source == .fallback { from += " (used when no key is selected)" }
      if row.isDefault { from += " · default" }
      let value = row.masked ?? "(not usable: \(row.problem ?? "unknown"))"
      return [row.name, value, from]
    }
    var lines = zip(rows, Render.table(table, indent: "")).map { row, line in (row.inUse ? "* " : "  ") + line
    }
    lines.append(status)
    session.console.print(lines: lines)
  }

  /// `in use: work` or why none is.
  private static func inUseLine(_ ring: KeyRing) -> String {
    do {
      guard let key = try ring.keyForRun() else {
        return ring.selection == .none
          ? "in use: none (`key none`)" : "in use: none (`key use NAME` picks one)"
      }
      return "in use: \(key.name)"
    } catch {
      return "in use: none, because \(error.message)"
    }
  }
}
