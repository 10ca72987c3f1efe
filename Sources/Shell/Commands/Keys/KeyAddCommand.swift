import ComfyClient
import Workflow

/// `key add NAME`: stores a key under a name. The key is never an argument: it is read at a hidden
/// prompt, from one line of standard input (`--stdin`), or left in an environment variable that the
/// store names (`--from-env VAR`), so it never reaches the screen, the history, recordings or
/// process arguments.
struct KeyAddCommand: KeySubcommand {
  static let verb = "add"
  static let usage = "key add NAME [--stdin | --from-env VAR] [--force]"
  static let summary =
    "Store a key under NAME, typed at a hidden prompt (or --stdin: one line of standard input; --from-env VAR: the store keeps only the variable's name); --force replaces a key."
  static let example = "key add work"
  static let arguments: [ArgumentKind] = [.text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let fromStdin = arguments.flag("--stdin")
    let replace = arguments.flag("--force", "-f")
    let variable = try arguments.option("--from-env")
    try refuseKeyOnLine(arguments, in: session)
    try arguments.expect(1)
    let name = arguments[0].text
    if fromStdin && variable != nil {
      throw ShellError("choose one of --stdin and --from-env; usage: \(usage)")
    }
    // Every check that can fail without the key runs first: nobody should paste a key to hear "no".
    try session.keyRing.checkCanAdd(name, replace: replace)

    let value: KeyStoreContents.Value
    let shown: String
    if let variable {
      let name = variable.text.hasPrefix("$") ? String(variable.text.dropFirst()) : variable.text
      guard KeyRules.isVariableName(name) else {
        throw ShellError("\(variable.text) is not an environment variable name; usage: \(usage)")
      }
      guard let raw = session.keyRing.value(of: name) else {
        throw ShellError(
          "\(name) is not set (or is empty) in comfysh's environment: export it before starting comfysh")
      }
      let key = try KeyRules.normalize(raw, origin: "$\(name)")
      value = .environment(name)
      shown = key
    } else {
      let key = try KeyRules.normalize(
        try await readKey(name, fromStdin: fromStdin, session: session), origin: "the key")
      value = .secret(key)
      shown = key
    }
    if !KeyRules.hasExpectedPrefix(shown) {
      session.console.warning(
        "the key for \(name) does not start with \(KeyRules.expectedPrefix) as Comfy API keys do; stored anyway (check that the whole key was pasted)"
      )
    }
    try session.keyRing.add(name, value, replace: replace)

    let override = KeyRules.environmentVariable(for: name)
    var text = "added key \(name) (\(Secrets.mask(shown)))"
    if case .environment(let variable) = value { text += ", read from $\(variable) when used" }
    text += session.keyRing.nameInUse == name ? "; it is in use" : "; `key use \(name)` to use it"
    session.console.result(
      text,
      json: [
        "type": "key_added", "name": .string(name), "masked": .string(Secrets.mask(shown)),
        "source": .string(KeySource.from(value).description),
      ])
    if session.keyRing.value(of: override) != nil {
      session.console.note("\(override) is set and overrides the stored key \(name)")
    }
  }

  /// A key typed after the name is refused before anything happens, and masked from then on (the
  /// error message and the recording quote the line). The interactive loop keeps the line out of the
  /// history (`Session.isSensitive(line:)`).
  private static func refuseKeyOnLine(_ arguments: Arguments, in session: Session) throws {
    let shaped =
      arguments.values.first.map { $0.text.lowercased().hasPrefix(KeyRules.expectedPrefix) } ?? false
    guard arguments.count > 1 || shaped else { return }
    for argument in arguments.values.dropFirst(shaped ? 0 : 1) { session.keyRing.expose(argument.text) }
    let name = shaped ? "NAME" : arguments[0].text
    throw ShellError(
      "a key is never typed on the command line (it would stay on screen and could reach history and recordings): type `key add \(name)` alone and paste the key at the hidden prompt; in scripts use --stdin or --from-env VAR"
    )
  }

  /// The key from the terminal without echo, or a line of piped standard input.
  private static func readKey(_ name: String, fromStdin: Bool, session: Session) async throws -> String {
    let input = session.keyRing.input
    if input.isTerminal() {
      session.console.flush()
      return try await input.readHidden("key for \(name) (typing is hidden): ")
    }
    guard fromStdin else {
      throw ShellError(
        "key add reads the key at a terminal without echo, and standard input is not a terminal: use `key add \(name) --stdin` (one line of standard input) or `key add \(name) --from-env VAR`"
      )
    }
    guard let line = await input.readLine() else {
      throw ShellError("standard input ended before a key: --stdin reads the key from the next line")
    }
    return line
  }

  /// The words after `key add` that are not options: NAME, and anything typed by mistake after it.
  nonisolated static func positionalWords(_ words: [String]) -> [String] {
    var result: [String] = []
    var skipNext = false
    for word in words {
      if skipNext {
        skipNext = false
        continue
      }
      if word == "--from-env" {
        skipNext = true
        continue
      }
      if word == "--stdin" || word == "--force" || word == "-f" || word.hasPrefix("--from-env=") { continue }
      result.append(word)
    }
    return result
  }
}

extension KeySource {
  static func from(_ value: KeyStoreContents.Value) -> KeySource {
    switch value {
    case .secret: .store
    case .environment(let variable): .storeReference(variable: variable)
    }
  }
}
