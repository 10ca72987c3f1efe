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
    if arguments.count == 0, let pool = session.server.pool {
      return try await interruptAll(pool, session: session)
    }
    var client = session.server.client
    if arguments.count == 1 {
      client = session.server.client(for: try session.server.resolvePromptID(arguments[0].text))
    }
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
        "asked the server\(session.server.onMember(id)) to stop prompt \(id)",
        json: ["type": "interrupt", "prompt_id": .string(id)])
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

  /// With a pool in use, `interrupt` stops the prompt running on each member that runs one of ours.
  static func interruptAll(_ pool: ServerPool, session: Session) async throws {
    var stopped: [(member: String, id: String)] = []
    for member in pool.members where member.isUp {
      let client = member.connection.client
      let queue = try await session.request { try await client.queue() }
      guard let running = queue.running.first, running.clientID == member.connection.clientID else {
        continue
      }
      try await session.request { try await client.interrupt(promptID: running.promptID) }
      stopped.append((member.name, running.promptID))
    }
    session.console.result(
      lines: stopped.isEmpty
        ? ["no member of pool \(pool.name) runs a prompt of this session"]
        : stopped.map { "asked \($0.member) to stop prompt \($0.id)" },
      json: [
        "type": "interrupt",
        "prompts": .array(stopped.map { ["member": .string($0.member), "prompt_id": .string($0.id)] }),
      ])
  }
}
