import Foundation
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Runs the comfysh binary on a pseudo-terminal of a given size, as a terminal emulator would, and
/// keeps every byte it writes; it can answer the terminal queries comfysh sends, like a terminal.
struct PseudoTerminal {
  struct Size {
    var columns: Int
    var rows: Int
    var pixelWidth = 0
    var pixelHeight = 0
  }

  /// When the output so far contains `trigger` (counted from the last answer), `answer` is typed.
  struct Reply {
    var trigger: [UInt8]
    var answer: [UInt8]
  }

  struct Result {
    var status: Int32
    var output: [UInt8]
    var text: String { String(decoding: output, as: UTF8.self) }
  }

  /// Variables a terminal emulator sets, which would decide the protocol instead of the test.
  static let terminalVariables = [
    "TMUX", "TERM", "TERM_PROGRAM", "COLORTERM", "KITTY_WINDOW_ID", "ITERM_SESSION_ID", "LC_TERMINAL",
    "WEZTERM_EXECUTABLE", "GHOSTTY_RESOURCES_DIR", "MLTERM", "WT_SESSION", "NO_COLOR", "COMFYSH_SERVER",
  ]

  static func run(
    _ arguments: [String], in folder: String, size: Size, environment: [String: String],
    replies: [Reply] = [], timeoutSeconds: Double = 120
  ) async throws -> Result {
    let binary = Binary.path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw ShellFailure("the comfysh binary is missing at \(binary); run `swift build` first")
    }
    var env = ProcessInfo.processInfo.environment
    for name in terminalVariables { env.removeValue(forKey: name) }
    env["XDG_CONFIG_HOME"] = folder + "/.config"
    env["XDG_STATE_HOME"] = folder + "/.state"
    env["XDG_CACHE_HOME"] = folder + "/.cache"
    for (k, v) in environment { env[k] = v }
    let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder, binary] + arguments
    let environmentLines = env.map { "\($0.key)=\($0.value)" }
    return try await OwnThread.run {
      try runBlocking(
        command, environment: environmentLines, size: size, replies: replies, timeout: timeoutSeconds)
    }
  }

  private static func runBlocking(
    _ command: [String], environment: [String], size: Size, replies: [Reply], timeout: Double
  ) throws -> Result {
    // posix_openpt and friends are not imported into Swift; /dev/ptmx and two ioctls are what they do.
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard master >= 0 else {
      throw ShellFailure("cannot open /dev/ptmx: \(String(cString: strerror(errno)))")
    }
    defer { close(master) }
    var unlock: Int32 = 0
    var number: UInt32 = 0
    guard ioctl(master, ptyUnlock, &unlock) == 0, ioctl(master, ptyNumber, &number) == 0 else {
      throw ShellFailure("cannot set up a pseudo-terminal: \(String(cString: strerror(errno)))")
    }
    let slavePath = "/dev/pts/\(number)"
    var window = winsize(
      ws_row: UInt16(size.rows), ws_col: UInt16(size.columns), ws_xpixel: UInt16(size.pixelWidth),
      ws_ypixel: UInt16(size.pixelHeight))
    _ = ioctl(master, UInt(TIOCSWINSZ), &window)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // A new session whose first terminal opened becomes its controlling terminal (/dev/tty).
    posix_spawnattr_setflags(&attributes, spawnNewSession)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addclose(&actions, master)
    posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
    posix_spawn_file_actions_adddup2(&actions, 0, 1)
    posix_spawn_file_actions_adddup2(&actions, 0, 2)
    var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, command[0], &actions, &attributes, &argv, &envp)
    guard spawned == 0 else {
      throw ShellFailure("cannot start comfysh: \(String(cString: strerror(spawned)))")
    }

    var output: [UInt8] = []
    var answered = 0
    var searchFrom = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    var status: Int32 = 0
    var exited = false
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, 100)
      if ready > 0 {
        let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        if n > 0 {
          output += buffer[0..<n]
        } else if exited || n < 0 {
          break  // EIO: every descriptor of the terminal's other end is closed
        }
      } else if ready < 0 && errno != EINTR {
        break
      }
      while answered < replies.count,
        let found = find(replies[answered].trigger, in: output, from: searchFrom)
      {
        let answer = replies[answered].answer
        _ = answer.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        searchFrom = found
        answered += 1
      }
      if !exited, waitpid(pid, &status, WNOHANG) == pid { exited = true }
      if exited && ready == 0 { break }
    }
    // The terminal's end closed (EIO) as the program exited: give the exit a moment to be seen.
    var waits = 0
    while !exited, Date() < deadline, waits < 100 {
      if waitpid(pid, &status, WNOHANG) == pid { exited = true } else { usleep(50_000) }
      waits += 1
    }
    if !exited {
      kill(pid, SIGKILL)
      _ = waitpid(pid, &status, 0)
      throw ShellFailure(
        "comfysh did not finish within \(Int(timeout)) s on the pseudo-terminal; it wrote: \(String(decoding: output.suffix(2000), as: UTF8.self))"
      )
    }
    let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return Result(status: code, output: output)
  }

  /// Linux's TIOCSPTLCK and TIOCGPTN (asm-generic ioctl numbers), and glibc's POSIX_SPAWN_SETSID.
  private static let ptyUnlock: UInt = 0x4004_5431
  private static let ptyNumber: UInt = 0x8004_5430
  private static let spawnNewSession: Int16 = 0x80

  static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else {
      return nil
    }
    for i in start...(haystack.count - needle.count) where haystack[i] == needle[0] {
      if Array(haystack[i..<(i + needle.count)]) == needle { return i + needle.count }
    }
    return nil
  }
}

extension Regex {
  func matchCount(in text: String) -> Int { text.matches(of: self).count }
}
