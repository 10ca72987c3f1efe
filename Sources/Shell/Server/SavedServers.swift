import Workflow

/// Named servers (`server add NAME URL`), kept in `servers.json` in the config folder.
struct SavedServers {
  static var path: String { ShellPaths.configFolder + "/servers.json" }

  /// Name → URL, in the order they were added.
  static func load() throws -> JSONObject {
    guard FileIO.exists(path) else { return [:] }
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes: FileIO.read(path))
    } catch let error as FileError {
      throw ShellError("cannot read \(path): \(error.reason)")
    } catch {
      throw ShellError("\(path) is not valid JSON (\(error)); fix or delete it")
    }
    guard let servers = value["servers"]?.objectValue ?? value.objectValue else {
      throw ShellError("\(path) should be {\"servers\": {\"NAME\": \"URL\"}}; fix or delete it")
    }
    return servers
  }

  /// Writes the list atomically (the folder is made 0700, like the key store's).
  static func save(_ servers: JSONObject) throws {
    do {
      try FileIO.createFolder(ShellPaths.configFolder, mode: 0o700)
      let text = JSONValue.object(["servers": .object(servers)]).serialized(.indented(2)) + "\n"
      try FileIO.writeAtomically(path, text: text)
    } catch {
      throw ShellError("cannot save \(path): \(error.reason)")
    }
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
