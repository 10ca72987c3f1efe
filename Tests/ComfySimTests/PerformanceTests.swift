import ComfySim
import Testing
import Workflow

@Suite("Performance")
struct PerformanceTests {
  /// POST → `executing {node: null}` on the client's socket for a three-node job, as a client sees
  /// it in-process. Prints the figures; the bound is loose because debug builds and a shared CPU
  /// are slow, but it fails if a job ever waits on a timer or a poll.
  @Test("a small job takes milliseconds, not timer ticks", .simulator)
  func smallJobLatency() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "perf")
    _ = await socket.next()
    let clock = ContinuousClock()
    var fresh: [Duration] = []
    var cached: [Duration] = []
    for round in 0..<40 {
      let prompt = SmallPrompts.basic(color: round / 2, width: 64, prefix: "perf")
      let elapsed = try await clock.measure {
        _ = try await sim.post("/prompt", json: ["client_id": "perf", "prompt": prompt])
        _ = await socket.collectPrompt()
      }
      if round.isMultiple(of: 2) { fresh.append(elapsed) } else { cached.append(elapsed) }
    }
    await socket.close()
    func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
    print("comfysim small job (POST → executing null): median \(median(fresh)) run, \(median(cached)) cached")
    #expect(median(fresh) < .milliseconds(100))
    #expect(median(cached) < .milliseconds(100))
  }
}
