import Foundation
import Testing

@testable import Workflow

/// A recording survives `kill -9`: every command that finished is already in the file.
@Suite(.timeLimit(.minutes(2))) struct RecordingCrashTests {
  @Test func killDuringRecordingLosesNoFinishedCommand() async throws {
    let folder = Binary.temporaryFolder()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binary.path)
    process.arguments = ["--no-init", "--record", "r.comfy"]
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var env = ProcessInfo.processInfo.environment
    env["XDG_STATE_HOME"] = folder + "/.state"
    env["XDG_CONFIG_HOME"] = folder + "/.config"
    process.environment = env
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    let recording = folder + "/r.comfy"
    for i in 1...20 {
      input.fileHandleForWriting.write(Data("echo line \(i)\n".utf8))
      // Wait until the command has finished and is in the file.
      let deadline = Date().addingTimeInterval(10)
      while Date() < deadline {
        if let text = try? String(contentsOfFile: recording, encoding: .utf8), text.contains("#> line \(i)\n")
        {
          break
        }
        try await Task.sleep(for: .milliseconds(2))
      }
    }
    kill(process.processIdentifier, SIGKILL)
    await OwnThread.run { process.waitUntilExit() }
    #expect(process.terminationReason == .uncaughtSignal)
    let text = try String(contentsOfFile: recording, encoding: .utf8)
    let expected = (1...20).map { "echo line \($0)\n#> line \($0)\n" }.joined()
    #expect(text == expected)
  }
}
