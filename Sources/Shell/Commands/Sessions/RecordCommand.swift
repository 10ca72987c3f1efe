import Workflow

struct RecordCommand: Command {
  static let name = "record"
  static let group = CommandGroup.sessions
  static let usage = "record FILE [--keep-outputs] | record stop"
  static let summary =
    "Record the session: each command and its output (#> lines) is appended to FILE as it finishes; --keep-outputs also downloads the files finished prompts wrote into a folder beside it (session.comfy → session.outputs/) and notes each with a `#@ output` line, so `comfysh render` needs no server; `record stop` ends it."
  static let example = "record session.comfy"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let keepOutputs = arguments.flag("--keep-outputs")
    try arguments.expect(0...1)
    if arguments.isEmpty {
      if let recorder = session.recorder {
        session.console.result(
          "recording to \(recorder.path)", json: ["type": "recording", "file": .string(recorder.path)])
      } else {
        session.console.result(
          "not recording; `record FILE` starts", json: ["type": "recording", "file": .null])
      }
      return
    }
    if arguments[0].kind == .bare && arguments[0].text == "stop" {
      if keepOutputs { throw ShellError("--keep-outputs goes with `record FILE`, not with `record stop`") }
      guard let recorder = session.recorder else {
        throw ShellError("not recording; `record FILE` starts a recording")
      }
      recorder.close()
      session.recorder = nil
      session.console.result(
        "stopped recording to \(recorder.path)",
        json: ["type": "recording_stopped", "file": .string(recorder.path)])
      return
    }
    if let current = session.recorder {
      throw ShellError("already recording to \(current.path); `record stop` first")
    }
    let path = session.resolvePath(arguments[0].text)
    let recorder = try session.startRecording(to: path, keepOutputs: keepOutputs)
    session.recorder = recorder
    var text = "recording to \(arguments[0].text)"
    if let keeper = recorder.outputKeeper {
      text += " · outputs kept in \(FileIO.baseName(of: keeper.folder))/"
    }
    session.console.result(
      text,
      json: [
        "type": "recording", "file": .string(path),
        "outputs": recorder.outputKeeper.map { JSONValue.string($0.folder) } ?? JSONValue.null,
      ])
  }
}

extension Session {
  /// Opens a recording that keeps this session's secrets out of the file (and with `keepOutputs`,
  /// the files of its prompts in the folder beside it).
  func startRecording(to path: String, keepOutputs: Bool = false) throws -> Recorder {
    let recorder = try Recorder(
      path: path, secrets: { [weak self] in MainActor.assumeIsolated { self?.secrets ?? [] } })
    if keepOutputs {
      recorder.outputKeeper = OutputKeeper(
        folder: OutputKeeper.folder(besideRecording: path), baseFolder: FileIO.parentFolder(of: path),
        server: server)
    }
    return recorder
  }
}
