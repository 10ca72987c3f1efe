import ArgumentParser
import ComfySim
import Dispatch
import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `comfysh sim`: the ComfyUI simulator on loopback, for curl, Python or a second comfysh.
struct SimCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sim",
    abstract: "Serve the ComfyUI 0.3.64 simulator on 127.0.0.1 until interrupted.",
    discussion: """
      The simulator speaks ComfyUI's HTTP and WebSocket protocol (prompt, queue, history, view, \
      upload, object_info, progress, caching, interrupt) and makes small stand-in images. \
      See Docs/simulator.md.
      """)

  @Option(help: "The port to listen on (0 picks a free one).")
  var port: Int = 8188

  @Option(help: "An /object_info JSON file to use as the node catalog instead of the built-in one.")
  var catalog: String?

  @Option(help: "The folder for input/, output/ and temp/ (default: a temporary folder, deleted on exit).")
  var data: String?

  @Option(name: .customLong("step-delay"), help: "Milliseconds of simulated work per progress step.")
  var stepDelay: Int = 0

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    guard stepDelay >= 0 else { throw ValidationError("--step-delay must not be negative") }
  }

  func run() async throws {
    var configuration = SimulatorConfiguration(
      port: port, dataFolder: data, stepDelay: .milliseconds(stepDelay))
    if let catalog {
      do {
        configuration.catalogJSON = try JSONValue.parse(bytes: FileIO.read(catalog))
      } catch let error as FileError {
        throw ValidationError("cannot read --catalog \(catalog): \(error.reason)")
      } catch {
        throw ValidationError("--catalog \(catalog) is not JSON: \(error)")
      }
    }
    let simulator = try ComfySimulator(configuration)
    try await simulator.start()
    print("comfysh sim · ComfyUI 0.3.64 simulator at \(simulator.baseURL) · data \(simulator.dataFolder)")
    fflush(nil)
    await Self.waitForTermination()
    await simulator.stop()
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
