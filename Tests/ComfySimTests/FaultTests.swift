import AsyncHTTPClient
import ComfySim
import NIOHTTP1
import TestSupport
import Testing
import Workflow

@Suite("Fault injection")
struct FaultTests {
  @Test("a route delay slows that route only, /api alias included", .simulator)
  func routeDelay() async throws {
    let sim = try SimHarness.require()
    // A long delay, so that a loaded machine answering the other route slowly cannot pass for it.
    sim.simulator.setFaults(.init(routeDelays: ["/queue": .seconds(3)]))
    let clock = ContinuousClock()
    let slow = try await clock.measure { _ = try await sim.get("/api/queue") }
    let fast = try await clock.measure { _ = try await sim.get("/prompt") }
    #expect(slow >= .seconds(3))
    #expect(fast < .seconds(3))
  }

  @Test("failOnce answers 500 once, then the route works again; /history covers /history/{id}", .simulator)
  func failOnce() async throws {
    let sim = try SimHarness.require()
    sim.simulator.setFaults(.init(failOnce: ["/prompt", "/history"]))
    let failed = try await sim.post("/prompt", json: ["prompt": SmallPrompts.basic()])
    #expect(failed.status == 500 && failed.text.hasPrefix("500 Internal Server Error"))
    #expect(try await sim.post("/prompt", json: ["prompt": SmallPrompts.basic()]).status == 200)
    #expect(try await sim.get("/history/abc").status == 500)
    #expect(try await sim.get("/history/abc").status == 200)
    #expect(sim.simulator.faults.failOnce.isEmpty)
  }

  @Test("dropWebSocketAfter cuts a socket after N messages; sockets opened before keep going", .simulator)
  func dropWebSocket() async throws {
    let sim = try SimHarness.require()
    let steady = try await sim.socket(clientID: "steady")
    sim.simulator.setFaults(.init(dropWebSocketAfter: 3))
    let fragile = try await sim.socket(clientID: "fragile")
    // Wait for the greeting: until then the server may not have registered the client id.
    let greeting = await fragile.next()
    #expect(greeting?.kind == "status")
    _ = try await sim.post("/prompt", json: ["client_id": "fragile", "prompt": SmallPrompts.basic()])
    // The cut reaches the client when its reader gets to it: seconds on a loaded machine.
    var received = await fragile.drain(for: .seconds(1))
    let closed = await eventually(within: .seconds(20), every: .milliseconds(50)) {
      received += await fragile.drain(for: .milliseconds(50))
      return fragile.isClosed
    }
    #expect(closed)
    #expect(received.count == 2)
    let other = await steady.drain(for: .milliseconds(100))
    #expect(other.contains { $0.kind == "status" })
    // The prompt still ran; its outcome is in history.
    let history = try #require(try await sim.get("/history").json?.objectValue)
    #expect(history.count == 1)
    await steady.close()
  }

  @Test("refuseConnections closes new connections at once; turning it off serves again", .simulator)
  func refuseConnections() async throws {
    let sim = try SimHarness.require()
    sim.simulator.setFaults(.init(refuseConnections: true))
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    var refused = false
    do {
      _ = try await sim.request(.GET, "/prompt", client: client)
    } catch {
      refused = true
    }
    #expect(refused)
    await #expect(throws: (any Error).self) { _ = try await sim.socket(clientID: "nope") }
    sim.simulator.setFaults(.init())
    #expect(try await sim.request(.GET, "/prompt", client: client).status == 200)
    try await client.shutdown()
  }

  @Test("nodeDelays slow a node (by class or id), and an interrupt cuts the wait short", .simulator)
  func slowNode() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "slow")
    _ = await socket.next()
    sim.simulator.setFaults(.init(nodeDelays: ["ImageInvert": .milliseconds(300)]))
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
      _ = try await sim.post("/prompt", json: ["client_id": "slow", "prompt": SmallPrompts.basic(color: 1)])
      _ = await socket.collectPrompt()
    }
    #expect(elapsed >= .milliseconds(300))
    sim.simulator.setFaults(.init(nodeDelays: ["3": .seconds(30)]))
    _ = try await sim.post("/prompt", json: ["client_id": "slow", "prompt": SmallPrompts.basic(color: 2)])
    _ = await socket.collect { $0.kind == "executing" && $0.data?["node"] == "3" }
    var end: [ReceivedFrame] = []
    let interrupted = try await clock.measure {
      _ = try await sim.request(.POST, "/interrupt")
      end = await socket.collectPrompt()
    }
    #expect(interrupted < .seconds(5))
    #expect(end.first { $0.kind == "execution_interrupted" }?.data?["node_id"] == "3")
    await socket.close()
  }
}
