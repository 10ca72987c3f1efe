import ComfyClient
import Workflow

/// A prompt of a sweep: the workflow it posts, where it is now, and how it ended.
@MainActor
final class PoolJob {
  /// A prompt posted again elsewhere because its member went down.
  struct Move: Sendable {
    let fromMember: String
    let toMember: String
    let oldID: String
    let newID: String
  }

  let workflow: Workflow
  /// The POST body; `client_id` is set to the chosen member's own.
  let body: JSONObject
  var promptID = ""
  var member = 0
  var tracker: PromptTracker?
  /// Why the prompt has no outcome and will get none (lost on a second member, or nowhere to go).
  var lostReason: String? {
    didSet { if endedAt == nil { endedAt = Monotonic.now() } }
  }
  /// When it settled (monotonic seconds), for the sweep's wall time.
  var endedAt: Double?
  var moves: [Move] = []
  var moving = false
  var follower: Task<Void, Never>?

  init(workflow: Workflow, body: JSONObject) {
    self.workflow = workflow
    self.body = body
  }

  var outcome: PromptOutcome? { tracker?.outcome }
  var isSettled: Bool { outcome != nil || lostReason != nil }
}

/// Servers that share a sweep: each `run` goes to the member expected to finish it first, with a
/// bounded number of prompts in flight per member; a member that goes down has its unfinished prompts
/// posted once to the others. Without a pool in use, `run --count` uses a pool of the current server.
@MainActor
final class ServerPool {
  /// The saved pool name (empty for the current server's own pool).
  let name: String
  let members: [PoolMember]
  /// Prompts in flight per member: enough to keep it busy, few enough to move on failure.
  var inFlightLimit = 2
  var inactivityTimeout: Duration
  /// The members' connections are the pool's own (closed with it), not the session's.
  let ownsConnections: Bool
  private(set) var jobs: [PoolJob] = []
  /// The first job the next sweep `watch` reports.
  var firstUnwatched = 0
  /// When the first unwatched job was posted (for the sweep's rate and wall time).
  var sweepStartedAt: Double?
  private weak var server: ServerSession?
  private let console: Console
  /// A named key's value, for members that carry their own (`SERVER=KEY`); the session resolves it.
  var keyValue: (String) throws -> String = { name in throw ShellError("no key named \(name) here") }

  init(
    name: String, members: [PoolMember], ownsConnections: Bool, server: ServerSession, console: Console,
    inactivityTimeout: Duration
  ) {
    self.name = name
    self.members = members
    self.ownsConnections = ownsConnections
    self.server = server
    self.console = console
    self.inactivityTimeout = inactivityTimeout
  }

  /// How a pool's member is named in lines: the saved name, else its address.
  var label: String { name.isEmpty ? (members.first?.name ?? "server") : name }

  /// The jobs a sweep `watch` follows now.
  var unwatched: ArraySlice<PoolJob> { jobs[min(firstUnwatched, jobs.count)...] }

  func job(promptID: String) -> PoolJob? { jobs.last { $0.promptID == promptID } }

  func member(at address: ServerAddress) -> PoolMember? { members.first { $0.address == address } }

  // MARK: - Dispatch

  /// Posts `workflow` to the member that should finish it first, waiting for a free slot when every
  /// eligible member has the limit in flight (cancelling the task stops the wait; nothing is posted).
  func dispatch(_ workflow: Workflow, body: JSONObject) async throws -> (QueuedPrompt, PoolMember) {
    let job = PoolJob(workflow: workflow, body: body)
    let queued = try await post(job)
    if firstUnwatched >= jobs.count { sweepStartedAt = Monotonic.now() }
    jobs.append(job)
    return (queued, members[job.member])
  }

  private func post(_ job: PoolJob) async throws -> QueuedPrompt {
    while true {
      try Task.checkCancellation()
      var eligible: [Int] = []
      for (index, member) in members.enumerated() where member.isUp {
        do {
          let missing = try await member.missingClasses(job.workflow)
          if missing.isEmpty {
            eligible.append(index)
          } else if !missing.allSatisfy(member.reportedMissing.contains) {
            member.reportedMissing.formUnion(missing)
            console.note(
              "\(member.name) has no \(missing.joined(separator: ", ")): skipped for this workflow")
          }
        } catch {
          // Ctrl-C while asking is not the member's fault.
          if error is CancellationError || Task.isCancelled { throw CancellationError() }
          markDown(index, reason: "its /object_info does not answer (\(Self.describe(error)))")
        }
      }
      guard !eligible.isEmpty else { throw noMemberError(job.workflow) }
      var best: (index: Int, estimate: Double)?
      let mean = meanSecondsPerPrompt
      for index in eligible where members[index].inFlight.count < inFlightLimit {
        let member = members[index]
        let queued = max(member.inFlight.count, await member.connection.queueRemaining ?? 0)
        let estimate = Double(queued + 1) * (member.secondsPerPrompt ?? mean)
        if best.map({ estimate < $0.estimate }) ?? true { best = (index, estimate) }
      }
      guard let best else {
        try await Task.sleep(for: .milliseconds(25))
        continue
      }
      let member = members[best.index]
      var body = job.body
      body["client_id"] = .string(member.connection.clientID)
      if member.key != .session {
        var extra = body["extra_data"]?.objectValue ?? [:]
        if case .named(let name) = member.key {
          extra["api_key_comfy_org"] = .string(try keyValue(name))
        } else {
          extra["api_key_comfy_org"] = nil
        }
        body["extra_data"] = .object(extra)
      }
      do {
        let queued = try await member.connection.submit(body: body, prompt: job.workflow)
        member.inFlight.insert(queued.promptID)
        job.promptID = queued.promptID
        job.member = best.index
        server?.record(queued, workflow: job.workflow, on: member.address)
        // The sweep's `watch` reports its end: no notice per prompt.
        server?.endWasShown(queued.promptID)
        follow(job)
        return queued
      } catch let rejection as PromptRejection {
        throw rejection
      } catch {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        markDown(best.index, reason: "posting a prompt failed (\(Self.describe(error)))")
      }
    }
  }

