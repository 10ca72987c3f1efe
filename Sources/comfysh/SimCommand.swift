import ComfySim
import Dispatch
import Shell
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `comfysh sim` and `--sim`: the ComfyUI simulator on loopback.
enum SimulatorRunner {
  /// `comfysh sim`: serves until SIGINT or SIGTERM, for curl, Python or a second comfysh.
  static func serve(_ options: SimulatorOptions) async -> Int32 {
    var configuration = SimulatorConfiguration(
      port: options.port, dataFolder: options.dataFolder,
      stepDelay: .milliseconds(options.stepDelayMilliseconds), comfyUI: options.comfyUI)
    configuration.samplerPreviews = options.previews
    if let folder = options.frontendFolder {
      guard FileIO.exists(folder + "/index.html") else {
        return fail(
          "--frontend \(folder) has no index.html; give the static/ folder of comfyui-frontend-package "
            + "(pip install comfyui-frontend-package==1.27.10)")
      }
      configuration.frontendFolder = folder
    }
    if let path = options.catalogPath {
      do {
        configuration.catalogJSON = try JSONValue.parse(bytes: FileIO.read(path))
      } catch let error as FileError {
        return fail("cannot read --catalog \(path): \(error.reason)")
      } catch {
        return fail("--catalog \(path) is not JSON: \(error)")
      }
    }
    do {
      let simulator = try ComfySimulator(configuration)
      try await simulator.start()
      TextSink.stdout.write(
        "comfysh sim · ComfyUI \(options.comfyUI.version) simulator at \(simulator.baseURL) · data \(simulator.dataFolder)\n"
      )
      await waitForTermination()
      await simulator.stop()
      return 0
    } catch {
      return fail(
        "cannot start the simulator on port \(options.port): \(error) (is the port taken? try --port 0)")
    }
  }

  /// `--sim`: starts a simulator on an ephemeral loopback port for this session.
  static func startForSession(_ version: SimulatedVersion) async throws -> ComfySimulator {
    let simulator = try ComfySimulator(
      SimulatorConfiguration(port: 0, stepDelay: .milliseconds(20), comfyUI: version))
    try await simulator.start()
    return simulator
  }

  private static func fail(_ message: String) -> Int32 {
    TextSink.stderr.write("comfysh sim: \(message)\n")
    return 1
  }

  /// Returns at the first SIGINT or SIGTERM.
  static func waitForTermination() async {
    let (signals, continuation) = AsyncStream<Int32>.makeStream()
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { continuation.yield(number) }
      source.resume()
      sources.append(source)
    }
    for await _ in signals { break }
    for source in sources { source.cancel() }
  }
}
