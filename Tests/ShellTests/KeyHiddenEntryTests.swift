import Synchronization
import Testing
import Workflow

@testable import Shell

#if canImport(Glibc)
import Glibc
#endif

/// The hidden prompt on a real pseudo-terminal: nothing typed is echoed, the terminal's settings are
/// restored however the entry ends, and editing keys work.
@Suite(.serialized) struct KeyHiddenEntryTests {
  /// A pseudo-terminal pair: `master` is the keyboard and screen, `slave` is comfysh's terminal.
  final class Terminal: Sendable {
    let master: Int32
    let slave: Int32

    /// Glibc's Swift module leaves out the XSI pseudo-terminal calls; they are looked up in libc.
    private typealias IntCall = @convention(c) (Int32) -> Int32
    private typealias NameCall = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32

    init?() {
      let libc = dlopen(nil, RTLD_NOW)
      guard let grantSymbol = dlsym(libc, "grantpt"), let unlockSymbol = dlsym(libc, "unlockpt"),
        let nameSymbol = dlsym(libc, "ptsname_r")
      else { return nil }
      let grant = unsafeBitCast(grantSymbol, to: IntCall.self)
      let unlock = unsafeBitCast(unlockSymbol, to: IntCall.self)
      let name = unsafeBitCast(nameSymbol, to: NameCall.self)
      let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
      guard master >= 0 else { return nil }
      var path = [CChar](repeating: 0, count: 128)
      guard grant(master) == 0, unlock(master) == 0, name(master, &path, path.count) == 0 else {
        close(master)
        return nil
      }
      let slaveName = String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      let slave = open(slaveName, O_RDWR | O_NOCTTY | O_CLOEXEC)
      guard slave >= 0 else {
        close(master)
        return nil
      }
      self.master = master
      self.slave = slave
    }

    deinit {
      close(master)
      close(slave)
    }

    var localFlags: tcflag_t {
      var settings = termios()
      tcgetattr(slave, &settings)
      return settings.c_lflag
    }

    func type(_ text: String) { TextSink.writeAll(master, text) }

    /// What the screen received, reading until `text` shows (or a second passes).
    func screen(until text: String) -> String {
      var received: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 1024)
      let deadline = ContinuousClock.now + .seconds(2)
      while ContinuousClock.now < deadline {
        // Bytes, not characters: "\r\n" is one Character and would not contain "\n".
        if received.count >= text.utf8.count,
          (0...(received.count - text.utf8.count)).contains(where: { received[$0...].starts(with: text.utf8) }
          )
        {
          break
        }
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 50) > 0 else { continue }
        let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        if count > 0 { received += buffer[0..<count] }
      }
      return String(decoding: received, as: UTF8.self)
    }

    /// Reads a hidden line on the slave while `keys` are typed once the prompt is up.
    func enter(
      _ keys: String, cancel: HiddenEntry.CancelFlag = .init()
    ) async -> (Result<String, KeyError>, String) {
      let slave = self.slave
      // Both sides block on the terminal, so both run off the cooperative threads.
      async let result = OwnThread.run {
        Result { () throws(KeyError) in
          try HiddenEntry.readLine(
            prompt: "key for work (typing is hidden): ", input: slave, output: slave, cancel: cancel)
        }
      }
      var screen = await OwnThread.run { self.screen(until: "hidden): ") }
      type(keys)
      let entered = await result
      // The line break that ends the entry may have come with the prompt (a cancelled task).
      if !screen.utf8.contains(10) { screen += await OwnThread.run { self.screen(until: "\n") } }
      return (entered, screen)
    }
  }

  @Test func theKeyIsReadWithoutEchoAndTheTerminalRestored() async throws {
    let terminal = try #require(Terminal(), "no pseudo-terminal available")
    let before = terminal.localFlags
    #expect(before & tcflag_t(ECHO) != 0)
    let (result, screen) = await terminal.enter(TestKeys.work + "\r")
    #expect(try result.get() == TestKeys.work)
    #expect(screen.contains("key for work (typing is hidden): "))
    #expect(!screen.contains("comfyui-87d0"), "nothing typed reaches the screen")
    #expect(terminal.localFlags == before)
  }

  @Test func ctrlCCancelsAndRestoresTheTerminal() async throws {
    let terminal = try #require(Terminal(), "no pseudo-terminal available")
    let before = terminal.localFlags
    let (result, screen) = await terminal.enter("comfyui-half-typed\u{03}")
    #expect(throws: KeyError.cancelled) { try result.get() }
    #expect(screen.hasSuffix("^C\r\n") || screen.hasSuffix("^C\n"))
    #expect(!screen.contains("half-typed"))
    #expect(terminal.localFlags == before)
  }

  @Test func cancellingTheTaskRestoresTheTerminal() async throws {
    let terminal = try #require(Terminal(), "no pseudo-terminal available")
    let before = terminal.localFlags
    let cancel = HiddenEntry.CancelFlag()
    cancel.set()
    let (result, _) = await terminal.enter("", cancel: cancel)
    #expect(throws: KeyError.cancelled) { try result.get() }
    #expect(terminal.localFlags == before)
  }

  @Test func backspaceCtrlUAndArrowKeysEdit() async throws {
    let terminal = try #require(Terminal(), "no pseudo-terminal available")
    let (result, _) = await terminal.enter("wrong\u{15}comfyui-abcx\u{7F}d\u{1B}[D\u{1B}OCéf\u{7F}\n")
    #expect(try result.get() == "comfyui-abcdé")
    let (empty, _) = await terminal.enter("\u{04}")
    #expect(throws: KeyError.cancelled) { try empty.get() }
  }

  @Test func aFileIsNotATerminal() throws {
    let fd = open("/dev/null", O_RDONLY)
    defer { close(fd) }
    #expect(throws: KeyError.self) {
      try HiddenEntry.readLine(prompt: "", input: fd, output: fd, cancel: .init())
    }
  }
}
