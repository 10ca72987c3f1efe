import Workflow

extension ComfyConnection {
  // MARK: - Following a prompt

  /// Follows a tracked prompt to its end: a snapshot first, then its updates; finishes after `.finished`.
  /// Fails with `inactivity` when nothing arrives for `inactivityTimeout` while the prompt runs (after
  /// asking the server for an end that was missed), and with `connectionLost` when reconnecting gives up.
  /// With `poll`, the prompt's standing is asked every `pollInterval` (prompts of other clients send
  /// this socket nothing).
  public nonisolated func follow(
    _ promptID: String, inactivityTimeout: Duration, poll: Bool = false, pollInterval: Duration = .seconds(1)
  ) -> AsyncThrowingStream<FollowEvent, any Error> {
    let (stream, continuation) = AsyncThrowingStream<FollowEvent, any Error>.makeStream()
    let task = Task {
      do {
        try await self.runFollow(
          promptID, timeout: inactivityTimeout, poll: poll, pollInterval: pollInterval, into: continuation)
        continuation.finish()
      } catch {
        continuation.finish(throwing: error)
      }
    }
    continuation.onTermination = { _ in task.cancel() }
    return stream
  }

  private enum FollowInput: Sendable {
    case event(ConnectionEvent)
    case tick
  }

  private func runFollow(
    _ promptID: String, timeout: Duration, poll: Bool, pollInterval: Duration,
    into output: AsyncThrowingStream<FollowEvent, any Error>.Continuation
  ) async throws {
    guard let (tracker, events) = attach(promptID) else {
      throw ComfyClientError.notTracked(promptID: promptID)
    }
    output.yield(.snapshot(tracker))
    if tracker.isFinished { return }
    let (inputs, feed) = AsyncStream<FollowInput>.makeStream()
    let pump = Task {
      for await event in events { feed.yield(.event(event)) }
      feed.finish()
    }
    let tick = poll ? pollInterval : min(.seconds(1), timeout / 4)
    let ticker = Task {
      while !Task.isCancelled {
        try? await Task.sleep(for: tick)
        feed.yield(.tick)
      }
    }
    defer {
      pump.cancel()
      ticker.cancel()
      feed.finish()
    }
    var lastActivity = Monotonic.now()
    var lastPoll = Monotonic.now()
    var reopened = false
    /// The socket dropped while following: an end /history cannot confirm may be taken from the socket.
    var dropped = false
    /// After a reconnect with no news of the prompt: when to ask /history and /queue how it stands
    /// (its end may have come while no socket listened, and no message will say so).
    var recheckAt: Double?
    if tracker.droppedAt != nil {
      // It was followed through a drop before this `watch` began: ask soon how it stands.
      dropped = true
      recheckAt = lastActivity + Self.recheckAfterReconnect.seconds
    }
    for await input in inputs {
      try Task.checkCancellation()
      switch input {
      case .event(let event):
        switch event {
        case .message:
          lastActivity = Monotonic.now()
        case .prompt(let id, let update, let tracker) where id == promptID:
          lastActivity = Monotonic.now()
          if case .reconciled = update {} else { recheckAt = nil }
          output.yield(.update(update, tracker))
          if case .finished = update { return }
        case .prompt:
          break
        case .disconnected(let reason):
          lastActivity = Monotonic.now()
          dropped = true
          output.yield(.disconnected(reason: reason))
        case .reconnected:
          lastActivity = Monotonic.now()
          recheckAt = lastActivity + Self.recheckAfterReconnect.seconds
          output.yield(.reconnected)
        case .connectionLost(let reason):
          throw ComfyClientError.connectionLost(server: client.server, promptID: promptID, reason: reason)
        }
      case .tick:
        let now = Monotonic.now()
        if let due = recheckAt, now >= due {
          recheckAt = nil
          do {
            if case .waiting(let position) = try await checkQuiet(promptID, timeout: timeout, strict: false) {
              output.yield(.waiting(position: position))
            }
          } catch let error as ComfyClientError where error.isTransport {
            // /history does not answer: if the socket saw every node done, the prompt ended. Else its
            // messages may still come, and the inactivity check below decides.
            finishUnconfirmed(promptID)
          }
          continue
        }
        let quiet = now - lastActivity >= timeout.seconds
        let pollDue = poll && now - lastPoll >= pollInterval.seconds
        guard quiet || pollDue else { continue }
        lastPoll = now
        let check: QuietCheck
        do {
          check = try await checkQuiet(promptID, timeout: timeout, strict: !poll && quiet)
        } catch let error as ComfyClientError where error.isTransport {
          // The socket may have dropped before this watch began (a fast prompt, a loaded machine):
          // what it reported still counts.
          if finishUnconfirmed(promptID) { continue }
          guard dropped else { throw error }
          throw ComfyClientError.outcomeUnknown(
            server: client.server, promptID: promptID, cause: error.description)
        }
        switch check {
        case .finished:
          // The reconciled updates arrive as events; the loop ends on `.finished`.
          lastActivity = now
        case .waiting(let position):
          lastActivity = now
          output.yield(.waiting(position: position))
        case .running(let inactivity):
          guard let inactivity else {
            if !poll { lastActivity = now }
            break
          }
          // A socket can be open and deaf (its registration was dropped by the server's clean-up of
          // an older socket with the same client id): open it again once before giving up.
          if !reopened {
            reopened = true
            lastActivity = now
            await reopen()
            break
          }
          throw inactivity
        }
      }
    }
    try Task.checkCancellation()
    throw ComfyClientError.closed(server: client.server)
  }

  /// How long after a reconnect with no news of the followed prompt its state is asked.
  static let recheckAfterReconnect: Duration = .seconds(2)

  private enum QuietCheck {
    case finished
    case waiting(position: Int)
    /// Still running; with the error to report when the quiet spell counts as inactivity.
    case running(ComfyClientError?)
  }

  /// After a quiet spell: maybe the end was missed, maybe the prompt waits its turn (asked through
  /// the jobs API where the server has it, else /history and /queue); if it is running and nothing
  /// came for the whole timeout, that is an inactivity error.
  private func checkQuiet(_ promptID: String, timeout: Duration, strict: Bool) async throws -> QuietCheck {
    switch try await standing(of: promptID) {
    case .ended(let entry):
      reconcile(promptID, with: entry)
      return .finished
    case .waiting(let position, _, _):
      return .waiting(position: position)
    case .running:
      guard strict else { return .running(nil) }
      let tracker = router.tracker(promptID)
      let node = tracker?.currentNode.map {
        ComfyClientError.RunningNode(id: $0, classType: tracker?.nodes[$0]?.classType)
      }
      return .running(
        .inactivity(server: client.server, promptID: promptID, quietFor: timeout, runningNode: node))
    case .unknown:
      throw ComfyClientError.promptForgotten(server: client.server, promptID: promptID)
    }
  }
}

extension ComfyClientError {
  /// A failure to get an answer (timeouts, resets, errors and garbage), not a fact about a prompt.
  var isTransport: Bool {
    switch self {
    case .notTracked, .promptForgotten, .inactivity, .connectionLost, .outcomeUnknown, .closed,
      .invalidAddress:
      false
    default: true
    }
  }
}
