import ComfyClient
import Workflow

/// `watch` of a sweep: a live line per member and one for the sweep (done/total, rate, ETA) on a
/// terminal; at the end the recorded lines: the totals and each prompt that did not succeed, with its
/// member. Which member ran what is a notice, never recorded, so a replay on another pool (or one
/// server) matches.
@MainActor
enum SweepWatch {
  static func run(_ pool: ServerPool, session: Session) async throws {
    let end = pool.jobs.count
    let jobs = Array(pool.unwatched)
    guard !jobs.isEmpty else { return }
    let started = pool.sweepStartedAt ?? Monotonic.now()
    let live = session.server.liveProgress && !session.console.jsonMode
    var drawn = false
    defer { if drawn { TextSink.stdout.write("\r\u{1B}[J") } }
    while true {
      let settled = jobs.count(where: { $0.isSettled })
      if live {
        draw(lines(pool, jobs: jobs, started: started))
        drawn = true
      }
      if settled == jobs.count { break }
      do {
        try await Task.sleep(for: .milliseconds(100))
      } catch {
        throw ShellError(
          "stopped watching the sweep (\(settled) of \(jobs.count) ended); its prompts go on: `watch` follows it again"
        )
      }
    }
    if drawn {
      TextSink.stdout.write("\r\u{1B}[J")
      drawn = false
    }
    pool.firstUnwatched = max(pool.firstUnwatched, end)
    try report(pool, jobs: jobs, started: started, session: session)
  }

  /// The live lines: one per member, then the sweep's progress.
  static func lines(_ pool: ServerPool, jobs: [PoolJob], started: Double) -> [String] {
    var rows: [String] = []
    for (index, member) in pool.members.enumerated() {
      let done = jobs.count(where: { $0.member == index && $0.outcome == .success })
      var row = "  \(member.name): "
      row += member.isUp ? "\(member.inFlight.count) in flight · \(done) done" : "down · \(done) done"
      if let seconds = member.secondsPerPrompt { row += " · " + ServerFormat.seconds(seconds) + "/prompt" }
      rows.append(row)
    }
    let settled = jobs.count(where: { $0.isSettled })
    let elapsed = max(Monotonic.now() - started, 0.001)
    let rate = Double(settled) / elapsed
    var progress = "  \(settled)/\(jobs.count) · " + rateText(rate)
    if rate > 0, settled < jobs.count {
      progress += " · ETA " + ServerFormat.seconds(Double(jobs.count - settled) / rate)
    }
    rows.append(progress)
    return rows
  }

  static func rateText(_ rate: Double) -> String {
    let rounded = (rate * 10).rounded() / 10
    return "\(rounded) prompts/s"
  }

  private static func draw(_ lines: [String]) {
    var text = "\r\u{1B}[J" + lines.map(TerminalText.visible).joined(separator: "\n")
    if lines.count > 1 { text += "\u{1B}[\(lines.count - 1)A\r" }
    TextSink.stdout.write(text)
    TextSink.stdout.flush()
  }

  private static func report(_ pool: ServerPool, jobs: [PoolJob], started: Double, session: Session) throws {
    let finish = jobs.compactMap({ $0.endedAt }).max() ?? Monotonic.now()
    let seconds = max(finish - started, 0)
    let succeeded = jobs.count(where: { $0.outcome == .success })
    let unsuccessful = jobs.filter { $0.outcome != .success }
    var text = "sweep of \(Render.plural(jobs.count, "prompt")): \(succeeded) succeeded"
    if !unsuccessful.isEmpty { text += ", \(unsuccessful.count) did not" }
    text += " in " + ServerFormat.seconds(seconds)
    var lines = [text]
    for job in unsuccessful {
      lines.append("  " + describe(job, pool: pool, session: session))
    }
    let moves = jobs.flatMap({ $0.moves })
    session.console.result(
      lines: lines,
      json: [
        "type": "sweep", "prompts": .int(jobs.count), "succeeded": .int(succeeded),
        "seconds": .double(seconds),
        "prompts_per_second": .double(seconds > 0 ? Double(jobs.count) / seconds : 0),
        "failures": .array(
          unsuccessful.map {
            [
              "prompt_id": .string($0.promptID), "member": .string(pool.members[$0.member].name),
              "status": .string($0.outcome?.word ?? "lost"),
              "message": .string(describe($0, pool: pool, session: session)),
            ]
          }),
        "members": .array(
          pool.members.enumerated().map { index, member in
            [
              "name": .string(member.name), "url": .string(member.address.description),
              "succeeded": .int(jobs.count(where: { $0.member == index && $0.outcome == .success })),
              "up": .bool(member.isUp),
            ]
          }),
        "jobs": .array(
          jobs.map {
            [
              "prompt_id": .string($0.promptID), "member": .string(pool.members[$0.member].name),
              "status": .string($0.outcome?.word ?? "lost"), "moved": .bool(!$0.moves.isEmpty),
            ]
          }),
        "moves": .array(
          moves.map {
            [
              "from": .string($0.fromMember), "to": .string($0.toMember), "old_prompt_id": .string($0.oldID),
              "new_prompt_id": .string($0.newID),
            ]
          }),
      ])
    // Which member ran what changes from run to run: a notice, not part of a recording.
    if !session.console.jsonMode {
      let shares = pool.members.enumerated().map { index, member in
        "\(member.name) \(jobs.count(where: { $0.member == index && $0.outcome == .success }))"
      }
      var notice =
        "\(pool.name.isEmpty ? "server" : "pool " + pool.name): "
        + rateText(seconds > 0 ? Double(jobs.count) / seconds : 0) + " · " + shares.joined(separator: ", ")
      if !moves.isEmpty { notice += " · " + Render.plural(moves.count, "prompt") + " moved" }
      session.console.notice(notice)
    }
    if !unsuccessful.isEmpty {
      throw ShellError(
        "\(unsuccessful.count) of \(Render.plural(jobs.count, "prompt")) did not succeed (listed above); `watch ID` shows one"
      )
    }
  }

  /// `failed: ID on work: node 3 (KSampler): CUDA out of memory`.
  static func describe(_ job: PoolJob, pool: ServerPool, session: Session) -> String {
    let member = pool.members[job.member].name
    switch job.outcome {
    case .failed(let failure)?:
      let message = failure.exceptionMessage.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
      return session.masked(
        "failed: \(job.promptID) on \(member): node \(failure.nodeID) (\(failure.nodeType)): \(message)")
    case .interrupted?: return "interrupted: \(job.promptID) on \(member)"
    case .cancelled?: return "cancelled: \(job.promptID) on \(member)"
    case .ended?: return "ended without a result: \(job.promptID) on \(member)"
    case .success?: return "succeeded: \(job.promptID) on \(member)"
    case nil: return "lost: \(job.promptID) on \(member): \(job.lostReason ?? "no end was heard")"
    }
  }
}
