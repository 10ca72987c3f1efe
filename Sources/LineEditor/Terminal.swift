import CLibEdit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide plumbing shared by signal handlers and the editor thread. Signal handlers may
/// only do async-signal-safe work, so they see plain file descriptors and pointers in atomics
/// and do nothing but write one byte to the wake-up pipe (or restore the terminal).
enum Terminal {
  /// Bytes sent through the wake-up pipe to the editor thread.
  enum Wake: UInt8 {
    /// SIGINT (Ctrl-C).
    case interrupt = 0x49
    /// SIGWINCH: the terminal changed size.
    case resize = 0x52
    /// SIGCONT: back in the foreground after Ctrl-Z; the terminal mode must be set again.
    case resume = 0x43
    /// Work queued by another thread: a line to read, output, history, close.
    case work = 0x57
  }

  /// The self-pipe: written by signal handlers and other threads, read only by the editor
  /// thread. Created once per process and never closed, so a late signal can never write
  /// into a descriptor number that was reused.
  static let wakeReadFD = Atomic<Int32>(-1)
  static let wakeWriteFD = Atomic<Int32>(-1)
  private static let pipeLock = Mutex(false)

  /// Terminal settings from before the editor started, restored on exit and on fatal signals
  /// in case the process ends while libedit has the terminal in raw mode.
  /// The address of the saved `termios` (0 = none); an integer because pointers are not Sendable.
  static let savedSettings = Atomic<Int>(0)
  private static let exitHookInstalled = Mutex(false)

  /// Opens the wake-up pipe on first use (both ends non-blocking: a full pipe already means
  /// "wake up", and a signal handler must never block). Returns the read end, or nil.
  static func openWakePipe() -> Int32? {
    pipeLock.withLock { opened -> Int32? in
      if opened { return wakeReadFD.load(ordering: .acquiring) }
      var fds: [Int32] = [-1, -1]
      guard pipe(&fds) == 0 else { return nil }
      for fd in fds {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      }
      wakeReadFD.store(fds[0], ordering: .releasing)
      wakeWriteFD.store(fds[1], ordering: .releasing)
      opened = true
      return fds[0]
    }
  }

  /// Async-signal-safe: one byte into the wake-up pipe; errno is left as it was.
  static func wake(_ reason: Wake) {
    let fd = wakeWriteFD.load(ordering: .acquiring)
    guard fd >= 0 else { return }
    let savedErrno = errno
    var byte = reason.rawValue
    _ = write(fd, &byte, 1)
    errno = savedErrno
  }

