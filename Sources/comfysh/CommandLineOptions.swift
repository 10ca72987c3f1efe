import ComfySim
import Shell
import Workflow

/// The command line of `comfysh` (Docs/guide.md, Starting), parsed by hand: swift-argument-parser's reflection cost
/// two thirds of start-up (see Docs/performance.md), and a shell people open many times a day must
/// open at once.
enum Invocation: Equatable {
  case shell(ShellOptions)
  case simulator(SimulatorOptions)
  case render(RenderOptions)
  case help(String)
  case version
}

/// `comfysh sim [--port N] [--comfyui VERSION] [--catalog FILE] [--data DIR] [--step-delay MS] [--previews] [--frontend DIR]`.
struct SimulatorOptions: Equatable {
  var port = 8188
  var catalogPath: String?
  var dataFolder: String?
  var stepDelayMilliseconds = 0
  var frontendFolder: String?
  var previews = false
  var comfyUI: SimulatedVersion = .comfyUI0_3_64
}

/// A command line that cannot be used, with what to do instead.
struct UsageError: Error, Equatable, CustomStringConvertible {
  let message: String
  var description: String { message }
}

enum CommandLineOptions {
  static let usage = """
    usage: comfysh [OPTIONS] [FILE.json | FILE.png | SCRIPT.comfy]
           comfysh -c 'CMD; CMD' [FILE.json]
           comfysh --check | --update SCRIPT.comfy
           comfysh sim [--port N] [--comfyui VERSION] [--catalog FILE] [--data DIR] [--step-delay MS] [--previews] [--frontend DIR]
           comfysh render SESSION.comfy [--html | --md] [-o FILE] [--replay] [--server URL | --sim]
           comfysh help [COMMAND]     the shell's help (a file named help: ./help)

    An interactive shell for ComfyUI workflows in API format.

      FILE.json, FILE.png   start the shell with this workflow loaded
      SCRIPT.comfy          run a script, then exit (status 0 only if every command succeeded)
      … | comfysh           read commands from standard input

    options:
      -c COMMANDS           run commands separated by ';', then exit
      --server URL          the ComfyUI server (default: $COMFYSH_SERVER, else http://127.0.0.1:8188)
      --sim                 use the built-in ComfyUI simulator on an ephemeral loopback port
      --pool NAME           spread runs over a saved pool of servers (`pool use NAME` first)
      --catalog FILE        node catalog from an /object_info JSON file instead of the server
      --comfyui VERSION     the ComfyUI version a --catalog file came from (validation follows its
                            rules; without it the file's own fields tell); with --sim, the version
                            the simulator answers as: 0.3.64 (default) or 0.33
      --record FILE         record the session to a script
      --keep-outputs        with --record: download the files prompts write into FILE's folder
                            (session.comfy → session.outputs/), for `comfysh render`
      --check               replay a recorded transcript and compare its outputs
      --update              replay a recorded transcript and rewrite its outputs
      --keep-going          go on after a failing script command
      --no-init             skip $XDG_CONFIG_HOME/comfysh/init.comfy
      --json                machine-readable output: one JSON object per line
      --no-color            plain output (also when NO_COLOR is set)
      --trace               show every HTTP request and WebSocket message (`trace on`)
      --insecure-key        do not warn when a key goes over plain http to another host
      -h, --help            this help;  --version  the version

    Inside the shell, `help` lists the commands.
    """

  static let simulatorUsage = """
    usage: comfysh sim [--port N] [--comfyui VERSION] [--catalog FILE] [--data DIR] [--step-delay MS]
                       [--previews] [--frontend DIR]

    Serves the ComfyUI simulator on 127.0.0.1 for other clients (curl, Python, a second comfysh).

      --port N          the port (default 8188; 0 picks a free one)
      --comfyui VERSION answer as ComfyUI 0.3.64 (the default) or 0.33 (jobs API, node replacements,
                        0.33's validation)
      --catalog FILE    serve this /object_info JSON instead of the built-in catalog
      --data DIR        where input/, output/ and temp/ live (default: a new temporary folder)
      --step-delay MS   time per progress step (sampler steps, upscale tiles), default 0
      --previews        send the samplers' live previews (ComfyUI's --preview-method auto)
      --frontend DIR    also serve ComfyUI's own page from this folder: the static/ folder of
                        comfyui-frontend-package (pip install comfyui-frontend-package==1.27.10)
    """

