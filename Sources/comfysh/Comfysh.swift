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
      var simulator: ComfySimulator?
      if options.useSimulator {
        do {
          let version = options.comfyUIVersion.flatMap(SimulatedVersion.init(option:)) ?? .comfyUI0_3_64
          simulator = try await SimulatorRunner.startForSession(version)
          options.simulatorURL = simulator?.baseURL
        } catch {
          TextSink.stderr.write("comfysh: cannot start the simulator: \(error)\n")
          exit(1)
        }
      }
      let status = await ShellRunner.run(options)
      await simulator?.stop()
      exit(status)
    case .simulator(let options):
      exit(await SimulatorRunner.serve(options))
    case .render(var options):
      var simulator: ComfySimulator?
      if options.useSimulator {
        do {
          let version = options.comfyUIVersion.flatMap(SimulatedVersion.init(option:)) ?? .comfyUI0_3_64
          simulator = try await SimulatorRunner.startForSession(version)
          options.simulatorURL = simulator?.baseURL
        } catch {
          TextSink.stderr.write("comfysh: cannot start the simulator: \(error)\n")
          exit(1)
        }
      }
      let status = await RenderRunner.run(options)
      await simulator?.stop()
      exit(status)
    }
  }
}
