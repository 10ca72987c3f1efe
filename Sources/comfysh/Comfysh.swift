import Shell

#if canImport(Glibc)
import Glibc
#endif

/// The executable: parse the command line, start what it asks for, exit with the session's status.
@main
enum Comfysh {
  static let version = "comfysh 0.1"

  static func main() async {
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
    case .shell(let options):
      let status = await ShellRunner.run(options)
      exit(status)
    case .simulator:
      TextSink.stderr.write("comfysh sim: the simulator is not built into this version yet\n")
      exit(2)
    }
  }
}
