import ComfySim
import Shell
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// The executable: parse the command line, start what it asks for, exit with the session's status.
@main
enum Comfysh {
  static let version = "comfysh 0.1"

  static func main() async {
    Allocator.useOneArena()
    let invocation: Invocation
    do {
      invocation = try CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst()))
    } catch {
      TextSink.stderr.write("comfysh: \(error.message)\n")
      exit(2)
    }
    switch invocation {
    case .help(let text):
      TextSink.stdout.write(text + "\n")
    case .version:
      TextSink.stdout.write(version + "\n")
    case .shell(var options):
      let simulator = await startSimulator(if: options.useSimulator, version: options.comfyUIVersion)
      options.simulatorURL = simulator?.baseURL ?? options.simulatorURL
      let status = await ShellRunner.run(options)
      await simulator?.stop()
      exit(status)
    case .simulator(let options):
      exit(await SimulatorRunner.serve(options))
    case .render(var options):
      let simulator = await startSimulator(if: options.useSimulator, version: options.comfyUIVersion)
      options.simulatorURL = simulator?.baseURL ?? options.simulatorURL
      let status = await RenderRunner.run(options)
      await simulator?.stop()
      exit(status)
    }
  }

  /// `--sim`: the in-process simulator a shell or a render talks to; exits with status 1 if it cannot start.
  static func startSimulator(if wanted: Bool, version: String?) async -> ComfySimulator? {
    guard wanted else { return nil }
    do {
      return try await SimulatorRunner.startForSession(
        version.flatMap(SimulatedVersion.init(option:)) ?? .comfyUI0_3_64)
    } catch {
      TextSink.stderr.write("comfysh: cannot start the simulator: \(error)\n")
      exit(1)
    }
  }
}
