import Workflow

#if canImport(Glibc)
import Glibc
#endif

struct ExportCommand: Command {
  static let name = "export"
  static let group = CommandGroup.teaching
  static let usage = "export python|curl|js [FILE] [--front] [-f]"
  static let summary =
    "Write a runnable program (Python with websocket-client, POSIX sh with curl, or a Node 20 module) that does what run + watch + download would do for this workflow on this server; it reads the key from $COMFY_API_KEY, never from the file. --front queues it first, as `run --front`; -f replaces an existing FILE."
  static let example = "export python flux_run.py"
  static let arguments: [ArgumentKind] = [.word(ExportLanguage.allCases.map(\.rawValue)), .path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let force = arguments.flag("-f", "--force")
    let front = arguments.flag("--front")
    try arguments.expect(1...2)
    let languageWord = arguments[0].text
    guard let language = ExportLanguage(rawValue: languageWord.lowercased()) else {
      throw ShellError(
        "export writes python, curl or js, not \(languageWord); e.g. `export python \(ExportLanguage.python.suggestedFile)`"
      )
    }
    guard !session.workflow.isEmpty else {
      throw ShellError(
        "the workflow is empty: `load FILE` or `add CLASS` first, then `export \(language.rawValue)`")
    }
    let target =
      arguments.count == 2 ? (shown: arguments[1].text, path: session.resolvePath(arguments[1].text)) : nil
    if let target { try checkWritable(target.path, shown: target.shown, language: language, force: force) }

    let export = try await exportedPrompt(in: session, front: front)
    let program = ExportPrograms.program(language, for: export, file: target?.shown)
    guard let target else {
      session.console.result(
        program,
        json: ["type": "export", "language": .string(language.rawValue), "program": .string(program)])
      return
    }
    do {
      try FileIO.writeAtomically(target.path, text: program, mode: language == .js ? 0o644 : 0o755)
    } catch {
      throw ShellError(
        "cannot write \(target.shown): \(error.reason); give another path: export \(language.rawValue) FILE")
    }
    // A replaced file keeps its mode in writeAtomically; a script must stay runnable.
    if language != .js { _ = chmod(target.path, 0o755) }
    var lines = [
      "wrote \(target.shown): a \(language.rawValue) program for \(export.server) · \(Render.plural(session.workflow.count, "node"))",
      "run it: \(language.runLine(target.shown))",
    ]
    if !export.paidNodes.isEmpty {
      lines.append(
        "it needs COMFY_API_KEY in its environment (paid API nodes: \(export.paidNodes.joined(separator: ", ")))"
      )
    }
    if language == .js && !target.shown.hasSuffix(".mjs") {
      lines.append("(it is an ES module: Node runs it as one when the name ends in .mjs)")
    }
    session.console.result(
      lines: lines,
      json: ["type": "export", "language": .string(language.rawValue), "path": .string(target.shown)])
  }

  /// Refuses a folder, a special file, and an existing file without -f, as `save` does.
  static func checkWritable(_ path: String, shown: String, language: ExportLanguage, force: Bool) throws {
    if FileIO.isFolder(path) {
      throw ShellError(
        "\(shown) is a folder; give a file name, e.g. export \(language.rawValue) \(shown)/\(language.suggestedFile)"
      )
    }
    if case .other(let what) = FileIO.kind(of: path) {
      throw ShellError("\(shown) is \(what), not a regular file; export writes only regular files")
    }
    if FileIO.exists(path) && !force {
      throw ShellError("\(shown) already exists; `export \(language.rawValue) \(shown) -f` replaces it")
    }
  }

  /// The POST /prompt body `run` would send now, without the client id and the key, and what the
  /// program's header says about it.
  static func exportedPrompt(in session: Session, front: Bool) async throws -> ExportedPrompt {
    let (prompt, changes, warnings) = await session.workflowWithSeedPolicies()
    for warning in warnings { session.console.warning(warning) }
    var body = try session.promptBody(for: prompt, front: front)
    var extra = body["extra_data"]?.objectValue ?? [:]
    extra.removeValue(forKey: "api_key_comfy_org")
    body["extra_data"] = .object(extra)
    body.removeValue(forKey: "client_id")
    // A key pasted into an input would otherwise be written out; payload masks the same things.
    let masked = session.masked(.object(body))
    if masked != .object(body) {
      session.console.warning("an input holds what looks like an API key; the program has it masked")
    }
    _ = await session.catalog.load()
    let paid = prompt.nodes.values.filter { session.catalog.isPaid($0) }.map {
      "\(NodeRef.id($0.id)) (\($0.classType ?? "?"))"
    }
    let notes = changes.map { change in
      "Seed: \(change.policy.address) is fixed at \(Render.value(change.new)) in this program (comfysh's seed policy \(change.policy.mode.rawValue) chose it at export)."
    }
    return ExportedPrompt(
      prompt: masked["prompt"] ?? prompt.json, extraData: masked["extra_data"]?.objectValue ?? [:],
      front: front,
      server: session.server.address.description, paidNodes: paid, notes: notes)
  }
}
