import ComfyClient
import Workflow

struct WatchCommand: Command {
  static let name = "watch"
  static let group = CommandGroup.running
  static let usage = "watch [ID] [--background] [--preview] [--traceback] [--timeout SECONDS]"
  static let summary =
    "Follow a prompt (default: the last run) to its end: each node cached or done with its time, progress, the files it wrote, and the error if one fails; Ctrl-C stops watching, not the prompt. --background gives the prompt back at once and prints the same lines, tagged with the prompt's id, above it as they come; --preview draws the sampler's live previews on the terminal, each over the last; with `images on` each node's pictures appear under its line."
  static let example = "watch --background"

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let traceback = arguments.flag("--traceback")
    let background = arguments.flag("--background")
    let preview = arguments.flag("--preview")
    let timeoutText = try arguments.option("--timeout")
    try arguments.expect(0...1)
    let server = session.server
    var timeout = server.inactivityTimeout
    if let timeoutText {
      guard let seconds = Double(timeoutText.text), seconds > 0, seconds <= 86_400 else {
        throw ShellError("--timeout takes seconds between 0 and 86400, not \(timeoutText.text)")
      }
      timeout = .milliseconds(Int(seconds * 1000))
    }
    if preview, background {
      throw ShellError("--preview draws in place and --background prints above the prompt; use one of them")
    }
    let id = try server.promptID(arguments.isEmpty ? nil : arguments[0], command: name)
    // After a sweep (`run --count`, or runs on a pool), `watch` alone follows all its prompts.
    if arguments.isEmpty, let pool = server.poolOf(id), !pool.unwatched.isEmpty {
      if background || preview {
        throw ShellError("a sweep is watched in the foreground only; `watch ID` follows one of its prompts")
      }
      return try await SweepWatch.run(pool, session: session)
    }

    // A prompt of this session that ended: shown from what was kept, without asking the server.
    if let final = server.promptRecord(id)?.final {
      let view = WatchView(session: session, promptID: id, traceback: traceback)
      do {
        try view.show(.snapshot(final))
      } catch {
        await view.drawResults()
        throw error
      }
      await view.drawResults()
      return
    }
    if background, server.isWatchingInBackground(id) {
      throw ShellError("prompt \(id) is already watched in the background; `watch \(id)` follows it here")
    }
    let view = WatchView(
      session: session, promptID: id, traceback: traceback, background: background, preview: preview)
    if preview, !session.pictures.drawing {
      session.console.note(
        "--preview draws only on a terminal that shows pictures (`images` says why not here); the previews are kept: `download --previews` saves them"
      )
    }
    guard let connection = try await prepareToFollow(id, view: view, session: session) else { return }
    let events = connection.follow(id, inactivityTimeout: timeout, poll: view.foreign)
    if background {
      followInBackground(id, events: events, view: view, session: session)
      return
    }

    server.beginWatching(id)
    defer { server.endWatching(id) }
    do {
      for try await event in events {
        do {
          try view.show(event)
        } catch {
          await view.drawResults()
          throw error
        }
        await view.drawResults()
      }
    } catch let error as ShellError {
      throw error
    } catch {
      view.clearLive()
      if Task.isCancelled { throw view.stoppedWatching() }
      throw ShellError.server(error, session: session)
    }
    if Task.isCancelled { throw view.stoppedWatching() }
    if preview, view.previewsSeen == 0, session.pictures.drawing {
      session.console.note(
        "the server sent no previews: ComfyUI sends them when it is started with --preview-method auto (or latent2rgb, taesd); `comfysh sim --previews` for the simulator"
      )
    }
  }

  /// Gets `id` ready to follow on the current server's connection: tracked (a prompt of another client
  /// is looked up and polled, `view.foreign`), and the socket open again if it dropped, with what was
  /// missed asked from /history. Nil when the prompt had already ended and `view` showed it.
  static func prepareToFollow(
    _ id: String, view: WatchView, session: Session
  ) async throws -> ComfyConnection? {
    let server = session.server
    let member = server.poolOf(id)?.member(at: server.promptRecord(id)?.server ?? server.address)
    if member == nil, let record = server.promptRecord(id), record.server != server.address {
      throw ShellError(
        "prompt \(id) was run on \(record.server); `server \(record.server)` to watch it there")
    }
    let connection = member?.connection ?? server.connection()
    // Messages about prompts of other clients go to their sockets: those are followed by polling.
    view.foreign = server.promptRecord(id) == nil
    if await connection.tracker(id) == nil {
      guard try await trackForeign(id, connection: connection, view: view, session: session) else {
        return nil
      }
    } else if await !connection.isConnected, await connection.tracker(id)?.isFinished == false {
      // The socket dropped and reconnecting gave up earlier: open it again; following asks /history
      // what was missed (and copes when it does not answer).
      try await session.request { try await connection.connect() }
    }
    return connection
  }

  /// `watch --background`: the view's lines are printed as notices by a task the session owns, so the
  /// prompt comes back at once. The prompt's end (or the reason watching stopped) is its last line.
  static func followInBackground(
    _ id: String, events: AsyncThrowingStream<FollowEvent, any Error>, view: WatchView, session: Session
  ) {
    session.server.watchInBackground(id) {
      do {
        for try await event in events {
          try view.show(event)
        }
      } catch is ShellError {
        // A failed, interrupted or cancelled prompt: its lines already said so.
      } catch {
        guard !Task.isCancelled else { return }
        session.console.notice(
          "[\(id.prefix(8))] stopped watching: \(ShellError.server(error, session: session).message)")
      }
    }
    session.console.result(
      "watching \(id) in the background: its lines appear above the prompt, tagged [\(id.prefix(8))]",
      json: ["type": "watching", "prompt_id": .string(id), "background": true])
  }

  /// A prompt this session did not run: an ended one is shown from the server's history; a queued
  /// one is tracked (and polled, since its messages go to another client's socket). Asked through
  /// the jobs API where the server has it. Returns true to follow it.
  static func trackForeign(
    _ id: String, connection: ComfyConnection, view: WatchView, session: Session
  ) async throws
    -> Bool
  {
    let standing = try await session.request { try await connection.standing(of: id) }
    let number: JSONNumber?
    let prompt: JSONValue?
    switch standing {
    case .ended(let entry):
      var tracker = PromptTracker(
        promptID: id, prompt: entry.item.flatMap { try? Workflow(apiJSON: $0.prompt) })
      tracker.reconcile(with: entry)
      try view.show(.snapshot(tracker))
      return false
    case .waiting(_, let n, let p), .running(let n, let p):
      (number, prompt) = (n, p)
    case .unknown:
      throw ShellError(
        "\(connection.client.server) does not know prompt \(id): it is not queued, not running and not in its history (`history` lists recent prompts)"
      )
    }
    session.console.print("prompt \(id) was queued by another client: following it by asking the server")
    await connection.track(
      promptID: id, prompt: prompt.flatMap { try? Workflow(apiJSON: $0) }, number: number)
    return true
  }
}