  /// Seconds per prompt over members that have ended one (1 before any has).
  private var meanSecondsPerPrompt: Double {
    let known = members.compactMap({ $0.secondsPerPrompt })
    return known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
  }

  private func noMemberError(_ workflow: Workflow) -> ShellError {
    let down = members.filter { !$0.isUp }
    var message = "no member of pool \(label) can run this workflow"
    let lacking = members.filter({ $0.isUp }).map {
      "\($0.name) lacks \($0.reportedMissing.sorted().joined(separator: ", "))"
    }
    var reasons = lacking
    reasons += down.map { "\($0.name) is down: \($0.downReason ?? "?")" }
    if !reasons.isEmpty { message += " (" + reasons.joined(separator: "; ") + ")" }
    return ShellError(message + "; `pool` shows the members, `pool use NAME` tries them again")
  }

  // MARK: - Following and failover

  /// Follows the job's prompt on its member's connection; its end frees the slot.
  private func follow(_ job: PoolJob) {
    let member = members[job.member]
    let id = job.promptID
    let events = member.connection.follow(id, inactivityTimeout: inactivityTimeout)
    job.follower = Task { [weak self] in
      var last: PromptTracker?
      do {
        for try await event in events {
          switch event {
          case .snapshot(let tracker), .update(_, let tracker): last = tracker
          default: break
          }
          if last?.isFinished == true { break }
        }
        guard let self, !Task.isCancelled else { return }
        if let last, last.isFinished {
          self.ended(job, id: id, tracker: last)
        } else {
          self.lost(job, id: id, reason: "following it stopped without an end")
        }
      } catch {
        guard let self, !Task.isCancelled else { return }
        self.lost(job, id: id, reason: Self.describe(error))
      }
    }
  }

  private func ended(_ job: PoolJob, id: String, tracker: PromptTracker) {
    guard job.promptID == id, !job.isSettled else { return }
    let member = members[job.member]
    member.inFlight.remove(id)
    member.noteFinished(seconds: tracker.totalSeconds, success: tracker.outcome == .success)
    job.tracker = tracker
    job.endedAt = Monotonic.now()
    server?.keepFinal(tracker)
  }

  /// Following failed for a reason of the member (socket gone for good, prompt forgotten by a restart,
  /// requests failing): the member goes down and its unfinished prompts move.
  private func lost(_ job: PoolJob, id: String, reason: String) {
    guard job.promptID == id, !job.isSettled, !job.moving else { return }
    markDown(job.member, reason: reason)
  }

  /// Stops using a member; each of its unfinished prompts is posted once to another member.
  func markDown(_ index: Int, reason: String) {
    let member = members[index]
    guard member.isUp else { return }
    member.downReason = reason
    let stranded = jobs.filter { $0.member == index && !$0.isSettled && !$0.moving }
    console.notice(
      "pool \(label): \(member.name) is down (\(reason))"
        + (stranded.isEmpty ? "" : "; moving its \(Render.plural(stranded.count, "unfinished prompt"))"))
    for job in stranded {
      job.follower?.cancel()
      member.inFlight.remove(job.promptID)
      move(job, from: member)
    }
  }

  private func move(_ job: PoolJob, from member: PoolMember) {
    guard job.moves.isEmpty else {
      job.lostReason = "lost on \(member.name) after it had moved there once; not posted again"
      return
    }
    job.moving = true
    let oldID = job.promptID
    Task { [weak self] in
      guard let self else { return }
      do {
        let queued = try await self.post(job)
        let move = PoolJob.Move(
          fromMember: member.name, toMember: self.members[job.member].name, oldID: oldID,
          newID: queued.promptID)
        job.moves.append(move)
        self.console.notice(
          "pool \(self.label): prompt \(oldID) moved from \(move.fromMember) to \(move.toMember) as \(move.newID)"
        )
      } catch {
        job.lostReason = "lost on \(member.name) and not posted again: \(Self.describe(error))"
      }
      job.moving = false
    }
  }

  /// Ends following (prompts keep running on their servers) and closes the pool's own connections.
  func close() async {
    for job in jobs { job.follower?.cancel() }
    guard ownsConnections else { return }
    for member in members { await member.connection.close() }
  }

  static func describe(_ error: any Error) -> String {
    if let error = error as? ComfyClientError { return error.description }
    if let error = error as? ShellError { return error.message }
    return "\(error)"
  }
}
