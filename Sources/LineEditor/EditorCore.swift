import CLibEdit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The editor's state and its thread. libedit is not thread-safe and `el_wgets` blocks, so one
/// dedicated thread owns every libedit object; other threads only queue work under `shared`
/// and wake the thread through the self-pipe.
///
/// `@unchecked Sendable`: the libedit fields below `shared` are touched only by the editor
/// thread (and by `init` before that thread starts).
final class EditorCore: @unchecked Sendable {
  /// Marks non-printing prompt sequences (see `LineEditor.nonPrinting`).
  static let promptMarker: Unicode.Scalar = "\u{1}"
  static let historySize = 1000

  let completer: @Sendable (String) -> Completion
  let historyPath: String?

  // MARK: Editor-thread state

  private var editLine: OpaquePointer?
  private var history: OpaquePointer?
  private var promptStorage: UnsafeMutablePointer<wchar_t>
  private var promptPieces: [PromptPiece] = []
  private var decoder = UTF8InputDecoder()
  private var inputBuffer = [UInt8](repeating: 0, count: 4096)
  private var pendingControlC = false
  private var lineInterrupted = false
  /// The line being read must end now (editor closing, or its task was cancelled).
  private var abandonLine = false
  private var previousSignalActions: [(Int32, sigaction)] = []
  private let wakeReadFD: Int32

  // MARK: Shared state

  enum Phase: Sendable { case idle, reading, closed }

  struct ReadRequest: Sendable {
    var id: UInt64
    var prompt: String
    var continuation: CheckedContinuation<ReadResult, Never>
  }

  struct Shared: Sendable {
    var phase = Phase.idle
    var closeRequested = false
    var requests: [ReadRequest] = []
    var nextRequestID: UInt64 = 0
    /// The request whose line is being edited.
    var currentRequestID: UInt64?
    /// Requests whose tasks were cancelled (possibly before they were submitted).
    var cancelledRequestIDs: Set<UInt64> = []
    var pendingOutput: [String] = []
    var pendingHistory: [String] = []
    var lastHistoryEntry: String?
    var interruptSubscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
    var nextSubscriberID: UInt64 = 0
    var thread: pthread_t?
  }

  let shared = Mutex(Shared())

  init(historyFile: String?, completer: @escaping @Sendable (String) -> Completion) {
    self.completer = completer
    self.historyPath = historyFile
    promptStorage = .allocate(capacity: 1)
    promptStorage.initialize(to: 0)
    wakeReadFD = Terminal.openWakePipe() ?? -1
    _ = Terminal.drainWakePipe()

    Terminal.ensureUTF8CharacterLocale()
    Terminal.saveSettingsForExit(fd: STDIN_FILENO)
    installSignalHandlers()
    setUpLibedit()
  }

  deinit {
    promptStorage.deallocate()
  }

  // MARK: Set-up and tear-down

  private func installSignalHandlers() {
    if let old = installSignalHandler(SIGINT, lineEditorSIGINT) {
      previousSignalActions.append((SIGINT, old))
    }
    if let old = installSignalHandler(SIGWINCH, lineEditorSIGWINCH) {
      previousSignalActions.append((SIGWINCH, old))
    }
    if let old = installSignalHandler(SIGCONT, lineEditorSIGCONT) {
      previousSignalActions.append((SIGCONT, old))
    }
    for signal in [SIGTERM, SIGHUP] {
      if let old = installSignalHandler(signal, lineEditorFatalSignal, onlyIfDefault: true) {
        previousSignalActions.append((signal, old))
      }
    }
  }

