import Workflow

struct RecordCommand: Command {
  static let name = "record"
  static let group = CommandGroup.sessions
  static let usage = "record FILE | record stop"
  static let summary =
    "Record the session: each command and its output (#> lines) is appended to FILE as it finishes; `record stop` ends it."
  static let example = "record session.comfy"
  static let arguments: [ArgumentKind] = [.path]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
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
    session.recorder = try session.startRecording(to: path)
    session.console.result(
      "recording to \(arguments[0].text)", json: ["type": "recording", "file": .string(path)])
  }
}

extension Session {
  /// Opens a recording that keeps this session's secrets out of the file.
  func startRecording(to path: String) throws -> Recorder {
    try Recorder(path: path, secrets: { [weak self] in MainActor.assumeIsolated { self?.secrets ?? [] } })
  }
}
