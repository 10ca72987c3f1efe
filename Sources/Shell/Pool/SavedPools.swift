import Workflow

/// Named pools (`pool NAME SERVER…`), kept in `pools.json` beside `servers.json`.
struct SavedPools {
  static var path: String { ShellPaths.configFolder + "/pools.json" }

  /// Name → member list (saved server names or URLs), in the order they were made.
  static func load() throws -> [String: [String]] {
    guard FileIO.exists(path) else { return [:] }
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes: FileIO.read(path))
    } catch let error as FileError {
      throw ShellError("cannot read \(path): \(error.reason)")
    } catch {
      throw ShellError("\(path) is not valid JSON (\(error)); fix or delete it")
    }
    guard let pools = value["pools"]?.objectValue else {
      throw ShellError("\(path) should be {\"pools\": {\"NAME\": [\"SERVER\", …]}}; fix or delete it")
    }
    var result: [String: [String]] = [:]
    for (name, members) in pools {
      result[name] = members.arrayValue?.compactMap(\.stringValue) ?? []
    }
    return result
  }

  /// Writes the pools atomically (the folder is made 0700, like the key store's).
  static func save(_ pools: [String: [String]]) throws {
    do {
      try FileIO.createFolder(ShellPaths.configFolder, mode: 0o700)
      var object: JSONObject = [:]
      for name in pools.keys.sorted() {
        object[name] = .array((pools[name] ?? []).map(JSONValue.string))
      }
      let text = JSONValue.object(["pools": .object(object)]).serialized(.indented(2)) + "\n"
      try FileIO.writeAtomically(path, text: text)
    } catch {
      throw ShellError("cannot save \(path): \(error.reason)")
    }
  }
}
