import ComfySim
import TestSupport
import Testing
import Workflow

/// The four recorded reconnect scenarios (`exec/reconnect-*`), with a 2048² batch-2 upscale
/// (50 progress steps) slowed down so the sockets can come and go mid-run.
@Suite("WebSocket reconnects", .timeLimit(.minutes(1)))
struct ReconnectTests {
  static let configuration = SimulatorConfiguration(stepDelay: .milliseconds(15))
  /// The mid-run case must reconnect before the run ends: 50 steps of 60 ms leave about 2.5 s after
  /// the new socket is due (15 ms steps left 0.6 s, and a fresh clone under load once missed them).
  static let slowConfiguration = SimulatorConfiguration(stepDelay: .milliseconds(60))

  static func start(_ sim: SimHarness, client: String) async throws -> (TestSocket, String) {
    let socket = try await sim.socket(clientID: client, hello: true)
    _ = await socket.collect { $0.kind == "feature_flags" }
    let answer = try await sim.post(
      "/prompt", json: ["client_id": .string(client), "prompt": SmallPrompts.upscale(size: 2048)])
    return (socket, try #require(answer.json?["prompt_id"]?.stringValue))
  }

  @Test(
    "mid-run: the new socket is greeted with the running node, then gets the rest of the run",
    .simulator(ReconnectTests.slowConfiguration), needsFixtures)
  func midRun() async throws {
    let sim = try SimHarness.require()
    let (first, id) = try await Self.start(sim, client: "rc-mid")
    var seen = 0
    _ = await first.collect { frame in
      if frame.kind == "progress" { seen += 1 }
      return seen == 3
    }
    await first.close()
    try await Task.sleep(for: .milliseconds(200))
    let second = try await sim.socket(clientID: "rc-mid", hello: true)
    let frames = await second.collectPrompt()
    await second.close()
    let head = Array(kinds(frames).prefix(2))
    #expect(head == ["status", "executing"])
    #expect(greetingIsValid(frames))
    #expect(
      frames[0].data?["sid"] == "rc-mid" && frames[0].data?["status"]?["exec_info"]?["queue_remaining"] == 1)
    #expect(frames[1].data == ["node": "3"])
    #expect(!kinds(frames).contains("execution_start") && !kinds(frames).contains("execution_cached"))
    let firstProgress = try #require(
      frames.first { $0.kind == "progress" }?.data?["value"]?.numberValue?.int64Value)
    #expect(firstProgress > 4)  // progress sent while no socket was registered is lost
    let state = try #require(frames.first { $0.kind == "progress_state" }?.data?["nodes"])
    #expect(state["1"]?["state"] == "finished" && state["3"]?["state"] == "running")
    #expect(Array(kinds(frames).suffix(4)) == ["progress_state", "execution_success", "status", "executing"])
    let history = try #require(onlyValue(try await sim.get("/history/\(id)").json))
    #expect(history["status"]?["status_str"] == "success")
    let recorded = try Fixtures.messageKinds("exec/reconnect-mid-run.ws.jsonl", socket: 2)
    #expect(Array(recorded.prefix(2)) == head)
    #expect(Array(recorded.suffix(7)) == Array(kinds(frames).suffix(7)))
  }

  @Test(
    "after the finish: the new socket gets only status and feature_flags; history has the outcome",
    .simulator(ReconnectTests.configuration), needsFixtures)
  func afterFinish() async throws {
    let sim = try SimHarness.require()
    let (first, id) = try await Self.start(sim, client: "rc-after")
    _ = await first.collect { $0.kind == "progress" }
    await first.close()
    var history: JSONValue? = [:]
    _ = try await eventually(every: .milliseconds(50)) {
      history = try await sim.get("/history/\(id)").json
      return history != [:]
    }
    #expect(onlyValue(history)?["status"]?["status_str"] == "success")
    let second = try await sim.socket(clientID: "rc-after", hello: true)
    let frames = await second.drain(for: .seconds(1))
    await second.close()
    #expect(kinds(frames) == ["status", "feature_flags"])
    #expect(frames.first?.data?["status"]?["exec_info"]?["queue_remaining"] == 0)
    #expect(kinds(frames) == (try Fixtures.messageKinds("exec/reconnect-after-finish.ws.jsonl", socket: 2)))
  }

  @Test(
    "replaced: the old socket stays open but silent; the new one gets everything",
    .simulator(ReconnectTests.configuration))
  func replaced() async throws {
    let sim = try SimHarness.require()
    let (first, _) = try await Self.start(sim, client: "rc-replace")
    _ = await first.collect { $0.kind == "progress" }
    let second = try await sim.socket(clientID: "rc-replace", hello: true)
    var frames = await second.collect { $0.kind == "progress" }
    frames += await second.collectPrompt()
    let late = await first.drain(for: .milliseconds(200))
    #expect(!first.isClosed)
    // Frames queued for the old socket before the new one registered may still be on their way;
    // nothing sent after that reaches it.
    let handOver = progressValues(frames).first ?? 0
    #expect(
      progressValues(late).allSatisfy { $0 < handOver }, "old: \(progressValues(late)), new from \(handOver)")
    #expect(!late.contains { ["executing", "executed", "execution_success", "status"].contains($0.kind) })
    #expect(greetingIsValid(frames))
    #expect(frames.contains { $0.kind == "executed" } && frames.last?.isEndOfPrompt == true)
    await second.close()
    await first.close()
  }

  @Test(
    "closing the replaced socket unregisters the new one, which then hears nothing",
    .simulator(ReconnectTests.configuration))
  func replacedOldClosed() async throws {
    let sim = try SimHarness.require()
    // The output node waits until the old socket's close has been handled: on a loaded machine the
    // server may take a while to see the close, and until then the new socket rightly hears the run.
    sim.simulator.setFaults(SimulatorFaults(heldNodes: ["4"]))
    let (first, id) = try await Self.start(sim, client: "rc-deaf")
    _ = await first.collect { $0.kind == "progress" }
    let second = try await sim.socket(clientID: "rc-deaf", hello: true)
    _ = await second.collect { $0.kind == "progress" }
    await first.close()
    let unregistered = try await eventually(every: .milliseconds(20)) {
      !sim.simulator.connectedClientIDs.contains("rc-deaf")
    }
    #expect(unregistered)
    // What was sent before the close was handled may still be on its way.
    _ = await second.drain(for: .milliseconds(200))
    sim.simulator.setFaults(SimulatorFaults())
    var history: JSONValue? = [:]
    _ = try await eventually(every: .milliseconds(50)) {
      history = try await sim.get("/history/\(id)").json
      return history != [:]
    }
    let rest = await second.drain(for: .milliseconds(100))
    #expect(
      !rest.contains { $0.kind == "executed" || $0.kind == "execution_success" || $0.isEndOfPrompt },
      "\(rest)")
    // Another client's job: its status broadcasts reach every registered socket, not this one.
    let other = try await sim.socket(clientID: "someone-else")
    _ = try await sim.post("/prompt", json: ["client_id": "someone-else", "prompt": SmallPrompts.basic()])
    _ = await other.collectPrompt()
    let heard = await second.drain(for: .milliseconds(200))
    // Nothing of the other job (its status broadcasts, its messages) may reach it. On a loaded
    // machine a message of the first run sent before the close was handled can still be on its way;
    // its end, sent after, cannot.
    let sentBeforeTheClose: Set<String> = ["progress", "progress_state", "executing"]
    #expect(
      heard.allSatisfy {
        sentBeforeTheClose.contains($0.kind) && $0.data?["prompt_id"]?.stringValue == id && !$0.isEndOfPrompt
      }, "\(heard)")
    #expect(!second.isClosed)
    await second.close()
    await other.close()
  }

  @Test("a socket without clientId gets a made-up uuid4 hex sid", .simulator)
  func madeUpClientID() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: nil)
    let greeting = try #require(await socket.next())
    let sid = try #require(greeting.data?["sid"]?.stringValue)
    #expect(sid.count == 32 && sid.allSatisfy { $0.isHexDigit })
    #expect(greeting.data?["status"] == ["exec_info": ["queue_remaining": 0]])
    await socket.close()
  }
}

/// The reconnect greeting: `status` (with sid), `executing {node}`, and the `feature_flags` reply
/// somewhere before the run's end (the reply can trail progress sent while the hello was in flight).
func greetingIsValid(_ frames: [ReceivedFrame]) -> Bool {
  let kinds = frames.map(\.kind)
  guard kinds.count > 2, kinds[0] == "status", kinds[1] == "executing",
    let flags = kinds.firstIndex(of: "feature_flags"), let executed = kinds.firstIndex(of: "executed")
  else { return false }
  return flags < executed && frames[0].data?["sid"] != nil && frames[1].data?["prompt_id"] == nil
}

/// The values of the `progress` messages among `frames`.
func progressValues(_ frames: [ReceivedFrame]) -> [Int64] {
  frames.compactMap { frame in frame.kind == "progress" ? frame.data?["value"]?.numberValue?.int64Value : nil
  }
}
