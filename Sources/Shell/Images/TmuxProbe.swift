import TerminalGraphics

#if canImport(Glibc)
import Glibc
#endif

/// Asks the tmux server the shell runs under whether it passes pictures through to the terminal.
enum TmuxProbe {
  static func passthroughIsOn() -> Bool {
    TmuxPassthrough.isEnabled(
      version: output(of: ["tmux", "-V"]),
      option: output(of: ["tmux", "show-options", "-gv", "allow-passthrough"]))
  }

  /// A program's standard output when it exits with status 0 within a second; nil otherwise.
  static func output(of arguments: [String]) -> String? {
    var pipeEnds: [Int32] = [0, 0]
    guard pipe(&pipeEnds) == 0 else { return nil }
    defer { close(pipeEnds[0]) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
    close(pipeEnds[1])
    guard spawned == 0 else { return nil }
    var text: [UInt8] = []
    var ended = false
    var buffer = [UInt8](repeating: 0, count: 512)
    let deadline = TerminalClock.milliseconds() + 1000
    while text.count < 4096 {
      let left = deadline - TerminalClock.milliseconds()
      guard left > 0 else { break }
      var descriptor = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, Int32(left))
      if ready < 0 && errno == EINTR { continue }
      guard ready > 0 else { break }
      let n = buffer.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
      if n <= 0 {
        ended = true
        break
      }
      text += buffer[0..<n]
    }
    var status: Int32 = 0
    if !ended { kill(pid, SIGKILL) }
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard ended, status & 0x7F == 0, (status >> 8) & 0xFF == 0 else { return nil }
    return String(decoding: text, as: UTF8.self)
  }
}

enum TerminalClock {
  static func milliseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000
  }
}
