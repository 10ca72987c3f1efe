import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// The interactive shell at a terminal. (Temporary line reader until the libedit LineEditor lands.)
@MainActor
struct InteractiveLoop {
  let session: Session
  let interpreter: Interpreter
  let options: ShellOptions

  func run() async -> Int32 {
    while !session.quitRequested {
      TextSink.stdout.write(session.promptText)
      guard let line = await ShellRunner.readStandardInputLine() else { break }
      await interpreter.run(text: line)
    }
    return 0
  }
}
