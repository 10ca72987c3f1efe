import ArgumentParser
import ComfySim
import Shell

/// comfysh: an interactive shell for ComfyUI workflows in API format.
@main
struct Comfysh: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "comfysh",
    abstract: "An interactive shell for ComfyUI workflows in API format.",
    discussion: """
      comfysh [FILE.json|FILE.png]     interactive shell with that workflow loaded
      comfysh SCRIPT.comfy             run a script, then exit (status 0 only if every command succeeded)
      comfysh -c 'CMD; CMD'            run commands, then exit
      … | comfysh                      commands from standard input
      comfysh sim [--port N]           serve the ComfyUI simulator on loopback
      """,
    version: "comfysh 0.1"
  )

  /// `comfysh sim …` is its own command; anything else is the shell (whose first argument may be a file).
  static func main() async {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "sim" {
      await SimCommand.main(Array(arguments.dropFirst()))
    } else {
      await Self.main(arguments)
    }
  }

  @ArgumentParser.Argument(help: "A workflow (.json, .png) to load, or a script to run.")
  var file: String?

  @Option(name: .customShort("c"), help: "Commands to run, separated by ';'.")
  var commands: String?

  @Option(help: "The ComfyUI server URL (default: $COMFYSH_SERVER, else http://127.0.0.1:8188).")
  var server: String?

  @Flag(help: "Use the built-in ComfyUI simulator on an ephemeral loopback port.")
  var sim = false

  @Option(help: "Read the node catalog from an /object_info JSON file.")
  var catalog: String?

  @Option(help: "Record the session to a script file.")
  var record: String?

  @Flag(help: "Go on after a failing script command.")
  var keepGoing = false

  @Flag(help: "Skip the init script.")
  var noInit = false

  @Flag(help: "Machine-readable output: one JSON object per line.")
  var json = false

  @Flag(help: "Plain output without colour.")
  var noColor = false

  @Flag(help: "Replay a recorded transcript and compare its outputs.")
  var check = false

  @Flag(help: "Replay a recorded transcript and rewrite its outputs.")
  var update = false

  mutating func run() async throws {
    var options = ShellOptions()
    options.file = file
    options.commands = commands
    options.server = server
    options.catalogPath = catalog
    options.recordPath = record
    options.keepGoing = keepGoing
    options.noInit = noInit
    options.json = json
    options.noColor = noColor
    options.check = check
    options.update = update
    // `--sim`: an in-process simulator on an ephemeral loopback port, stopped when the session ends.
    var simulator: ComfySimulator?
    if sim {
      let started = try ComfySimulator(SimulatorConfiguration())
      try await started.start()
      options.simulatorURL = started.baseURL
      simulator = started
    }
    let status = await ShellRunner.run(options)
    await simulator?.stop()
    if status != 0 { throw ExitCode(status) }
  }
}
