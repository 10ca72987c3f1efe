import ComfyClient
import Synchronization
import Workflow

/// `trace on`: the server session's traffic tap fills a buffer that the main actor prints from, as
/// notices (above the prompt, never recorded or checked). The console empties it before writing
/// anything else, so the traffic that led to a line is printed before the line.
final class Tracing: Sendable {
  let full: Bool
  private let pending = Mutex<[(event: TrafficEvent, time: Double)]>([])

  init(full: Bool) { self.full = full }

  /// True when the buffer was empty, so a drain must be scheduled.
  func add(_ event: TrafficEvent) -> Bool {
    pending.withLock {
      $0.append((event, Monotonic.now()))
      return $0.count == 1
    }
  }

  func take() -> [(event: TrafficEvent, time: Double)] {
    pending.withLock { events in
      defer { events = [] }
      return events
    }
  }
}

extension Session {
  var isTracing: Bool { tracing != nil }

  func startTrace(full: Bool) {
    if tracing != nil { stopTrace() }
    let tracing = Tracing(full: full)
    let words = TraceWords(full: full, json: console.jsonMode, start: Monotonic.now())
    traceWords = words
    self.tracing = tracing
    server.traffic.start { [weak self] event in
      guard tracing.add(event) else { return }
      Task { @MainActor in self?.printTrace() }
    }
    console.beforeOutput = { [weak self] in self?.printTrace() }
  }

  /// Stops listening and prints what was still waiting.
  func stopTrace() {
    guard tracing != nil else { return }
    server.traffic.stop()
    printTrace()
    tracing = nil
    console.beforeOutput = nil
  }

  /// Prints what is waiting, in the order it happened (printing a line must not start another round).
  func printTrace() {
    guard let tracing, let words = traceWords, !tracePrinting else { return }
    tracePrinting = true
    defer { tracePrinting = false }
    var batch = tracing.take()
    while !batch.isEmpty {
      for (event, time) in batch {
        for line in words.lines(event, at: time, mask: masked) { console.notice(line) }
      }
      batch = tracing.take()
    }
  }
}