  private func setUpLibedit() {
    guard let input = fdopen(STDIN_FILENO, "r"), let output = fdopen(STDOUT_FILENO, "w"),
      let errors = fdopen(STDERR_FILENO, "w"), let el = el_init("comfysh", input, output, errors)
    else { return }
    editLine = el
    le_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
    le_set_editor(el, "emacs")
    le_set_signal(el, 0)
    le_set_getcfn(el, lineEditorReadCharacter)
    le_set_prompt(el, lineEditorPrompt, wchar_t(bitPattern: Self.promptMarker.value))
    le_add_function(el, "comfysh-complete", "Complete the word before the cursor", lineEditorComplete)
    le_add_function(el, "comfysh-interrupt", "Cancel the line being edited", lineEditorInterrupt)
    let bindings: [(String, String)] = [
      ("^I", "comfysh-complete"),
      ("^C", "comfysh-interrupt"),
      ("^R", "em-inc-search-prev"),
      ("^W", "ed-delete-prev-word"),
      ("\u{1B}[1;5C", "em-next-word"),
      ("\u{1B}[1;5D", "ed-prev-word"),
      ("\u{1B}[3~", "ed-delete-next-char"),
      ("\u{1B}[H", "ed-move-to-beg"),
      ("\u{1B}[1~", "ed-move-to-beg"),
      ("\u{1B}OH", "ed-move-to-beg"),
      ("\u{1B}[F", "ed-move-to-end"),
      ("\u{1B}[4~", "ed-move-to-end"),
      ("\u{1B}OF", "ed-move-to-end"),
    ]
    for (keys, command) in bindings { le_bind(el, keys, command) }

    guard let history = history_winit() else { return }
    self.history = history
    le_history_set_size(history, Int32(Self.historySize))
    le_history_set_unique(history, 1)
    if let historyPath {
      HistoryFile.prepare(path: historyPath)
      let entries = HistoryFile.trimmed(HistoryFile.load(path: historyPath), limit: Self.historySize)
      for entry in entries { enterHistory(entry) }
      shared.withLock { $0.lastHistoryEntry = entries.last }
    }
    le_set_history(el, history)
  }

  func start() {
    let context = Unmanaged.passRetained(self).toOpaque()
    var thread = pthread_t()
    #if canImport(Glibc)
    let status = pthread_create(&thread, nil, lineEditorThreadMain, context)
    #else
    var optionalThread: pthread_t?
    let status = pthread_create(&optionalThread, nil, lineEditorThreadMain, context)
    if let optionalThread { thread = optionalThread }
    #endif
    if status != 0 {
      Unmanaged<EditorCore>.fromOpaque(context).release()
      tearDown()
      return
    }
    shared.withLock { $0.thread = thread }
  }

  /// Ends the editor thread (after the line being read, which then reads as end of file) and
  /// waits for it, unless called on that thread. Idempotent.
  func close() {
    let (first, thread) = shared.withLock { state -> (Bool, pthread_t?) in
      let first = !state.closeRequested && state.phase != .closed
      state.closeRequested = true
      return (first, state.thread)
    }
    guard first else { return }
    Terminal.wake(.work)
    guard let thread else { return }
    if pthread_equal(thread, pthread_self()) != 0 {
      pthread_detach(thread)
    } else {
      pthread_join(thread, nil)
    }
  }

  /// Runs on the editor thread when it ends (or in `start` if it never began).
  private func tearDown() {
    if let editLine { el_end(editLine) }
    if let history { history_wend(history) }
    editLine = nil
    history = nil
    for (signal, action) in previousSignalActions.reversed() { restoreSignalHandler(signal, action) }
    previousSignalActions = []
    let (requests, output, subscribers) = shared.withLock { state in
      state.phase = .closed
      defer {
        state.requests = []
        state.pendingOutput = []
        state.interruptSubscribers = [:]
      }
      return (state.requests, state.pendingOutput, Array(state.interruptSubscribers.values))
    }
    if !output.isEmpty { Terminal.output(output.joined()) }
    for request in requests { request.continuation.resume(returning: .endOfFile) }
    for subscriber in subscribers { subscriber.finish() }
    if let historyPath { HistoryFile.compact(path: historyPath, limit: Self.historySize) }
  }

  // MARK: The editor thread

  private enum Work {
    case read(ReadRequest)
    case wait
    case close
  }

  func run() {
    while true {
      let (work, entries) = shared.withLock { state -> (Work, [String]) in
        let entries = state.pendingHistory
        state.pendingHistory = []
        if state.closeRequested { return (.close, entries) }
        if !state.requests.isEmpty {
          let request = state.requests.removeFirst()
          state.phase = .reading
          state.currentRequestID = request.id
          return (.read(request), entries)
        }
        return (.wait, entries)
      }
      for entry in entries { enterHistory(entry) }
      switch work {
      case .close:
        tearDown()
        return
      case .read(let request):
        let result = readLine(prompt: request.prompt)
        let output = shared.withLock { state in
          state.phase = .idle
          state.currentRequestID = nil
          state.cancelledRequestIDs.remove(request.id)
          defer { state.pendingOutput = [] }
          return state.pendingOutput
        }
        if !output.isEmpty { Terminal.output(output.joined()) }
        request.continuation.resume(returning: result)
      case .wait:
        waitWhileIdle()
      }
    }
  }

