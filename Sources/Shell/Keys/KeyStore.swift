import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// What `keys.json` holds: named keys, each a value or the name of an environment variable that
/// holds it (`key add NAME --from-env VAR`), and the key new sessions start with.
public struct KeyStoreContents: Sendable, Equatable {
  public enum Value: Sendable, Equatable {
    /// The key itself.
    case secret(String)
    /// A reference: the key is read from this environment variable when it is used.
    case environment(String)
  }

  public struct Entry: Sendable, Equatable {
    public var name: String
    public var value: Value
    public init(name: String, value: Value) {
      self.name = name
      self.value = value
    }
  }

  /// In the order they were added.
  public var entries: [Entry] = []
  /// The key new sessions use (`key use NAME --default`); nil = none chosen.
  public var defaultName: String?

  public init(entries: [Entry] = [], defaultName: String? = nil) {
    self.entries = entries
    self.defaultName = defaultName
  }

  public subscript(name: String) -> Value? {
    entries.first { $0.name == name }?.value
  }

  /// Every secret value stored (not references), for masking.
  var secretValues: [String] {
    entries.compactMap { entry in
      if case .secret(let value) = entry.value { return value }
      return nil
    }
  }
}

/// `$XDG_CONFIG_HOME/comfysh/keys.json`. Like ssh with its private keys, it refuses a store that
/// other users could read or change (file or folder), saying which `chmod` fixes it; it writes the
/// file atomically with mode 0600 and creates the folder with mode 0700.
public struct KeyStore: Sendable, Equatable {
  public let folder: String
  public var path: String { folder + "/keys.json" }

  public init(folder: String) { self.folder = folder }

  /// The store's contents; empty when there is no file yet. Throws when the file or its folder is
  /// open to other users, or is not a valid store.
  public func load() throws(KeyError) -> KeyStoreContents {
    guard let bytes = try readChecked() else { return KeyStoreContents() }
    return try parse(bytes)
  }

  /// Writes `contents`, creating the folder (0700) if needed; refuses an insecure folder or file.
  public func save(_ contents: KeyStoreContents) throws(KeyError) {
    if FileIO.exists(folder) {
      try checkFolder()
    } else {
      do {
        try FileIO.createFolder(folder, mode: 0o700)
      } catch {
        throw KeyError("cannot create \(folder) for the key store: \(error.reason)")
      }
    }
    var info = stat()
    if stat(path, &info) == 0 { try checkFile(info) }
    do {
      try FileIO.writeAtomically(path, text: Self.serialize(contents), mode: 0o600)
    } catch {
      throw KeyError("cannot write the key store \(path): \(error.reason)")
    }
  }

  /// The secret values in the file, read even when its permissions are refused: they are masked in
  /// output all the same. Empty when it cannot be read or parsed.
  func secretsIgnoringPermissions() -> [String] {
    guard let bytes = try? FileIO.read(path), let contents = try? parse(bytes) else { return [] }
    return contents.secretValues
  }

  // MARK: - Permissions

