import ComfyClient
import Workflow

struct InterruptCommand: Command {
  static let name = "interrupt"
  static let group = CommandGroup.server
  static let usage = "interrupt [ID]"
  static let summary =
    "Stop the prompt running on the server (whoever queued it); with an ID, stop it only if that prompt is the one running."
  static let example = "interrupt"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    let client = session.server.client
    let queue = try await session.request { try await client.queue() }
    if arguments.count == 1 {
      let id = try session.server.resolvePromptID(arguments[0].text)
      if queue.pending.contains(where: { $0.promptID == id }) {
        throw ShellError("prompt \(id) is waiting in the queue, not running: `cancel \(id)` removes it")
      }
      guard queue.running.contains(where: { $0.promptID == id }) else {
        throw ShellError("prompt \(id) is not running (`history \(id)` shows how it ended)")
      }
      try await session.request { try await client.interrupt(promptID: id) }
      session.console.result(
        "asked the server to stop prompt \(id)", json: ["type": "interrupt", "prompt_id": .string(id)])
      return
    }
    guard let running = queue.running.first else {
      session.console.result("nothing is running", json: ["type": "interrupt", "prompt_id": .null])
      return
    }
    try await session.request { try await client.interrupt() }
    let whose = running.clientID == session.server.clientID ? "" : " (queued by another client)"
    session.console.result(
      "asked the server to stop prompt \(running.promptID)\(whose)",
      json: ["type": "interrupt", "prompt_id": .string(running.promptID)])
  }
}
