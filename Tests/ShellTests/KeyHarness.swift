import Synchronization
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// What a key test types: lines for the hidden prompt and for standard input, and the prompts shown.
final class KeyFeed: Sendable {
  private let hidden = Mutex<[String]>([])
  private let piped = Mutex<[String]>([])
  private let prompts = Mutex<[String]>([])
  let terminal: Bool

  init(terminal: Bool) { self.terminal = terminal }

  func type(_ line: String) { hidden.withLock { $0.append(line) } }
  func pipe(_ line: String) { piped.withLock { $0.append(line) } }
  var shownPrompts: [String] { prompts.withLock { $0 } }

  var input: SecretInput {
    SecretInput(
      isTerminal: { self.terminal },
      readHidden: { prompt in
        self.prompts.withLock { $0.append(prompt) }
        // Nothing typed stands for Ctrl-C.
        guard let line = self.hidden.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
          throw KeyError.cancelled
        }
        return line
      },
      readLine: { self.piped.withLock { $0.isEmpty ? nil : $0.removeFirst() } })
  }
}

/// A shell session whose keys live in a temporary config folder, with an environment of its own.
@MainActor
final class KeyHarness {
  let shell: ShellHarness
  /// `…/config/comfysh`, as `ShellPaths.configFolder` would be.
  let config: String
  var environment: [String: String]
  let feed: KeyFeed

  /// `config` nil: a new store in the harness folder.
  init(
    environment: [String: String] = [:], terminal: Bool = false, json: Bool = false,
    sourceName: String? = nil,
    config: String? = nil
  ) {
    shell = ShellHarness(json: json, sourceName: sourceName)
    self.config = config ?? shell.folder + "/config/comfysh"
    self.environment = environment
    feed = KeyFeed(terminal: terminal)
    shell.session.keyRing = KeyRing(configFolder: self.config, environment: environment, input: feed.input)
  }

  /// Another session on the same store (a second terminal, or this one restarted).
  func newSession(environment: [String: String]? = nil, terminal: Bool? = nil) -> KeyHarness {
    KeyHarness(
      environment: environment ?? self.environment, terminal: terminal ?? feed.terminal, config: config)
  }

  var session: Session { shell.session }
  var storePath: String { config + "/keys.json" }
  var storeText: String? { try? FileIO.readText(storePath) }

  func ok(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    await shell.ok(text, sourceLocation: sourceLocation)
  }

  func fails(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    await shell.fails(text, sourceLocation: sourceLocation)
  }

  /// Everything the session printed since the last command started (stdout and stderr).
  var printed: String { shell.output.stdout + shell.output.stderr }

  /// Adds a key through piped standard input (`key add NAME --stdin`).
  func add(_ name: String, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) async {
    feed.pipe(key)
    let terminal = feed.terminal
    #expect(
      !terminal, "add(_:_:) pipes the key; use a harness without a terminal", sourceLocation: sourceLocation)
    _ = await ok("key add \(name) --stdin", sourceLocation: sourceLocation)
  }

  func mode(_ path: String) -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o777
  }

  func chmod(_ path: String, _ mode: mode_t) { _ = Glibc.chmod(path, mode) }
}

/// Keys that look real: `comfyui-` and 64 hex digits, each distinct and easy to find in output.
enum TestKeys {
  static let work = "comfyui-87d0" + String(repeating: "a1b2", count: 14) + "c1f2"
  static let ci = "comfyui-11aa" + String(repeating: "9e8d", count: 14) + "ffff"
  static let env = "comfyui-e0e0" + String(repeating: "7c7c", count: 14) + "0e0e"
  static let fallback = "comfyui-fa11" + String(repeating: "bac4", count: 14) + "back"
  static let short = "comfyui-FAKEKEY"
}