  /// The file's bytes, or nil when it does not exist. The checks run on the open descriptor, so the
  /// file read is the file checked.
  private func readChecked() throws(KeyError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else {
      let code = errno
      if code == ENOENT { return nil }
      if code == ELOOP {
        throw KeyError(
          "\(path) is a symbolic link; the key store must be a regular file: replace the link by the file")
      }
      throw KeyError("cannot read the key store \(path): \(String(cString: strerror(code)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw KeyError("cannot read the key store \(path): \(String(cString: strerror(errno)))")
    }
    try checkFolder()
    try checkFile(info)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw KeyError("cannot read the key store \(path): \(String(cString: strerror(errno)))")
      }
      if count == 0 { break }
      bytes += chunk[0..<count]
      if bytes.count > 1 << 20 { throw KeyError("\(path) is too large to be a key store: move it away") }
    }
    return bytes
  }

  private func checkFolder() throws(KeyError) {
    var info = stat()
    guard stat(folder, &info) == 0 else { return }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw KeyError("\(folder) is not a folder; the key store needs it to be one")
    }
    try checkOwnerAndMode(info, of: folder, allowed: 0o700, kind: "folder")
  }

  private func checkFile(_ info: stat) throws(KeyError) {
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw KeyError("\(path) is not a regular file; the key store must be one")
    }
    try checkOwnerAndMode(info, of: path, allowed: 0o600, kind: "file")
  }

  private func checkOwnerAndMode(
    _ info: stat, of path: String, allowed: mode_t, kind: String
  ) throws(KeyError) {
    if info.st_uid != geteuid() {
      throw KeyError(
        "refusing the key store: \(path) belongs to another user (uid \(info.st_uid)); it must be yours: chown \(geteuid()) \(Self.quote(path))"
      )
    }
    let open = info.st_mode & 0o077
    guard open != 0 else { return }
    let what = open & 0o044 != 0 ? "other users can read it" : "other users can change it"
    let mode = String(info.st_mode & 0o777, radix: 8)
    throw KeyError(
      "refusing the key store: the \(kind) \(path) has mode \(mode.count < 4 ? String(repeating: "0", count: 4 - mode.count) + mode : mode) and \(what); fix it with: chmod \(String(allowed, radix: 8)) \(Self.quote(path))"
    )
  }

  /// A path as a shell word: quoted only when it needs to be.
  static func quote(_ path: String) -> String {
    let plain = path.utf8.allSatisfy { byte in
      KeyRules.isASCIILetterOrDigit(byte) || "/._-+:,@%".utf8.contains(byte)
    }
    if plain && !path.isEmpty { return path }
    return "'" + path.replacingAll("'", with: "'\\''") + "'"
  }

  // MARK: - Format

  /// `{"version": 1, "default": "work", "keys": {"work": {"key": "…"}, "ci": {"env": "VAR"}}}`
  static func serialize(_ contents: KeyStoreContents) -> String {
    var keys: JSONObject = [:]
    for entry in contents.entries {
      switch entry.value {
      case .secret(let value): keys[entry.name] = ["key": .string(value)]
      case .environment(let variable): keys[entry.name] = ["env": .string(variable)]
      }
    }
    var root: JSONObject = ["version": 1]
    if let name = contents.defaultName { root["default"] = .string(name) }
    root["keys"] = .object(keys)
    return JSONValue.object(root).serialized(.indented(2)) + "\n"
  }

  /// Parses the file. Messages give positions, never text from the file: it holds secrets.
  func parse(_ bytes: [UInt8]) throws(KeyError) -> KeyStoreContents {
    let root: JSONValue
    do {
      root = try JSONValue.parse(bytes: bytes)
    } catch {
      throw KeyError(
        "\(path) is not valid JSON (line \(error.line), column \(error.column)): fix it, or move it away to start a new store"
      )
    }
    guard let object = root.objectValue else {
      throw KeyError("\(path) is not a key store (expected a JSON object): fix it, or move it away")
    }
    var contents = KeyStoreContents()
    if let keys = object["keys"] {
      guard let members = keys.objectValue else {
        throw KeyError("\(path): \"keys\" must be an object of named keys: fix it, or move it away")
      }
      for (name, value) in members {
        guard (try? KeyRules.checkName(name)) != nil else {
          throw KeyError("\(path) has a key with an invalid name: fix it, or move the file away")
        }
        if let secret = value["key"]?.stringValue {
          contents.entries.append(.init(name: name, value: .secret(secret)))
        } else if let variable = value["env"]?.stringValue, KeyRules.isVariableName(variable) {
          contents.entries.append(.init(name: name, value: .environment(variable)))
        } else {
          throw KeyError(
            "\(path): key \(name) needs \"key\" (the key) or \"env\" (a variable name): fix it, or move the file away"
          )
        }
      }
    }
    if let name = object["default"], !name.isNull {
      guard let text = name.stringValue else {
        throw KeyError("\(path): \"default\" must be a key name: fix it, or `key use NAME --default`")
      }
      contents.defaultName = text
    }
    return contents
  }
}
