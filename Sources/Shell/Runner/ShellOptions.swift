import ComfyRules

/// Everything the command line decides about a session (Docs/guide.md, Starting).
public struct ShellOptions: Sendable, Equatable {
  /// A workflow to load (`.json`, `.png`) or a script to run (anything else).
  public var file: String?
  /// `-c 'CMD; CMD'`.
  public var commands: String?
  /// `--server URL`; nil = `$COMFYSH_SERVER`, the init script's choice, or the default.
  public var server: String?
  /// `--pool NAME`: spread runs over a saved pool (`pool use NAME` before anything else).
  public var pool: String?
  /// The address of an in-process simulator started by `--sim`.
  public var simulatorURL: String?
  /// `--sim`: start the built-in simulator and use it.
  public var useSimulator = false
  /// `--insecure-key`: no warning when a key goes over plain http to a host that is not loopback.
  public var insecureKey = false
  public var catalogPath: String?
  /// `--comfyui VERSION`: the version a `--catalog` file came from.
  public var comfyUIVersion: String?
  public var recordPath: String?
  /// `--keep-outputs` (with `--record`): the prompts' files go into a folder beside the recording.
  public var keepOutputs = false
  public var keepGoing = false
  public var noInit = false
  public var json = false
  public var noColor = false
  /// `--trace`: `trace on` from the start.
  public var trace = false
  public var check = false
  public var update = false

  public init() {}

  /// Whether `--comfyui` was given a version comfysh can pick validation rules by.
  public static func isComfyUIVersion(_ text: String) -> Bool {
    ValidationRules(comfyUIVersion: text) != nil
  }

  /// True when `file` is a workflow rather than a script.
  public var fileIsWorkflow: Bool {
    guard let file else { return false }
    let lower = file.lowercased()
    return lower.hasSuffix(".json") || lower.hasSuffix(".png")
  }
}
