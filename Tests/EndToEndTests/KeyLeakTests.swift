import ComfySim
import Foundation
import Testing

@testable import Workflow

/// Whole sessions with a distinctive key — scripted, `--json`, and typed in a real terminal (tmux) —
/// against the simulator with a paid node, through success and error paths, recording, queue, payload
/// and history. Afterwards the key must be nowhere but in the key store and in what the simulator
/// received: not in any file the sessions wrote, not in anything they printed, not in process arguments.
@Suite(.serialized, .timeLimit(.minutes(3))) struct KeyLeakTests {
  static let workflow = """
    {
      "11": {"inputs": {"prompt": "a lighthouse", "prompt_upsampling": false, "seed": 7, "aspect_ratio": "16:9", "raw": false},
             "class_type": "FluxProUltraImageNode", "_meta": {"title": "Flux 1.1 [pro] Ultra Image"}},
      "12": {"inputs": {"filename_prefix": "leak", "images": ["11", 0]}, "class_type": "SaveImage", "_meta": {"title": "Save Image"}}
    }
    """

  @Test func theKeyIsOnlyInTheStoreAndTheRequest() async throws {
    let key = "comfyui-leaktest" + UUID().uuidString.replacingAll("-", with: "").lowercased()
    let folder = Binary.temporaryFolder()
    try Self.workflow.write(toFile: folder + "/flux.json", atomically: true, encoding: .utf8)
    let simulator = try ComfySimulator(SimulatorConfiguration(dataFolder: folder + "/sim"))
    try await simulator.start()
    defer { Task { await simulator.stop() } }
    let server = simulator.baseURL
    var printed: [String] = []

    // 1. A script: add the key from stdin, use it, run (success), an execution error, a 400, record all.
    let script = """
      key add leak --stdin
      key use leak
      key list
      load flux.json
      payload
      run
      watch
      queue
      history
      set 12.filename_prefix "../../outside"
      run
      watch
      set 12.filename_prefix leak
      add LoadImage as 14 image=missing.png
      link 11.image_prompt 14:0
      run
      unlink 11.image_prompt
      rm 14
      set 11.seed 8
      run
      watch
      outputs
      history
      """
    try script.write(toFile: folder + "/session.comfy", atomically: true, encoding: .utf8)
    let scripted = try await Binary.run(
      ["--no-init", "--keep-going", "--server", server, "--record", "recorded.comfy", "session.comfy"],
      stdin: key + "\n", in: folder)
    printed += [scripted.stdout, scripted.stderr]
    #expect(scripted.stdout.contains("queued"), "\(scripted.stdout)\n\(scripted.stderr)")
    #expect(scripted.stderr.contains("outside the output folder"))
    #expect(scripted.stderr.contains("missing.png"))

    // 2. --json, with the key from COMFYSH_KEY_<NAME>.
    let json = try await Binary.run(
      [
        "--no-init", "--json", "--server", server, "-c",
        "key use leak; key list; load flux.json; set 11.seed 9; payload; run; watch; queue",
      ],
      in: folder, environment: ["COMFYSH_KEY_LEAK": key])
    printed += [json.stdout, json.stderr]
    #expect(json.status == 0, "\(json.stderr)")

    // 3. Typed at a terminal: the hidden prompt, then run, watch, queue, payload.
    let tmux = Tmux()
    defer { tmux.killServer() }
    try tmux.start(
      "cd \(folder) && XDG_CONFIG_HOME=\(folder)/.config XDG_STATE_HOME=\(folder)/.state XDG_CACHE_HOME=\(folder)/.cache \(Binary.path) --no-init --server \(server)"
    )
    try await tmux.waitFor("comfy>")
    let pid = try tmux.panePID()
    tmux.type("key add typed"); tmux.keys("Enter")
    try await tmux.waitFor("hidden")
    tmux.type(key); tmux.keys("Enter")
    try await tmux.waitFor("added key typed")
    for command in [
      "key use typed", "load flux.json", "set 11.seed 10", "run", "watch", "queue", "payload", "key list",
    ] {
      tmux.type(command); tmux.keys("Enter")
    }
    try await tmux.waitFor("\"api_key_comfy_org\"")
    // The shell's own process arguments, while it runs.
    let arguments = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
    #expect(!arguments.isEmpty)
    #expect(!arguments.contains(key))
    tmux.type("quit -f"); tmux.keys("Enter")
    try await tmux.waitForExit()
    printed.append(tmux.history())

    // The simulator received exactly that key, and only it.
    let received = simulator.receivedAPIKeys
    #expect(received.count >= 4)
    #expect(received.allSatisfy { $0 == key })

    // Nothing printed shows it, and every file but the store is free of it.
    for (i, text) in printed.enumerated() {
      #expect(!text.contains(key), "output \(i) shows the key")
      #expect(!text.contains(String(key.dropFirst(8))), "output \(i) shows the key's secret part")
    }
    var checked = 0
    var storeHasKey = false
    for path in Self.files(under: folder) {
      guard let data = FileManager.default.contents(atPath: path) else { continue }
      let holdsKey = data.range(of: Data(key.utf8)) != nil
      if path.hasSuffix("/comfysh/keys.json") {
        storeHasKey = holdsKey
        continue
      }
      checked += 1
      #expect(!holdsKey, "\(path) holds the key")
    }
    #expect(storeHasKey)
    #expect(checked >= 6, "expected the recording, history, caches, workflow and outputs; checked \(checked)")
    #expect(FileManager.default.fileExists(atPath: folder + "/.state/comfysh/history"))
    #expect(FileManager.default.fileExists(atPath: folder + "/recorded.comfy"))
  }

  static func files(under folder: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
    var result: [String] = []
    while let relative = walker.nextObject() as? String {
      var isFolder: ObjCBool = false
      let path = folder + "/" + relative
      if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
        result.append(path)
      }
    }
    return result
  }
}

