import Workflow

/// Named servers (`server add NAME URL`), kept in `servers.json` in the config folder.
struct SavedServers {
  static var path: String { ShellPaths.configFolder + "/servers.json" }

  /// Name → URL, in the order they were added.
  static func load() throws -> JSONObject {
    guard let value = try ConfigJSON.read(path) else { return [:] }
    guard let servers = value["servers"]?.objectValue ?? value.objectValue else {
      throw ShellError("\(path) should be {\"servers\": {\"NAME\": \"URL\"}}; fix or delete it")
    }
    return servers
  }

  /// Writes the list atomically.
  static func save(_ servers: JSONObject) throws {
    try ConfigJSON.write(path, .object(["servers": .object(servers)]))
  }

  /// A name is one word that cannot be mistaken for a URL: letters, digits, `-` and `_`.
  static func checkName(_ name: String) throws {
    let ok =
      !name.isEmpty && name.count <= 40 && name != "add" && name != "rm"
      && name.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") && $0.isASCII }
    guard ok else {
      throw ShellError("\(name) cannot name a server: use letters, digits, - and _ (not add or rm)")
    }
  }
}
