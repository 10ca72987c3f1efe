import ComfyClient
import Workflow

struct DownloadCommand: Command {
  static let name = "download"
  static let group = CommandGroup.server
  static let usage = "download [DIR] [--prompt ID | --all] [--previews]"
  static let summary =
    "Save the files of the last prompt (or --prompt ID, or with --all every prompt this session ran, each from the server or pool member it ran on) into DIR (default: the current folder), keeping subfolders and never overwriting: an existing name gets \" (1)\"; --previews saves the kept previews too."
  static let example = "download renders"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let promptText = try arguments.option("--prompt")
    let previews = arguments.flag("--previews")
    let all = arguments.flag("--all")
    try arguments.expect(0...1)
    let folder = session.resolvePath(arguments.isEmpty ? "." : arguments[0].text)
    if FileIO.exists(folder) && !FileIO.isFolder(folder) {
      throw ShellError("\(arguments[0].text) is a file; download needs a folder")
    }
    if all {
      guard promptText == nil else { throw ShellError("--all and --prompt exclude each other; give one") }
      try await downloadAll(into: folder, previews: previews, session: session)
      return
    }
    let id = try session.server.promptID(promptText, command: name)
    let result = try await PromptOutputs.find(id, session: session)
    if result.files.isEmpty && (!previews || result.previews.isEmpty) {
      throw ShellError(
        result.finished
          ? "prompt \(id) wrote no files" : "prompt \(id) has written no files yet (`watch` it first)")
    }
    var saved: [(from: String, to: String)] = []
    for item in result.files {
      let bytes = try await session.request { try await session.server.client(for: id).view(item.file) }
      let sub = safeSubfolder(item.file.subfolder)
      let target = try write(
        bytes, folder: sub.isEmpty ? folder : folder + "/" + sub, name: safeName(item.file.filename))
      saved.append((item.file.path, target))
    }
    if previews {
      for (index, preview) in result.previews.enumerated() {
        let name =
          "preview_\(id.prefix(8))_node\(preview.node ?? "x")_\(index + 1).\(preview.image.format.fileExtension)"
        let target = try write(preview.image.bytes, folder: folder, name: name)
        saved.append(("preview \(index + 1)", target))
      }
    }
    session.console.result(
      lines: saved.map { "saved \($0.from) → \(display($0.to, session: session))" },
      json: [
        "type": "download", "prompt_id": .string(id),
        "files": .array(saved.map { ["from": .string($0.from), "to": .string($0.to)] }),
      ])
  }

  /// `download DIR --all`: every prompt's files, each from where it ran; a prompt whose files cannot
  /// be had is a warning, and the others are still saved.
  static func downloadAll(into folder: String, previews: Bool, session: Session) async throws {
    let everything = try await PromptOutputs.everyPrompt(session)
    var lines: [String] = []
    var saved: [JSONValue] = []
    var missing = 0
    for prompt in everything {
      if let problem = prompt.problem, prompt.files.isEmpty {
        session.console.warning("prompt \(prompt.id) on \(prompt.server): \(problem)")
        missing += 1
      }
      for item in prompt.files {
        let bytes: [UInt8]
        do {
          bytes = try await session.request {
            try await session.server.client(for: prompt.id).view(item.file)
          }
        } catch {
          session.console.warning(
            "cannot fetch \(item.file.path) of prompt \(prompt.id) from \(prompt.server): \(ShellError.server(error, session: session).message)"
          )
          missing += 1
          continue
        }
        let sub = safeSubfolder(item.file.subfolder)
        let target = try write(
          bytes, folder: sub.isEmpty ? folder : folder + "/" + sub, name: safeName(item.file.filename))
        lines.append("saved \(item.file.path) (\(prompt.server)) → \(display(target, session: session))")
        saved.append([
          "prompt_id": .string(prompt.id), "server": .string(prompt.server), "from": .string(item.file.path),
          "to": .string(target),
        ])
      }
    }
    if previews {
      session.console.note(
        "--previews saves the previews of one prompt: `download DIR --prompt ID --previews`")
    }
    guard !saved.isEmpty else {
      throw ShellError(
        "none of the \(Render.plural(everything.count, "prompt")) of this session has a file to save")
    }
    lines.append(
      "\(Render.plural(saved.count, "file")) from \(Render.plural(everything.count, "prompt"))"
        + (missing > 0 ? "; \(missing) could not be had (warned above)" : ""))
    session.console.result(lines: lines, json: ["type": "download", "files": .array(saved)])
  }

  /// Writes a new file in `folder` (made if needed): `name`, else `name (1)`, `name (2)`… — never over one.
  static func write(_ bytes: [UInt8], folder: String, name: String) throws -> String {
    do {
      try FileIO.createFolder(folder)
    } catch {
      throw ShellError("cannot make the folder \(folder): \(error.reason)")
    }
    let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
    let stem = dot.map { String(name[..<$0]) } ?? name
    let ext = dot.map { String(name[$0...]) } ?? ""
    for attempt in 0..<10_000 {
      let candidate = folder + "/" + (attempt == 0 ? name : "\(stem) (\(attempt))\(ext)")
      if FileIO.exists(candidate) { continue }
      do {
        try NewFile.write(candidate, bytes)
        return candidate
      } catch .exists {
        continue
      } catch .other(let reason) {
        throw ShellError("cannot write \(candidate): \(reason)")
      }
    }
    throw ShellError("\(folder) already has 10000 files named like \(name); choose another folder")
  }

  /// Subfolders come from the server: keep them inside the target folder.
  static func safeSubfolder(_ subfolder: String) -> String {
    subfolder.split(separator: "/").filter { $0 != ".." && $0 != "." && !$0.isEmpty }.joined(separator: "/")
  }

  static func safeName(_ name: String) -> String {
    let base = FileIO.baseName(of: name)
    return base.isEmpty || base == ".." || base == "." ? "output" : base
  }

  static func display(_ path: String, session: Session) -> String {
    if let base = session.baseFolder, path.hasPrefix(base + "/") {
      return String(path.dropFirst(base.count + 1))
    }
    return path.hasPrefix("./") ? String(path.dropFirst(2)) : path
  }
}