  /// Reads everything waiting in the wake-up pipe.
  static func drainWakePipe() -> [UInt8] {
    let fd = wakeReadFD.load(ordering: .acquiring)
    guard fd >= 0 else { return [] }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return result }
      result.append(contentsOf: buffer[0..<count])
    }
  }

  /// libedit displays and measures characters with the C library's multibyte functions, which
  /// follow LC_CTYPE. Only LC_CTYPE is set (from the environment) so number formatting stays
  /// "C"; when that is not UTF-8 (e.g. LANG and LC_ALL unset) a UTF-8 variant is chosen,
  /// because terminals send UTF-8 regardless.
  static func ensureUTF8CharacterLocale() {
    if setlocale(LC_CTYPE, "") != nil && isUTF8CharacterLocale() { return }
    for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8"] {
      if setlocale(LC_CTYPE, name) != nil && isUTF8CharacterLocale() { return }
    }
  }

  static func isUTF8CharacterLocale() -> Bool {
    guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
    let name = String(cString: codeset).lowercased()
    return name == "utf-8" || name == "utf8"
  }

  /// Remembers the terminal's settings (once) and arranges to restore them at exit.
  static func saveSettingsForExit(fd: Int32) {
    var settings = termios()
    guard tcgetattr(fd, &settings) == 0 else { return }
    if let existing = UnsafeMutablePointer<termios>(bitPattern: savedSettings.load(ordering: .acquiring)) {
      existing.pointee = settings
    } else {
      // Never freed: a handler may still be reading it.
      let storage = UnsafeMutablePointer<termios>.allocate(capacity: 1)
      storage.initialize(to: settings)
      savedSettings.store(Int(bitPattern: storage), ordering: .releasing)
    }
    exitHookInstalled.withLock { installed in
      guard !installed else { return }
      installed = true
      atexit(restoreSettingsAtExit)
    }
  }

  /// Async-signal-safe.
  static func restoreSettings() {
    guard let settings = UnsafeMutablePointer<termios>(bitPattern: savedSettings.load(ordering: .acquiring))
    else { return }
    _ = tcsetattr(STDIN_FILENO, TCSANOW, settings)
  }

  /// Writes all of `text` to the terminal, after whatever C stdio still buffers.
  static func output(_ text: String) {
    fflush(nil)
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let count = bytes.withUnsafeMutableBytes { buffer -> Int in
        guard let base = buffer.baseAddress else { return -1 }
        return write(STDOUT_FILENO, base + offset, buffer.count - offset)
      }
      if count < 0 && errno == EINTR { continue }
      if count < 0 && errno == EAGAIN {
        // Someone made the terminal non-blocking: wait until it takes more.
        var descriptor = pollfd(fd: STDOUT_FILENO, events: Int16(POLLOUT), revents: 0)
        _ = poll(&descriptor, 1, 1000)
        continue
      }
      guard count > 0 else { return }
      offset += count
    }
  }

  /// A character's columns according to the C library (in the current LC_CTYPE): libedit
  /// lays out the line with this, so the editor's own row arithmetic must too.
  static func libcWidth(_ scalar: Unicode.Scalar) -> Int {
    Int(le_wcwidth(wchar_t(bitPattern: scalar.value)))
  }

  /// The number of columns of the terminal on stdout, or nil if it is not a terminal.
  static func columns() -> Int? {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
  }
}

// MARK: - Signal handlers (C function pointers: global functions, capturing nothing)

/// SIGINT: Ctrl-C. The editor thread decides whether it cancels the line or goes to `interrupts`.
func lineEditorSIGINT(_ signal: Int32) {
  Terminal.wake(.interrupt)
}

/// SIGWINCH: libedit must re-read the terminal size.
func lineEditorSIGWINCH(_ signal: Int32) {
  Terminal.wake(.resize)
}

/// SIGCONT: the process was stopped (Ctrl-Z) and continued (fg).
func lineEditorSIGCONT(_ signal: Int32) {
  Terminal.wake(.resume)
}

/// SIGTERM/SIGHUP when nobody else handles them: put the terminal back, then die as before.
func lineEditorFatalSignal(_ signal: Int32) {
  Terminal.restoreSettings()
  var action = sigaction()
  #if canImport(Glibc)
  action.__sigaction_handler.sa_handler = SIG_DFL
  #else
  action.__sigaction_u.__sa_handler = SIG_DFL
  #endif
  sigemptyset(&action.sa_mask)
  sigaction(signal, &action, nil)
  raise(signal)
}

func restoreSettingsAtExit() {
  Terminal.restoreSettings()
}

/// Installs `handler` for `signal` and returns the previous action (for restoring at close).
func installSignalHandler(
  _ signal: Int32, _ handler: @convention(c) (Int32) -> Void, onlyIfDefault: Bool = false
) -> sigaction? {
  var previous = sigaction()
  guard sigaction(signal, nil, &previous) == 0 else { return nil }
  if onlyIfDefault {
    #if canImport(Glibc)
    let isDefault = previous.__sigaction_handler.sa_handler == nil
    #else
    let isDefault = previous.__sigaction_u.__sa_handler == nil
    #endif
    guard isDefault else { return nil }
  }
  var action = sigaction()
  #if canImport(Glibc)
  action.__sigaction_handler.sa_handler = handler
  #else
  action.__sigaction_u.__sa_handler = handler
  #endif
  sigemptyset(&action.sa_mask)
  action.sa_flags = SA_RESTART
  guard sigaction(signal, &action, nil) == 0 else { return nil }
  return previous
}

func restoreSignalHandler(_ signal: Int32, _ previous: sigaction) {
  var previous = previous
  sigaction(signal, &previous, nil)
}
