import Synchronization
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Where `key add` reads a key from. The real one reads the terminal on standard input without echo,
/// or a line of standard input; tests pass their own.
public struct SecretInput: Sendable {
  /// True when standard input is a terminal (a key can be typed at a hidden prompt).
  public var isTerminal: @Sendable () -> Bool
  /// Shows `prompt` and reads one line without echo; throws `KeyError.cancelled` on Ctrl-C or Ctrl-D.
  public var readHidden: @Sendable (_ prompt: String) async throws -> String
  /// One line of standard input (without its line break); nil at its end.
  public var readLine: @Sendable () async -> String?

  public init(
    isTerminal: @escaping @Sendable () -> Bool,
    readHidden: @escaping @Sendable (_ prompt: String) async throws -> String,
    readLine: @escaping @Sendable () async -> String?
  ) {
    self.isTerminal = isTerminal
    self.readHidden = readHidden
    self.readLine = readLine
  }

  /// The process's standard input. Lines go through the same C `stdin` buffer as piped commands, so
  /// `key add NAME --stdin` in piped input reads the line after it.
  public static let terminal = SecretInput(
    isTerminal: { isatty(0) == 1 },
    readHidden: { prompt in try await HiddenEntry.read(prompt: prompt) },
    readLine: {
      await OwnThread.run(on: OwnThread.standardInput) {
        guard case .text(let line)? = LineInput.next(limit: 64 << 10) else { return nil }
        return line
      }
    })
}

/// Reading a line at a terminal with echo off. The terminal's settings are saved first and restored
/// on every way out: Enter, Ctrl-C, Ctrl-D, cancellation, errors. ISIG is off while reading, so
/// Ctrl-C arrives as a byte and cannot end the process with echo still off.
public enum HiddenEntry {
  /// Set when the task waiting for the line is cancelled; the reader checks it between polls.
  final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
  }

  /// Reads from standard input; the prompt goes to the controlling terminal (else standard error).
  /// The blocking read runs on a thread of its own.
  public static func read(prompt: String) async throws -> String {
    let flag = CancelFlag()
    return try await withTaskCancellationHandler {
      try await OwnThread.run {
        let output = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC)
        defer { if output >= 0 { close(output) } }
        return try readLine(prompt: prompt, input: 0, output: output >= 0 ? output : 2, cancel: flag)
      }
    } onCancel: {
      flag.set()
    }
  }

  /// The terminal on `input` with echo, canonical mode and signals off; bytes are handled here:
  /// Enter ends, Backspace deletes a character, Ctrl-U the line, Ctrl-C (and Ctrl-D on an empty
  /// line) cancel; escape sequences (arrow keys) and other control characters are ignored.
  static func readLine(
    prompt: String, input: Int32, output: Int32, cancel: CancelFlag
  ) throws(KeyError) -> String {
    var saved = termios()
    guard tcgetattr(input, &saved) == 0 else {
      throw KeyError(
        "standard input is not a terminal, so the key cannot be read without echo: use --stdin or --from-env VAR"
      )
    }
    var quiet = saved
    quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
    withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
      cc[Int(VMIN)] = 1
      cc[Int(VTIME)] = 0
    }
    // Echo goes off before the prompt shows, so nothing typed after it can appear.
    guard tcsetattr(input, TCSANOW, &quiet) == 0 else {
      throw KeyError(
        "cannot turn off echo on this terminal (\(String(cString: strerror(errno)))); use --stdin or --from-env VAR"
      )
    }
    write(output, prompt)
    var ending = "\n"
    defer {
      _ = tcsetattr(input, TCSANOW, &saved)
      write(output, ending)
    }
    var line: [UInt8] = []
    var escape = EscapeState.none
    var buffer = [UInt8](repeating: 0, count: 256)
    while true {
      if cancel.isSet {
        ending = "^C\n"
        throw KeyError.cancelled
      }
      var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, 100)
      if ready < 0 && errno != EINTR {
        throw KeyError("cannot read the terminal: \(String(cString: strerror(errno)))")
      }
      guard ready > 0 else { continue }
      let count = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw KeyError("cannot read the terminal: \(String(cString: strerror(errno)))")
      }
      if count == 0 {
        ending = "\n"
        throw KeyError.cancelled
      }
      for byte in buffer[0..<count] {
        switch escape.next(byte) {
        case .swallowed:
          continue
        case .start:
          continue
        case .none:
          break
        }
        switch byte {
        case 0x0A, 0x0D:
          return String(decoding: line, as: UTF8.self)
        case 0x03:
          ending = "^C\n"
          throw KeyError.cancelled
        case 0x04:
          if line.isEmpty { throw KeyError.cancelled }
        case 0x7F, 0x08:
          // One character: its UTF-8 continuation bytes and its first byte.
          while let last = line.last, last & 0xC0 == 0x80 { line.removeLast() }
          if !line.isEmpty { line.removeLast() }
        case 0x15:
          line.removeAll()
        case 0x00..<0x20:
          continue
        default:
          if line.count < KeyRules.maximumLength + 64 { line.append(byte) }
        }
      }
    }
  }

  /// Skips terminal escape sequences (`ESC [ … final`, `ESC O x`), so arrow keys add nothing.
  enum EscapeState {
    case none, escape, csi, ss3

    enum Step { case none, start, swallowed }

    mutating func next(_ byte: UInt8) -> Step {
      switch self {
      case .none:
        if byte == 0x1B {
          self = .escape
          return .start
        }
        return .none
      case .escape:
        switch byte {
        case UInt8(ascii: "["): self = .csi
        case UInt8(ascii: "O"): self = .ss3
        default: self = .none
        }
        return .swallowed
      case .csi:
        if (0x40...0x7E).contains(byte) { self = .none }
        return .swallowed
      case .ss3:
        self = .none
        return .swallowed
      }
    }
  }

  private static func write(_ fd: Int32, _ text: String) {
    TextSink.writeAll(fd, text)
  }
}
