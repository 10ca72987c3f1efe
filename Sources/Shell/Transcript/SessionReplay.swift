import Workflow

/// `comfysh render --replay`: runs a recorded session again, as `--update` would but into a copy,
/// keeping the files its prompts write in a folder of the caller's; the page then shows what the
/// commands print and make now (like `jupyter nbconvert --execute`).
@MainActor
enum SessionReplay {
  /// The session's text with fresh outputs and `#@ output` lines pointing into `keptFolder`'s parent.
  static func run(
    _ transcript: Transcript, sessionPath: String, keptFolder: String, interpreter: Interpreter
  ) async -> String {
    let session = interpreter.session
    let console = session.console
    interpreter.sourceName = nil
    interpreter.keepGoing = true
    session.baseFolder = FileIO.parentFolder(of: sessionPath)
    let keeper = OutputKeeper(
      folder: keptFolder, baseFolder: FileIO.parentFolder(of: keptFolder), server: session.server)
    var outputs: [[String]] = []
    var annotations: [[String]] = []
    for entry in transcript.entries {
      if session.quitRequested { break }
      console.muted = true
      console.beginCapture()
      await interpreter.run([entry.statement])
      let output = console.endCapture()
      console.muted = false
      outputs.append(output)
      annotations.append(await keeper.keepFinishedOutputs(of: session))
    }
    console.flush()
    return transcript.rewritten(with: outputs, annotations: annotations)
  }
}
