import Workflow

/// Named pools (`pool NAME SERVER…`), kept in `pools.json` beside `servers.json`.
struct SavedPools {
  static var path: String { ShellPaths.configFolder + "/pools.json" }

  /// Name → member list (saved server names or URLs), in the order they were made.
  static func load() throws -> [String: [String]] {
    guard let value = try ConfigJSON.read(path) else { return [:] }
    guard let pools = value["pools"]?.objectValue else {
      throw ShellError("\(path) should be {\"pools\": {\"NAME\": [\"SERVER\", …]}}; fix or delete it")
    }
    var result: [String: [String]] = [:]
    for (name, members) in pools {
      result[name] = members.arrayValue?.compactMap(\.stringValue) ?? []
    }
    return result
  }

  /// Writes the pools atomically.
  static func save(_ pools: [String: [String]]) throws {
    var object: JSONObject = [:]
    for name in pools.keys.sorted() {
      object[name] = .array((pools[name] ?? []).map(JSONValue.string))
    }
    try ConfigJSON.write(path, .object(["pools": .object(object)]))
  }
}