  static let renderUsage = """
    usage: comfysh render SESSION.comfy [--html | --md] [-o FILE] [--replay] [--server URL | --sim]

    Turns a recorded session into a page, like a notebook: its comments as prose, each command and
    its output, and the pictures its prompts made after the command that showed them.

      --html, --md      the format (default: from -o's extension, else HTML). HTML is one file with
                        the pictures inside; Markdown links them (fetched ones go to PAGE.files/)
      -o FILE           where to write (default: SESSION with .html or .md, beside it)
      --replay          run the session again first (like --update, into a temporary copy) and show
                        what it prints and makes now
      --server URL      where pictures that were not kept are fetched from, and --replay runs
                        (default: $COMFYSH_SERVER, else http://127.0.0.1:8188)
      --sim             the built-in simulator instead (it knows no earlier prompts: use --replay)
      --comfyui VERSION with --sim: answer as 0.3.64 (default) or 0.33

    Pictures come from the files `record --keep-outputs` kept (`#@ output` lines), else from the
    server's /history and /view. A picture that cannot be had is named on the page, with a warning.
    """

  static func parse(_ arguments: [String]) throws(UsageError) -> Invocation {
    if arguments.first == "sim" { return try parseSimulator(Array(arguments.dropFirst())) }
    if arguments.first == "render" { return try parseRender(Array(arguments.dropFirst())) }
    // `comfysh help [COMMAND]` is the shell's `help`, as `comfysh sim` is the simulator (`./help` is a file).
    if arguments.first == "help" {
      guard arguments.count <= 2 else {
        throw UsageError(message: "comfysh help takes at most one command name, e.g. comfysh help watch")
      }
      var options = ShellOptions()
      options.noInit = true
      options.commands = (["help"] + arguments.dropFirst().map(Address.quote)).joined(separator: " ")
      return .shell(options)
    }
    var options = ShellOptions()
    var index = 0
    func value(_ name: String) throws(UsageError) -> String {
      index += 1
      guard index < arguments.count else { throw UsageError(message: "\(name) needs a value\n\n\(usage)") }
      return arguments[index]
    }
    var positional: [String] = []
    var onlyPositional = false
    while index < arguments.count {
      let argument = arguments[index]
      if onlyPositional || !argument.hasPrefix("-") || argument == "-" {
        positional.append(argument)
        index += 1
        continue
      }
      var name = argument
      var inlineValue: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      func take() throws(UsageError) -> String {
        if let inlineValue { return inlineValue }
        return try value(name)
      }
      switch name {
      case "--": onlyPositional = true
      case "-h", "--help": return .help(usage)
      case "--version": return .version
      case "-c": options.commands = try take()
      case "--server": options.server = try take()
      case "--pool": options.pool = try take()
      case "--catalog": options.catalogPath = try take()
      case "--comfyui":
        let text = try take()
        guard ShellOptions.isComfyUIVersion(text) else {
          throw UsageError(message: "--comfyui takes a ComfyUI version such as 0.3.64 or 0.33.0, not \(text)")
        }
        options.comfyUIVersion = text
      case "--record": options.recordPath = try take()
      case "--keep-outputs": options.keepOutputs = true
      case "--sim": options.useSimulator = true
      case "--check": options.check = true
      case "--update": options.update = true
      case "--keep-going": options.keepGoing = true
      case "--no-init": options.noInit = true
      case "--json": options.json = true
      case "--no-color": options.noColor = true
      case "--trace": options.trace = true
      case "--insecure-key": options.insecureKey = true
      default:
        throw UsageError(message: "unknown option \(argument); `comfysh --help` lists the options")
      }
      index += 1
    }
    if positional.count > 1 {
      throw UsageError(
        message: "comfysh takes one file, got \(positional.joined(separator: " ")); quote names with spaces")
    }
    options.file = positional.first
    if options.keepOutputs && options.recordPath == nil {
      throw UsageError(
        message: "--keep-outputs goes with --record FILE: comfysh --record session.comfy --keep-outputs")
    }
    if options.check && options.update {
      throw UsageError(
        message: "--check and --update exclude each other: --check compares, --update rewrites")
    }
    if (options.check || options.update) && (options.file == nil || options.fileIsWorkflow) {
      throw UsageError(message: "--check and --update need a recorded script: comfysh --check SCRIPT.comfy")
    }
    if options.useSimulator, let version = options.comfyUIVersion, SimulatedVersion(option: version) == nil {
      throw UsageError(
        message: "--sim answers as ComfyUI 0.3.64 or 0.33, not \(version); give --comfyui 0.33")
    }
    if options.useSimulator && options.server != nil {
      throw UsageError(message: "--sim and --server exclude each other: --sim starts its own server")
    }
    return .shell(options)
  }

