import ComfyClient
import Workflow

struct CancelCommand: Command {
  static let name = "cancel"
  static let group = CommandGroup.server
  static let usage = "cancel ID"
  static let summary =
    "Remove a prompt that waits in the queue; on servers with the jobs API (ComfyUI 0.33) a running one is stopped too."
  static let example = "cancel 6c1f0e2a"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    let id = try session.server.resolvePromptID(arguments[0].text)
    let client = session.server.client(for: id)
    let connection = session.server.member(of: id)?.connection
    let hasJobs = try await session.request {
      if let connection { return try await connection.hasJobsAPI() }
      return try await session.server.hasJobsAPI()
    }
    if hasJobs {
      return try await cancelJob(id, session: session)
    }
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
    await session.server.trackingConnection(for: id)?.markCancelled(id)
    session.console.result(
      "cancelled \(id)\(session.server.onMember(id)) (removed from the queue)",
      json: ["type": "cancelled", "prompt_id": .string(id)])
  }

  /// `POST /api/jobs/{id}/cancel`: one request for a waiting or a running prompt; asking again is harmless.
  static func cancelJob(_ id: String, session: Session) async throws {
    let client = session.server.client(for: id)
    let before = try await session.request { try await client.job(id) }
    let cancelled = try await session.request { try await client.cancelJob(id) }
    guard cancelled else {
      if let before, before.status != .pending && before.status != .inProgress {
        throw ShellError("prompt \(id) has already ended (\(before.statusText)); `history \(id)` shows it")
      }
      throw ShellError("\(client.server) has no waiting or running prompt \(id) (`queue` lists them)")
    }
    let how = before?.status == .inProgress ? "interrupted while running" : "removed from the queue"
    if before?.status != .inProgress { await session.server.trackingConnection(for: id)?.markCancelled(id) }
    session.console.result(
      "cancelled \(id)\(session.server.onMember(id)) (\(how))",
      json: ["type": "cancelled", "prompt_id": .string(id), "was": .string(before?.statusText ?? "unknown")])
  }
}
