import AsyncHTTPClient
import ComfySim
import TestSupport
import Testing
import Workflow

@Suite("Start and stop")
struct LifecycleTests {
  @Test(
    "stop() returns promptly with a socket and a running prompt; the socket is closed; the temp folder goes")
  func stopWhileBusy() async throws {
    let sim = try await SimHarness.start(.init(stepDelay: .milliseconds(50)))
    let folder = sim.simulator.dataFolder
    #expect(FileIO.isFolder(folder + "/output"))
    let socket = try await sim.socket(clientID: "busy")
    _ = await socket.next()
    _ = try await sim.post("/prompt", json: ["client_id": "busy", "prompt": SmallPrompts.upscale()])
    _ = await socket.collect { $0.kind == "progress" }
    let clock = ContinuousClock()
    let elapsed = await clock.measure { await sim.stop() }
    #expect(elapsed < .seconds(5))
    // The close reaches the client when its reader gets to it: seconds on a loaded machine.
    let closed = await eventually(within: .seconds(20), every: .milliseconds(50)) {
      _ = await socket.drain(for: .milliseconds(50))
      return socket.isClosed
    }
    #expect(closed)
    #expect(!FileIO.exists(folder))
    // A new client (no pooled connection), which gives up quickly on a refused connection.
    let client = HTTPClient(
      eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(1))))
    await #expect(throws: (any Error).self) { _ = try await sim.request(.GET, "/prompt", client: client) }
    try await client.shutdown()
  }

  @Test("a given data folder is used and kept; a started simulator cannot start again")
  func dataFolderAndRestart() async throws {
    let root = try #require(
      FileIO.isFolder("/tmp") ? "/tmp/comfysim-test-\(UInt32.random(in: 0...UInt32.max))" : nil)
    let sim = try await SimHarness.start(.init(dataFolder: root))
    #expect(sim.simulator.dataFolder == root)
    #expect(sim.simulator.port > 0 && sim.simulator.baseURL == "http://127.0.0.1:\(sim.simulator.port)")
    await #expect(throws: SimulatorError.self) { try await sim.simulator.start() }
    _ = try await sim.upload(SmallPrompts.pngBytes(), filename: "kept.png")
    await sim.stop()
    #expect(FileIO.exists(root + "/input/kept.png"))
    // A new simulator on the same folder sees the upload in LoadImage's choices.
    let again = try await SimHarness.start(.init(dataFolder: root))
    let choices = try await again.get("/object_info/LoadImage").json?["LoadImage"]?["input"]?["required"]?[
      "image"]?[0]
    #expect(choices == ["kept.png"])
    await again.stop()
    #expect(unlinkFile(root))
  }

  @Test("a catalog that is not an object_info object is refused at init, leaving no folder behind")
  func badCatalog() throws {
    let root = "/tmp/comfysim-test-\(UInt32.random(in: 0...UInt32.max))"
    #expect(throws: SimulatorError.self) {
      try ComfySimulator(.init(catalogJSON: ["not", "an", "object"], dataFolder: root))
    }
    #expect(!FileIO.exists(root))
  }
}
