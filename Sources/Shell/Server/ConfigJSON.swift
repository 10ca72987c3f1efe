import Workflow

/// A JSON file of the config folder (`servers.json`, `pools.json`): read with the words to fix it,
/// written atomically in a folder made 0700 like the key store's.
enum ConfigJSON {
  /// The file's value, nil when there is none.
  static func read(_ path: String) throws -> JSONValue? {
    guard FileIO.exists(path) else { return nil }
    do {
      return try JSONValue.parse(bytes: FileIO.read(path))
    } catch let error as FileError {
      throw ShellError("cannot read \(path): \(error.reason)")
    } catch {
      throw ShellError("\(path) is not valid JSON (\(error)); fix or delete it")
    }
  }

  static func write(_ path: String, _ value: JSONValue) throws {
    do {
      try FileIO.createFolder(ShellPaths.configFolder, mode: 0o700)
      try FileIO.writeAtomically(path, text: value.serialized(.indented(2)) + "\n")
    } catch {
      throw ShellError("cannot save \(path): \(error.reason)")
    }
  }
}
