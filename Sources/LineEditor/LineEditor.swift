/// The completer's answer for the text before the cursor.
public struct Completion: Sendable, Equatable {
  /// Character offset into the text before the cursor where the word being completed starts.
  public var start: Int
  /// Full replacement words for `textBeforeCursor[start...]`; e.g. for "set 11.pr": start 4,
  /// ["11.prompt", "11.prompt_upsampling"]. Quoting is the completer's job. Listed in the order
  /// given.
  public var candidates: [String]
  /// Whether a unique candidate is followed by a space; false for a word that goes on
  /// (`11.` before an input name, `11:` before a slot). A candidate ending in `/` never gets one.
  public var appendSpace: Bool

  public init(start: Int, candidates: [String], appendSpace: Bool = true) {
    self.start = start
    self.candidates = candidates
    self.appendSpace = appendSpace
  }
}

public enum ReadResult: Sendable, Equatable {
  case line(String)
  /// Ctrl-D on an empty line, end of input, or the editor was closed.
  case endOfFile
}

/// An interactive line editor on libedit (emacs keys, history with Up/Down and Ctrl-R, Tab
/// completion, Ctrl-C cancels the line) whose output from other threads appears above the
/// prompt without garbling the line being typed.
///
/// libedit runs on a thread of its own, so `readLine` never blocks the Swift concurrency pool.
/// Use one editor per process, only when stdin and stdout are a terminal. While it exists it
/// owns SIGINT (Ctrl-C never ends the process: see `interrupts`) and SIGWINCH.
public final class LineEditor: Sendable {
  private let core: EditorCore

  /// Sets up the terminal, loads `historyFile` (nil: no history persistence; folders are
  /// created with mode 0700, the file with 0600) and starts the editor thread.
  /// `completer` is called on the editor thread with the text before the cursor and should
  /// answer quickly.
  public init(historyFile: String?, completer: @escaping @Sendable (_ textBeforeCursor: String) -> Completion)
  {
    core = EditorCore(historyFile: historyFile, completer: completer)
    core.start()
  }

  deinit {
    core.close()
  }

  /// Shows `prompt` and lets the user edit a line. Ctrl-C cancels the line and starts a fresh
  /// one; Ctrl-D on an empty line returns `.endOfFile`. Calls made while a line is being read
  /// wait their turn. If the calling task is cancelled, the line ends and `.endOfFile` is
  /// returned. Mark colour sequences in `prompt` with `nonPrinting(_:)`.
  public func readLine(prompt: String) async -> ReadResult {
    let id = core.makeRequestID()
    return await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        core.submit(id: id, prompt: prompt, continuation: continuation)
      }
    } onCancel: {
      core.cancelRead(id: id)
    }
  }

  /// Adds `line` to the history (Up, Ctrl-R) and appends it to the history file at once.
  /// Blank lines and repeats of the previous entry are skipped.
  public func addHistory(_ line: String) {
    core.addHistory(line)
  }

  /// Prints `text` (a line break is added if missing) from any thread. While a line is being
  /// edited the text appears above the prompt and the half-typed line is redrawn below it, so
  /// progress and server events can be shown while the user types; otherwise it is simply
  /// written to stdout. Many calls per second are fine: pending texts are drawn together.
  public func printAbove(_ text: String) {
    core.printAbove(text)
  }

  /// Ctrl-C presses that happen while no line is being read (e.g. during a long-running
  /// command), so the shell can cancel that command. Each access returns a new stream that
  /// gets the presses from then on (the newest one is kept until it is read), until it is
  /// dropped, its task is cancelled, or the editor is closed.
  public var interrupts: AsyncStream<Void> {
    core.subscribeToInterrupts()
  }

  /// Ends editing: a line being read returns `.endOfFile`, the terminal settings and signal
  /// handlers are restored, and the history file is trimmed to the newest 1000 entries.
  /// Waits for the editor thread; idempotent. The terminal is also restored if the process
  /// exits or gets SIGTERM/SIGHUP without calling this.
  public func close() {
    core.close()
  }

  /// Marks a non-printing `sequence` (such as an ANSI colour) for use in a prompt, so it does
  /// not count towards the prompt's width: `"\u{1}" + sequence + "\u{1}"`. libedit sends the
  /// sequence together with the character that follows it, so at least one printable
  /// character must follow; a marked sequence at the very end of a prompt is dropped.
  public static func nonPrinting(_ sequence: String) -> String {
    "\u{1}" + sequence + "\u{1}"
  }
}
