import ComfyClient

#if canImport(Glibc)
import Glibc
#endif

/// Which key a session sends.
public enum KeySelection: Sendable, Equatable {
  /// Nothing chosen in this session: the store's default, else `COMFY_API_KEY`, else no key.
  case automatic
  /// `key use NAME`.
  case named(String)
  /// `key none`: no key is sent, and `COMFY_API_KEY` is ignored.
  case none
}

/// Where a key's value comes from.
public enum KeySource: Sendable, Equatable, CustomStringConvertible {
  /// The value is in `keys.json`.
  case store
  /// `keys.json` names the environment variable that holds it (`key add NAME --from-env VAR`).
  case storeReference(variable: String)
  /// `COMFYSH_KEY_<NAME>`, which supplies key NAME or overrides the stored one.
  case override(variable: String)
  /// `COMFY_API_KEY`, used when no key is selected.
  case fallback

  public var description: String {
    switch self {
    case .store: "store"
    case .storeReference(let variable): "$\(variable) (named in the store)"
    case .override(let variable): variable
    case .fallback: KeyRules.fallbackVariable
    }
  }

  /// The environment variable involved, if any.
  public var variable: String? {
    switch self {
    case .store: nil
    case .storeReference(let variable), .override(let variable): variable
    case .fallback: KeyRules.fallbackVariable
    }
  }
}

/// A key ready to send, with the name it is shown by.
public struct ResolvedKey: Sendable, Equatable {
  public let name: String
  public let value: String
  public let source: KeySource
  /// The only form in which the value is ever shown.
  public var masked: String { Secrets.mask(value) }
}

/// One row of `key list`.
public struct KeyListing: Sendable, Equatable {
  public var name: String
  /// The masked value; nil when the key cannot be used (see `problem`).
  public var masked: String?
  public var problem: String?
  public var source: KeySource
  /// True when `COMFYSH_KEY_<NAME>` replaces a value in the store.
  public var overridesStore: Bool
  public var isDefault: Bool
  public var inUse: Bool
}

/// A session's keys: the store, the environment (`COMFYSH_KEY_<NAME>`, `COMFY_API_KEY`, variables the
/// store names), and which one is selected. The environment and the config folder are passed in, so
/// tests (and a future `--config`) never touch the process environment or the user's files.
///
/// The store is read again when it changed on disk (a `key add` in another terminal) before every
/// key command and every run; writes always start from the file as it is now, so two sessions never
/// drop each other's keys.
public struct KeyRing: Sendable {
  public let store: KeyStore
  public let environment: [String: String]
  /// Where `key add` reads a key from (a terminal without echo, or standard input).
  public var input: SecretInput
  /// `--insecure-key` or `COMFYSH_INSECURE_KEY=1`: no warning for keys sent over plain http.
  public var allowsInsecureTransport: Bool
  public private(set) var selection: KeySelection = .automatic
  /// The store as last read, or why it was refused.
  public private(set) var stored: Result<KeyStoreContents, KeyError> = .success(KeyStoreContents())
  /// Every key value this session knows, for masking: stored values (also of a refused store),
  /// environment keys, and values typed where they do not belong.
  public private(set) var secrets: [String] = []
  private var exposed: [String] = []
  private var refusedSecrets: [String] = []
  private var stamp: FileStamp?
  /// True once the note about `COMFY_API_KEY` was shown.
  var fallbackAnnounced = false

  public static let insecureVariable = "COMFYSH_INSECURE_KEY"

  public init(configFolder: String, environment: [String: String], input: SecretInput = .terminal) {
    store = KeyStore(folder: configFolder)
    self.environment = environment
    self.input = input
    let insecure = environment[Self.insecureVariable].map(KeyRules.trimmed)?.lowercased() ?? ""
    allowsInsecureTransport = ["1", "true", "yes", "on"].contains(insecure)
    reload()
  }

  /// The process's own environment and `$XDG_CONFIG_HOME/comfysh`.
  public static func forProcess() -> KeyRing {
    KeyRing(configFolder: ShellPaths.configFolder, environment: ProcessEnvironment.current())
  }

  /// Reads the store again if it changed on disk; true when something was read.
  @discardableResult
  public mutating func reload() -> Bool {
    let now = FileStamp(store)
    guard now != stamp else { return false }
    stamp = now
    do {
      stored = .success(try store.load())
      refusedSecrets = []
    } catch {
      stored = .failure(error)
      refusedSecrets = store.secretsIgnoringPermissions()
    }
    refreshSecrets()
    return true
  }