  /// `comfysh render SESSION [--html|--md] [-o FILE] [--replay] [--server URL|--sim] [--comfyui VERSION]`.
  static func parseRender(_ arguments: [String]) throws(UsageError) -> Invocation {
    var options = RenderOptions()
    var sessions: [String] = []
    var index = 0
    var onlyPositional = false
    while index < arguments.count {
      let argument = arguments[index]
      if onlyPositional || !argument.hasPrefix("-") || argument == "-" {
        sessions.append(argument)
        index += 1
        continue
      }
      var name = argument
      var inlineValue: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      func take() throws(UsageError) -> String {
        if let inlineValue { return inlineValue }
        index += 1
        guard index < arguments.count else {
          throw UsageError(message: "\(name) needs a value\n\n\(renderUsage)")
        }
        return arguments[index]
      }
      switch name {
      case "--": onlyPositional = true
      case "-h", "--help": return .help(renderUsage)
      case "--html", "--md":
        let format: PageFormat = name == "--html" ? .html : .markdown
        if let chosen = options.format, chosen != format {
          throw UsageError(message: "--html and --md exclude each other: a page is one or the other")
        }
        options.format = format
      case "-o", "--output": options.outputPath = try take()
      case "--replay": options.replay = true
      case "--server": options.server = try take()
      case "--sim": options.useSimulator = true
      case "--comfyui":
        let text = try take()
        guard SimulatedVersion(option: text) != nil else {
          throw UsageError(message: "--comfyui takes 0.3.64 or 0.33 for the simulator, not \(text)")
        }
        options.comfyUIVersion = text
      default:
        throw UsageError(message: "unknown option \(argument) for comfysh render\n\n\(renderUsage)")
      }
      index += 1
    }
    guard sessions.count == 1, let session = sessions.first else {
      throw UsageError(
        message: sessions.isEmpty
          ? "comfysh render needs a recorded session: comfysh render session.comfy"
          : "comfysh render takes one session, got \(sessions.joined(separator: " ")); quote names with spaces"
      )
    }
    options.sessionPath = session
    if options.useSimulator && options.server != nil {
      throw UsageError(message: "--sim and --server exclude each other: --sim starts its own server")
    }
    if options.comfyUIVersion != nil && !options.useSimulator {
      throw UsageError(message: "--comfyui goes with --sim: the version the simulator answers as")
    }
    return .render(options)
  }

  static func parseSimulator(_ arguments: [String]) throws(UsageError) -> Invocation {
    var options = SimulatorOptions()
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      var name = argument
      var inlineValue: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      func take() throws(UsageError) -> String {
        if let inlineValue { return inlineValue }
        index += 1
        guard index < arguments.count else {
          throw UsageError(message: "\(name) needs a value\n\n\(simulatorUsage)")
        }
        return arguments[index]
      }
      switch name {
      case "-h", "--help": return .help(simulatorUsage)
      case "--port":
        let text = try take()
        guard let port = Int(text), (0...65535).contains(port) else {
          throw UsageError(message: "--port takes a number from 0 to 65535, not \(text)")
        }
        options.port = port
      case "--catalog": options.catalogPath = try take()
      case "--data": options.dataFolder = try take()
      case "--frontend": options.frontendFolder = try take()
      case "--previews": options.previews = true
      case "--comfyui":
        let text = try take()
        guard let version = SimulatedVersion(option: text) else {
          throw UsageError(message: "--comfyui takes 0.3.64 or 0.33 for the simulator, not \(text)")
        }
        options.comfyUI = version
      case "--step-delay":
        let text = try take()
        guard let ms = Int(text), ms >= 0 else {
          throw UsageError(message: "--step-delay takes milliseconds, not \(text)")
        }
        options.stepDelayMilliseconds = ms
      default:
        throw UsageError(message: "unknown option \(argument) for comfysh sim\n\n\(simulatorUsage)")
      }
      index += 1
    }
    return .simulator(options)
  }
}