  /// Sleeps until the wake-up pipe has something; Ctrl-C now belongs to `interrupts`.
  private func waitWhileIdle() {
    var descriptor = pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0)
    let status = poll(&descriptor, 1, -1)
    guard status > 0 || errno == EINTR else {
      usleep(10_000)  // Should not happen; avoid spinning if the pipe is broken.
      return
    }
    for byte in Terminal.drainWakePipe() {
      switch Terminal.Wake(rawValue: byte) {
      case .interrupt:
        let subscribers = shared.withLock { Array($0.interruptSubscribers.values) }
        for subscriber in subscribers { subscriber.yield() }
      case .resize:
        if let editLine { el_resize(editLine) }
      case .resume, .work, nil:
        break
      }
    }
  }

  private func readLine(prompt: String) -> ReadResult {
    setPrompt(prompt)
    guard let editLine else { return readLineWithoutEditing(prompt: prompt) }
    while true {
      lineInterrupted = false
      abandonLine = false
      var count: Int32 = 0
      let line = el_wgets(editLine, &count)
      if abandonLine {
        Terminal.output("\r\n")
        return .endOfFile
      }
      if lineInterrupted { continue }
      guard let line, count > 0 else {
        Terminal.output("\r\n")
        return .endOfFile
      }
      var text = String.UnicodeScalarView()
      for index in 0..<Int(count) {
        if let scalar = Unicode.Scalar(UInt32(bitPattern: line[index])) { text.append(scalar) }
      }
      if text.last == "\n" { text.removeLast() }
      return .line(String(text))
    }
  }

  /// Used only if libedit could not start: the prompt and a plain line from stdin.
  private func readLineWithoutEditing(prompt: String) -> ReadResult {
    var visible = ""
    for piece in promptPieces {
      switch piece {
      case .character(let scalar): visible.unicodeScalars.append(scalar)
      case .literal(let sequence, let scalar):
        visible.unicodeScalars.append(contentsOf: sequence)
        visible.unicodeScalars.append(scalar)
      }
    }
    Terminal.output(visible)
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      let count = read(STDIN_FILENO, &byte, 1)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else {
        return bytes.isEmpty ? .endOfFile : .line(String(decoding: bytes, as: UTF8.self))
      }
      if byte == 0x0A { return .line(String(decoding: bytes, as: UTF8.self)) }
      bytes.append(byte)
    }
  }

  private func setPrompt(_ prompt: String) {
    promptPieces = EditLayout.parsePrompt(prompt, marker: Self.promptMarker)
    let scalars = Array(prompt.unicodeScalars)
    promptStorage.deallocate()
    promptStorage = .allocate(capacity: scalars.count + 1)
    for (index, scalar) in scalars.enumerated() {
      (promptStorage + index).initialize(to: wchar_t(bitPattern: scalar.value))
    }
    (promptStorage + scalars.count).initialize(to: 0)
  }

  var prompt: UnsafeMutablePointer<wchar_t> { promptStorage }

  private func enterHistory(_ entry: String) {
    guard let history else { return }
    var wide = entry.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
    wide.append(0)
    wide.withUnsafeBufferPointer { buffer in
      if let base = buffer.baseAddress { _ = le_history_enter(history, base) }
    }
  }

  // MARK: Called by libedit on the editor thread

  /// The EL_GETCFN reader: waits for stdin and for the wake-up pipe at once, so Ctrl-C, output
  /// from other threads and close requests are handled while the user is typing.
  func readCharacter(into character: UnsafeMutablePointer<wchar_t>) -> Int32 {
    while true {
      if pendingControlC {
        pendingControlC = false
        character.pointee = 3
        return 1
      }
      if let scalar = decoder.next() {
        character.pointee = wchar_t(bitPattern: scalar.value)
        return 1
      }
      var descriptors = [
        pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0),
        pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
      ]
      let status = poll(&descriptors, 2, -1)
      if status < 0 {
        if errno == EINTR { continue }
        return -1
      }
      // Both are served in one round, so a flood of output cannot starve the keyboard.
      if descriptors[0].revents != 0 && handleWakeWhileReading() {
        abandonLine = true
        return 0
      }
      let events = descriptors[1].revents
      if events & Int16(POLLIN) != 0 {
        let count = inputBuffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0 {
          if errno == EINTR || errno == EAGAIN { continue }
          return -1
        }
        if count == 0 { return 0 }
        decoder.feed(inputBuffer[0..<count])
      } else if events & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
        return 0
      }
    }
  }

  /// Returns true when the line must end: the editor is closing or the reader was cancelled.
  private func handleWakeWhileReading() -> Bool {
    for byte in Terminal.drainWakePipe() {
      switch Terminal.Wake(rawValue: byte) {
      case .interrupt:
        decoder.reset()
        pendingControlC = true
      case .resize:
        if let editLine { el_resize(editLine) }
      case .resume:
        resumeAfterStop()
      case .work, nil:
        break
      }
    }
    let (output, entries, closing) = shared.withLock { state in
      defer {
        state.pendingOutput = []
        state.pendingHistory = []
      }
      let cancelled = state.currentRequestID.map { state.cancelledRequestIDs.contains($0) } ?? false
      return (state.pendingOutput, state.pendingHistory, state.closeRequested || cancelled)
    }
    for entry in entries { enterHistory(entry) }
    if !output.isEmpty { printAboveLine(output.joined()) }
    return closing
  }

  /// After Ctrl-Z and `fg` the terminal is back in the mode the job-control shell left it in,
  /// and the shell has written below the line: set editing mode again and redraw the prompt and
  /// line on the current row.
  private func resumeAfterStop() {
    guard let editLine else { return }
    le_prepare_terminal(editLine, 0)
    le_prepare_terminal(editLine, 1)
    Terminal.output("\r")
    le_refresh(editLine)
  }

  /// Erases prompt and line, prints `text` (already CR LF terminated) where they were, and has
  /// libedit draw them again below it with the cursor where it was.
  private func printAboveLine(_ text: String) {
    guard let editLine else { return }
    let layout = currentLayout()
    Terminal.output(TerminalMoves.eraseEditArea(cursorRow: layout.cursor.row) + text)
    le_refresh(editLine)
  }

  /// Prompt and line as libedit has drawn them.
  private func currentLayout() -> EditLayout {
    let (buffer, cursorIndex) = currentLine()
    let columns = editLine.map { Int(le_get_numeric_capability($0, "co")) } ?? 0
    let rows = editLine.map { Int(le_get_numeric_capability($0, "li")) } ?? 0
    return EditLayout.compute(
      prompt: promptPieces, buffer: buffer, cursorIndex: cursorIndex,
      columns: columns > 0 ? columns : (Terminal.columns() ?? 80), rows: rows > 0 ? rows : .max,
      width: Terminal.libcWidth)
  }

  /// The line's characters and the cursor's index among them.
  private func currentLine() -> ([Unicode.Scalar], Int) {
    guard let editLine, let info = el_wline(editLine), let start = info.pointee.buffer,
      let end = info.pointee.lastchar, let cursor = info.pointee.cursor
    else { return ([], 0) }
    var scalars: [Unicode.Scalar] = []
    var pointer = start
    while pointer < end {
      scalars.append(Unicode.Scalar(UInt32(bitPattern: pointer.pointee)) ?? "\u{FFFD}")
      pointer += 1
    }
    return (scalars, max(0, min(scalars.count, cursor - start)))
  }

  /// Tab: ask the completer about the text before the cursor and apply its answer.
  func complete() -> UInt8 {
    guard let editLine else { return UInt8(CC_ERROR) }
    let (buffer, cursorIndex) = currentLine()
    var before = String.UnicodeScalarView()
    before.append(contentsOf: buffer[0..<cursorIndex])
    let textBeforeCursor = String(before)
    switch CompletionPlanner.plan(textBeforeCursor: textBeforeCursor, completion: completer(textBeforeCursor))
    {
    case .none:
      return UInt8(CC_REFRESH_BEEP)
    case .replace(let count, let text):
      if count > 0 { el_deletestr(editLine, Int32(count)) }
      var wide = text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
      wide.append(0)
      let status = wide.withUnsafeBufferPointer { buffer -> Int32 in
        guard let base = buffer.baseAddress else { return -1 }
        return el_winsertstr(editLine, base)
      }
      return UInt8(status == 0 ? CC_REFRESH : CC_REFRESH_BEEP)
    case .list(let candidates):
      let layout = currentLayout()
      let columns = Int(le_get_numeric_capability(editLine, "co"))
      let lines = CompletionPlanner.columns(candidates, width: columns > 0 ? columns : 80)
      Terminal.output(TerminalMoves.moveBelowEditArea(layout) + lines.map { $0 + "\r\n" }.joined())
      le_refresh(editLine)
      return UInt8(CC_NORM)
    }
  }

  /// Ctrl-C: leave the line on screen followed by ^C and start over with an empty one.
  func interrupt() -> UInt8 {
    lineInterrupted = true
    let layout = currentLayout()
    Terminal.output(TerminalMoves.moveToEnd(layout) + "^C\r\n")
    return UInt8(CC_NEWLINE)
  }

  // MARK: Public operations (any thread)

  func makeRequestID() -> UInt64 {
    shared.withLock { state in
      defer { state.nextRequestID += 1 }
      return state.nextRequestID
    }
  }

  func submit(id: UInt64, prompt: String, continuation: CheckedContinuation<ReadResult, Never>) {
    let accepted = shared.withLock { state -> Bool in
      guard !state.closeRequested, state.phase != .closed, state.cancelledRequestIDs.remove(id) == nil
      else { return false }
      state.requests.append(ReadRequest(id: id, prompt: prompt, continuation: continuation))
      return true
    }
    if accepted {
      Terminal.wake(.work)
    } else {
      continuation.resume(returning: .endOfFile)
    }
  }

  /// The task waiting for request `id` was cancelled: drop it if queued, end the line if it
  /// is being edited, or remember it if it was not submitted yet.
  func cancelRead(id: UInt64) {
    let (queued, editing) = shared.withLock { state -> (ReadRequest?, Bool) in
      if let index = state.requests.firstIndex(where: { $0.id == id }) {
        return (state.requests.remove(at: index), false)
      }
      state.cancelledRequestIDs.insert(id)
      return (nil, state.currentRequestID == id)
    }
    queued?.continuation.resume(returning: .endOfFile)
    if editing { Terminal.wake(.work) }
  }

  func printAbove(_ text: String) {
    let lines = TerminalMoves.lines(text)
    let queued = shared.withLock { state -> Bool in
      guard state.phase == .reading else {
        // Written under the lock so it cannot interleave with the editor starting a line.
        Terminal.output(lines)
        return false
      }
      state.pendingOutput.append(lines)
      return true
    }
    if queued { Terminal.wake(.work) }
  }

  func addHistory(_ line: String) {
    guard line.contains(where: { !$0.isWhitespace }) else { return }
    let added = shared.withLock { state -> Bool in
      guard state.lastHistoryEntry != line, state.phase != .closed else { return false }
      state.lastHistoryEntry = line
      state.pendingHistory.append(line)
      if let historyPath { HistoryFile.append(line, path: historyPath) }
      return true
    }
    if added { Terminal.wake(.work) }
  }

  func subscribeToInterrupts() -> AsyncStream<Void> {
    let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    let id = shared.withLock { state -> UInt64? in
      guard state.phase != .closed else { return nil }
      let id = state.nextSubscriberID
      state.nextSubscriberID += 1
      state.interruptSubscribers[id] = continuation
      return id
    }
    guard let id else {
      continuation.finish()
      return stream
    }
    continuation.onTermination = { [weak self] _ in
      _ = self?.shared.withLock { $0.interruptSubscribers.removeValue(forKey: id) }
    }
    return stream
  }
}