  private var contents: KeyStoreContents? { try? stored.get() }

  // MARK: - Resolving

  /// The key called `name` as it would be sent: `COMFYSH_KEY_<NAME>` first, then the store.
  /// `COMFY_API_KEY` names the fallback variable itself.
  public func resolve(_ name: String) throws(KeyError) -> ResolvedKey {
    if name == KeyRules.fallbackVariable {
      guard let raw = value(of: KeyRules.fallbackVariable) else {
        throw KeyError("\(KeyRules.fallbackVariable) is not set here")
      }
      return ResolvedKey(
        name: name, value: try KeyRules.normalize(raw, origin: KeyRules.fallbackVariable), source: .fallback)
    }
    try KeyRules.checkName(name)
    let variable = KeyRules.environmentVariable(for: name)
    let known = contents.flatMap { storedName(for: name, in: $0) }
    if let raw = value(of: variable) {
      return ResolvedKey(
        name: known ?? name, value: try KeyRules.normalize(raw, origin: variable),
        source: .override(variable: variable))
    }
    let contents = try stored.get()
    guard let known, let value = contents[known] else { throw KeyError.missing(name) }
    return try resolveStored(known, value)
  }

  private func resolveStored(_ name: String, _ value: KeyStoreContents.Value) throws(KeyError) -> ResolvedKey
  {
    switch value {
    case .secret(let secret):
      do {
        return ResolvedKey(
          name: name, value: try KeyRules.normalize(secret, origin: "the stored key"), source: .store)
      } catch {
        throw KeyError(
          "key \(name) in the store is not usable: \(error.message); `key add \(name) --force` replaces it")
      }
    case .environment(let variable):
      guard let raw = self.value(of: variable) else {
        throw KeyError(
          "key \(name) is read from $\(variable), which is not set here: export \(variable), or `key add \(name) --force` to store another"
        )
      }
      return ResolvedKey(
        name: name, value: try KeyRules.normalize(raw, origin: "$\(variable) (key \(name))"),
        source: .storeReference(variable: variable))
    }
  }

  /// The key a run sends now; nil for none. Throws when the selected key cannot be found here, or
  /// when the store was refused and nothing else decides (its default is unknown then, and sending
  /// another key instead could bill the wrong account).
  public func keyForRun() throws(KeyError) -> ResolvedKey? {
    switch selection {
    case .none:
      return nil
    case .named(let name):
      return try resolve(name)
    case .automatic:
      if let name = try stored.get().defaultName {
        do {
          return try resolve(name)
        } catch {
          throw KeyError(
            "\(error.message) (\(name) is the store's default: `key use NAME --default` picks another, `key none --default` clears it)"
          )
        }
      }
      guard let raw = value(of: KeyRules.fallbackVariable) else { return nil }
      return ResolvedKey(
        name: KeyRules.fallbackVariable,
        value: try KeyRules.normalize(raw, origin: KeyRules.fallbackVariable),
        source: .fallback)
    }
  }

  /// The name of the key in use, when one can be used.
  public var nameInUse: String? { (try? keyForRun())?.name }

  /// Every key this session can see, store keys first (in the order added), then keys only the
  /// environment supplies, then `COMFY_API_KEY`.
  public func listings() -> [KeyListing] {
    let inUse = nameInUse
    var rows: [KeyListing] = []
    var coveredSuffixes: Set<String> = []
    for entry in contents?.entries ?? [] {
      let variable = KeyRules.environmentVariable(for: entry.name)
      coveredSuffixes.insert(KeyRules.variableSuffix(for: entry.name))
      let overridden = value(of: variable) != nil
      let source: KeySource
      if overridden {
        source = .override(variable: variable)
      } else if case .environment(let referenced) = entry.value {
        source = .storeReference(variable: referenced)
      } else {
        source = .store
      }
      rows.append(
        listing(
          entry.name, source: source, overridesStore: overridden, inUse: inUse,
          result: attempt { () throws(KeyError) in try resolve(entry.name) }))
    }
    for variable in environment.keys.sorted() where variable.hasPrefix(KeyRules.variablePrefix) {
      let suffix = String(variable.dropFirst(KeyRules.variablePrefix.count))
      guard !suffix.isEmpty, !coveredSuffixes.contains(suffix), value(of: variable) != nil else { continue }
      let name = suffix.lowercased()
      let result = attempt { () throws(KeyError) -> ResolvedKey in
        guard let raw = value(of: variable) else { throw KeyError("\(variable) is empty") }
        return ResolvedKey(
          name: name, value: try KeyRules.normalize(raw, origin: variable),
          source: .override(variable: variable))
      }
      rows.append(
        listing(
          name, source: .override(variable: variable), overridesStore: false, inUse: inUse, result: result))
    }
    if value(of: KeyRules.fallbackVariable) != nil {
      rows.append(
        listing(
          KeyRules.fallbackVariable, source: .fallback, overridesStore: false, inUse: inUse,
          result: attempt { () throws(KeyError) in try resolve(KeyRules.fallbackVariable) }))
    }
    return rows
  }