/// A private tmux server with one 100×40 pane, for tests that type at a real terminal. tmux is run
/// with `popen`/`system` (fork, exec, waitpid), not Foundation's `Process`: the tmux server that the
/// first command starts outlives it, and `Process` could wait on it forever.
struct Tmux {
  let socket = "comfysh-e2e-\(UUID().uuidString.prefix(8))"

  private func command(_ arguments: [String]) -> String {
    (["tmux", "-L", socket, "-f", "/dev/null"] + arguments).map(Self.quote).joined(separator: " ")
  }

  static func quote(_ text: String) -> String {
    "'" + text.replacingAll("'", with: "'\\''") + "'"
  }

  /// Runs a tmux command and returns what it printed.
  @discardableResult
  func run(_ arguments: [String]) -> String {
    guard let pipe = popen(command(arguments) + " 2>/dev/null", "r") else { return "" }
    var output = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, pipe)
      if n <= 0 { break }
      output.append(contentsOf: buffer[0..<n])
    }
    pclose(pipe)
    return String(decoding: output, as: UTF8.self)
  }

  func start(_ shellCommand: String) throws {
    // As Scripts/lib/tmux.sh does: remain-on-exit is set in the same call, before the command starts.
    let start = [
      "start-server", ";", "set-window-option", "-g", "remain-on-exit", "on", ";",
      "new-session", "-d", "-s", "t", "-x", "100", "-y", "40", shellCommand,
    ]
    guard system(command(start) + " >/dev/null 2>&1") == 0 else {
      throw ShellFailure("tmux could not start (is tmux installed? Scripts/setup.sh installs it)")
    }
  }

  func type(_ text: String) { run(["send-keys", "-t", "t", "-l", "--", text]) }
  func keys(_ names: String...) { run(["send-keys", "-t", "t"] + names) }
  func screen() -> String { run(["capture-pane", "-p", "-t", "t"]) }
  func history() -> String { run(["capture-pane", "-p", "-J", "-S", "-", "-t", "t"]) }
  func panePID() throws -> Int32 {
    guard
      let pid = Int32(
        run(["display-message", "-p", "-t", "t", "#{pane_pid}"]).trimmingCharacters(
          in: .whitespacesAndNewlines))
    else { throw ShellFailure("no pane pid") }
    return pid
  }

  func waitFor(_ text: String, seconds: Double = 15) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if history().contains(text) { return }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw ShellFailure("'\(text)' did not appear; screen:\n\(screen())")
  }

  func waitForExit(seconds: Double = 15) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if run(["display-message", "-p", "-t", "t", "#{pane_dead}"]).hasPrefix("1") { return }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw ShellFailure("the shell did not exit; screen:\n\(screen())")
  }

  func killServer() { run(["kill-server"]) }
}
