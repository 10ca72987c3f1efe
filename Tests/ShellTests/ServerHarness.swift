import ComfyClient
import ComfySim
import FaultProxy
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// A shell session wired to a fresh in-process simulator (free loopback port).
@MainActor
final class ServerHarness {
  let shell: ShellHarness
  let simulator: ComfySimulator
  var session: Session { shell.session }
  var output: OutputBuffer { shell.output }

  init(
    json: Bool = false, stepDelay: Duration = .zero, faults: SimulatorFaults = SimulatorFaults(),
    comfyUI: SimulatedVersion = .comfyUI0_3_64
  ) async throws {
    shell = ShellHarness(json: json)
    simulator = try ComfySimulator(
      SimulatorConfiguration(stepDelay: stepDelay, faults: faults, comfyUI: comfyUI))
    try await simulator.start()
    await shell.session.server.select(try ServerAddress(simulator.baseURL), name: nil, origin: .command)
    shell.session.server.inactivityTimeout = .seconds(20)
  }

  /// Closes the session's connection and stops the simulator.
  func close() async {
    await session.server.shutdown()
    await simulator.stop()
  }

  /// A session on a simulator behind a fault proxy with `rules`.
  static func throughProxy(
    _ rules: [FaultProxy.Rule], stepDelay: Duration = .zero, faults: SimulatorFaults = SimulatorFaults()
  ) async throws -> (ServerHarness, FaultProxy) {
    let h = try await ServerHarness(stepDelay: stepDelay, faults: faults)
    let proxy = try FaultProxy(upstreamPort: h.simulator.port, rules: rules)
    await h.session.server.select(try ServerAddress(proxy.url), name: nil, origin: .command)
    return (h, proxy)
  }

  func close(_ proxy: FaultProxy) async {
    await close()
    proxy.stop()
  }

  func ok(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    await shell.ok(text, sourceLocation: sourceLocation)
  }

  func fails(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    await shell.fails(text, sourceLocation: sourceLocation)
  }

  func write(_ name: String, _ text: String) -> String { shell.write(name, text) }

  /// Loads a small workflow: EmptyImage → ImageInvert → SaveImage (a random colour unless given).
  func loadBasic(color: Int = Int.random(in: 0...16_777_215), prefix: String = "shell") async {
    _ = write("basic.json", ServerHarness.basic(color: color, prefix: prefix))
    _ = await ok("load basic.json")
  }

  static func basic(color: Int, prefix: String) -> String {
    """
    {
      "1": {"inputs": {"width": 64, "height": 64, "batch_size": 1, "color": \(color)}, "class_type": "EmptyImage", "_meta": {"title": "EmptyImage"}},
      "2": {"inputs": {"image": ["1", 0]}, "class_type": "ImageInvert", "_meta": {"title": "Invert Image"}},
      "3": {"inputs": {"filename_prefix": "\(prefix)", "images": ["2", 0]}, "class_type": "SaveImage", "_meta": {"title": "Save Image"}}
    }
    """
  }

  /// The prompt id in a `queued ID (#N)` line.
  func queuedID(_ output: String) -> String? {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("queued ") }) else {
      return nil
    }
    return line.split(separator: " ").dropFirst().first.map(String.init)
  }

  /// Waits (bounded) until the server's queue shows `id` running.
  func waitUntilRunning(_ id: String) async throws {
    let running = try await eventually(every: .milliseconds(20)) {
      try await session.server.client.queue().running.first?.promptID == id
    }
    if !running { Issue.record("prompt \(id) never started running") }
  }

  /// A PNG the simulator made (for uploads).
  func pngBytes() async throws -> [UInt8] {
    await loadBasic()
    let out = await ok("run; watch")
    let id = try #require(queuedID(out))
    let file = try #require(await session.server.tracker(id)?.outputs.first?.file)
    return try await session.server.client.view(file)
  }
}

/// Parses every stdout line as one JSON object (NDJSON); records an issue for a line that is not.
func ndjson(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [JSONValue] {
  text.split(separator: "\n").compactMap { line in
    guard let value = try? JSONValue.parse(String(line)), value.objectValue != nil else {
      Issue.record("not a JSON object line: \(line)", sourceLocation: sourceLocation)
      return nil
    }
    return value
  }
}