  private func attempt(_ body: () throws(KeyError) -> ResolvedKey) -> Result<ResolvedKey, KeyError> {
    do {
      return .success(try body())
    } catch {
      return .failure(error)
    }
  }

  private func listing(
    _ name: String, source: KeySource, overridesStore: Bool, inUse: String?,
    result: Result<ResolvedKey, KeyError>
  ) -> KeyListing {
    var row = KeyListing(
      name: name, masked: nil, problem: nil, source: source, overridesStore: overridesStore,
      isDefault: contents?.defaultName == name, inUse: false)
    switch result {
    case .success(let key):
      row.masked = key.masked
      row.inUse = inUse.map { Self.sameKey(key.name, $0) } ?? false
    case .failure(let error):
      row.problem = error.message
    }
    return row
  }

  // MARK: - Changing

  /// Checks, before a key is asked for, that `name` can be added: the store is usable, the name is
  /// free (or `replace`), and no other key uses the same `COMFYSH_KEY_<NAME>` variable.
  public mutating func checkCanAdd(_ name: String, replace: Bool) throws(KeyError) {
    reload()
    try KeyRules.checkName(name)
    let contents = try stored.get()
    if contents[name] != nil && !replace {
      throw KeyError(
        "there is already a key named \(name): `key add \(name) --force` replaces it, `key rm \(name)` removes it"
      )
    }
    let suffix = KeyRules.variableSuffix(for: name)
    if let other = contents.entries.first(where: {
      $0.name != name && KeyRules.variableSuffix(for: $0.name) == suffix
    }) {
      throw KeyError(
        "\(name) and the key \(other.name) would share the variable \(KeyRules.environmentVariable(for: name)); choose another name"
      )
    }
  }

  /// Stores a key (or replaces it with `replace`), writing the store atomically.
  public mutating func add(_ name: String, _ value: KeyStoreContents.Value, replace: Bool) throws(KeyError) {
    try checkCanAdd(name, replace: replace)
    var contents = try stored.get()
    if let index = contents.entries.firstIndex(where: { $0.name == name }) {
      contents.entries[index].value = value
    } else {
      contents.entries.append(.init(name: name, value: value))
    }
    try write(contents)
  }

  /// What `remove` did, for its message.
  public struct Removal: Sendable, Equatable {
    public var name: String
    public var wasDefault: Bool
    /// `COMFYSH_KEY_<NAME>` still supplies the key.
    public var stillSuppliedBy: String?
    /// The session had selected it.
    public var wasSelected: Bool
  }

  /// Removes a stored key (and the default that names it).
  public mutating func remove(_ name: String) throws(KeyError) -> Removal {
    reload()
    try KeyRules.checkName(name)
    var contents = try stored.get()
    guard let found = storedName(for: name, in: contents),
      let index = contents.entries.firstIndex(where: { $0.name == found })
    else {
      let variable = KeyRules.environmentVariable(for: name)
      if value(of: variable) != nil {
        throw KeyError(
          "key \(name) is not in the store: it comes from \(variable); unset that variable to remove it")
      }
      throw KeyError("there is no key named \(name) in the store; `key list` shows the keys")
    }
    contents.entries.remove(at: index)
    let wasDefault = contents.defaultName == found
    if wasDefault { contents.defaultName = nil }
    try write(contents)
    let variable = KeyRules.environmentVariable(for: found)
    let wasSelected: Bool
    if case .named(let selected) = selection {
      wasSelected = Self.sameKey(selected, found)
    } else {
      wasSelected = false
    }
    return Removal(
      name: found, wasDefault: wasDefault, stillSuppliedBy: value(of: variable) != nil ? variable : nil,
      wasSelected: wasSelected)
  }

