import ComfyClient
import Workflow

struct CancelCommand: Command {
  static let name = "cancel"
  static let group = CommandGroup.server
  static let usage = "cancel ID"
  static let summary =
    "Remove a prompt that waits in the queue; one already running is stopped with `interrupt`."
  static let example = "cancel 6c1f0e2a"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    let id = try session.server.resolvePromptID(arguments[0].text)
    let client = session.server.client
    let queue = try await session.request { try await client.queue() }
    if queue.running.contains(where: { $0.promptID == id }) {
      throw ShellError("prompt \(id) is already running; `interrupt \(id)` stops it")
    }
    guard queue.pending.contains(where: { $0.promptID == id }) else {
      throw ShellError("prompt \(id) is not waiting in the queue (`history \(id)` shows finished prompts)")
    }
    try await session.request { try await client.deleteFromQueue([id]) }
    // Make sure it went: the server deletes only what is still pending when the request arrives.
    let after = try await session.request { try await client.queue() }
    if after.running.contains(where: { $0.promptID == id }) {
      throw ShellError("prompt \(id) started before it could be removed; `interrupt \(id)` stops it")
    }
    await session.server.existingConnection?.markCancelled(id)
    session.console.result(
      "cancelled \(id) (removed from the queue)", json: ["type": "cancelled", "prompt_id": .string(id)])
  }
}