// MARK: - C callbacks (global functions: C function pointers must not capture anything)

private func editor(of editLine: OpaquePointer?) -> EditorCore? {
  guard let editLine, let data = le_get_clientdata(editLine) else { return nil }
  return Unmanaged<EditorCore>.fromOpaque(data).takeUnretainedValue()
}

func lineEditorReadCharacter(_ editLine: OpaquePointer?, _ character: UnsafeMutablePointer<wchar_t>?) -> Int32
{
  guard let core = editor(of: editLine), let character else { return -1 }
  return core.readCharacter(into: character)
}

func lineEditorPrompt(_ editLine: OpaquePointer?) -> UnsafeMutablePointer<wchar_t>? {
  editor(of: editLine)?.prompt
}

func lineEditorComplete(_ editLine: OpaquePointer?, _ key: Int32) -> UInt8 {
  editor(of: editLine)?.complete() ?? UInt8(CC_ERROR)
}

func lineEditorInterrupt(_ editLine: OpaquePointer?, _ key: Int32) -> UInt8 {
  editor(of: editLine)?.interrupt() ?? UInt8(CC_ERROR)
}

#if canImport(Glibc)
func lineEditorThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
  guard let context else { return nil }
  Unmanaged<EditorCore>.fromOpaque(context).takeRetainedValue().run()
  return nil
}
#else
func lineEditorThreadMain(_ context: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
  Unmanaged<EditorCore>.fromOpaque(context).takeRetainedValue().run()
  return nil
}
#endif