  /// Selects a key for this session (and with `makeDefault`, for new sessions too).
  public mutating func use(_ name: String, makeDefault: Bool) throws(KeyError) -> ResolvedKey {
    reload()
    let key = try resolve(name)
    if makeDefault {
      var contents = try stored.get()
      contents.defaultName = key.name
      try write(contents)
    }
    selection = .named(key.name)
    return key
  }

  /// Sends no key in this session (`COMFY_API_KEY` included); with `clearDefault`, the store's default
  /// is removed too. Returns the default that was cleared.
  public mutating func useNone(clearDefault: Bool) throws(KeyError) -> String? {
    reload()
    var cleared: String?
    if clearDefault {
      var contents = try stored.get()
      cleared = contents.defaultName
      if cleared != nil {
        contents.defaultName = nil
        try write(contents)
      }
    }
    selection = .none
    return cleared
  }

  /// Remembers a value typed where it does not belong (`key add work comfyui-…`) so that it is masked
  /// from now on: in the error that follows, in recordings and on screen.
  public mutating func expose(_ value: String) {
    let value = KeyRules.trimmed(value)
    guard value.utf8.count >= KeyRules.minimumLength, !exposed.contains(value) else { return }
    exposed.append(value)
    refreshSecrets()
  }

  private mutating func write(_ contents: KeyStoreContents) throws(KeyError) {
    try store.save(contents)
    stored = .success(contents)
    refusedSecrets = []
    stamp = FileStamp(store)
    refreshSecrets()
  }

  // MARK: - Helpers

  /// A variable's value, or nil when it is unset or empty (an empty variable counts as unset).
  func value(of variable: String) -> String? {
    guard let raw = environment[variable], !KeyRules.trimmed(raw).isEmpty else { return nil }
    return raw
  }

  /// True when two names mean the same key (`ci-bot` and `ci_bot` share `COMFYSH_KEY_CI_BOT`).
  static func sameKey(_ a: String, _ b: String) -> Bool {
    if a == b { return true }
    if a == KeyRules.fallbackVariable || b == KeyRules.fallbackVariable { return false }
    return KeyRules.variableSuffix(for: a) == KeyRules.variableSuffix(for: b)
  }

  /// The stored name for `name`: itself, or the one that maps to the same variable (`Work` → `work`).
  private func storedName(for name: String, in contents: KeyStoreContents) -> String? {
    if contents[name] != nil { return name }
    let suffix = KeyRules.variableSuffix(for: name)
    return contents.entries.first { KeyRules.variableSuffix(for: $0.name) == suffix }?.name
  }

  private mutating func refreshSecrets() {
    var values = contents?.secretValues ?? refusedSecrets
    for (variable, raw) in environment
    where variable.hasPrefix(KeyRules.variablePrefix) || variable == KeyRules.fallbackVariable {
      values.append(raw)
    }
    for entry in contents?.entries ?? [] {
      if case .environment(let variable) = entry.value, let raw = environment[variable] { values.append(raw) }
    }
    values += exposed
    var unique: [String] = []
    for value in values.map(KeyRules.trimmed) where value.utf8.count >= KeyRules.minimumLength {
      if !unique.contains(value) { unique.append(value) }
    }
    secrets = unique
  }
}

/// What the store's file and folder looked like when last read; a change means read again.
struct FileStamp: Equatable, Sendable {
  var file: [Int]
  var folder: [Int]

  init(_ store: KeyStore) {
    file = Self.describe(store.path)
    folder = Self.describe(store.folder)
  }

  private static func describe(_ path: String) -> [Int] {
    var info = stat()
    guard stat(path, &info) == 0 else { return [] }
    return [
      Int(info.st_dev), Int(info.st_ino), Int(info.st_size), Int(info.st_mode), Int(info.st_uid),
      Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_ctim.tv_sec),
      Int(info.st_ctim.tv_nsec),
    ]
  }
}

/// The process environment as a dictionary, read once per session.
public enum ProcessEnvironment {
  public static func current() -> [String: String] {
    var result: [String: String] = [:]
    let start: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
    guard var pointer = start else { return result }
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      pointer += 1
    }
    return result
  }
}
