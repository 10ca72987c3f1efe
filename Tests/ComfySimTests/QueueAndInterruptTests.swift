import ComfySim
import Media
import NIOHTTP1
import TestSupport
import Testing
import Workflow

/// A long upscale job (162 progress steps) runs about 1.6 s with this delay per step.
private let slowSteps = SimulatorConfiguration(stepDelay: .milliseconds(10))

@Suite("Queue, interrupt and API keys")
struct QueueAndInterruptTests {
  @Test(
    "GET /queue while running; delete and clear touch pending items only; interrupts",
    .timeLimit(.minutes(1)), .simulator(slowSteps), needsFixtures)
  func interruptAndQueue() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "comfysh-queue")
    _ = await socket.next()
    func post(_ prompt: JSONValue) async throws -> String {
      let answer = try await sim.post("/prompt", json: ["client_id": "comfysh-queue", "prompt": prompt])
      return try #require(answer.json?["prompt_id"]?.stringValue)
    }
    let long = try await post(SmallPrompts.upscale())
    let small1 = try await post(SmallPrompts.basic(color: 1, width: 8))
    let small2 = try await post(SmallPrompts.basic(color: 2, width: 8))
    _ = await socket.collect { $0.kind == "progress" }

    let queue = try #require(try await sim.get("/queue").json)
    #expect(queue["queue_running"]?.arrayValue?.map { $0[1] } == [.string(long)])
    #expect(queue["queue_pending"]?.arrayValue?.map { $0[1] } == [.string(small1), .string(small2)])
    let recorded = try #require(
      try Fixtures.json("exec/interrupt-and-queue.http.json")[3]?["response"]?["body"])
    #expect(shapeDifferences(withoutPrompts(recorded), withoutPrompts(queue)) == [])

    #expect(try await sim.post("/queue", json: ["delete": [.string(small2)]]).status == 200)
    #expect(try await sim.get("/queue").json?["queue_pending"]?.arrayValue?.count == 1)
    #expect(try await sim.post("/queue", json: ["clear": true]).body.isEmpty)
    let cleared = try await sim.get("/queue").json
    #expect(cleared?["queue_pending"] == [] && cleared?["queue_running"]?.arrayValue?.count == 1)

    // A prompt id that is not running: ignored, still 200.
    #expect(try await sim.post("/interrupt", json: ["prompt_id": .string(small1)]).status == 200)
    let meanwhile = await socket.collect(timeout: .seconds(3)) { $0.kind == "progress" }
    #expect(!meanwhile.contains { $0.kind == "execution_interrupted" })
    #expect(meanwhile.contains { $0.kind == "progress" })

    // No body: a global interrupt.
    #expect(try await sim.request(.POST, "/interrupt").status == 200)
    let end = await socket.collectPrompt()
    #expect(Array(kinds(end).suffix(3)) == ["execution_interrupted", "status", "executing"])
    let interrupted = try #require(end.first { $0.kind == "execution_interrupted" }?.data)
    #expect(interrupted["node_id"] == "3" && interrupted["node_type"] == "ImageUpscaleWithModel")
    #expect(Set(interrupted["executed"]?.arrayValue ?? []) == ["1", "2"])
    #expect(
      interrupted.objectValue?.keys.elements == [
        "prompt_id", "node_id", "node_type", "executed", "timestamp",
      ])

    let history = try #require(onlyValue(try await sim.get("/history/\(long)").json))
    #expect(history["status"]?["status_str"] == "error" && history["outputs"] == [:])
    #expect(
      history["status"]?["messages"]?.arrayValue?.compactMap { $0[0] } == [
        "execution_start", "execution_cached", "execution_interrupted",
      ])
    #expect(try await sim.get("/queue").json == ["queue_running": [], "queue_pending": []])
    #expect(try await sim.get("/history/\(small1)").json == [:])
    await socket.close()
  }

  @Test(
    "POST /interrupt with the running prompt's id interrupts it", .timeLimit(.minutes(1)),
    .simulator(slowSteps))
  func targetedInterrupt() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "int2")
    _ = await socket.next()
    let answer = try await sim.post("/prompt", json: ["client_id": "int2", "prompt": SmallPrompts.upscale()])
    let id = try #require(answer.json?["prompt_id"]?.stringValue)
    _ = await socket.collect { $0.kind == "progress" }
    _ = try await sim.post("/interrupt", json: ["prompt_id": .string(id)])
    let end = await socket.collectPrompt()
    let interrupted = try #require(end.first { $0.kind == "execution_interrupted" }?.data)
    #expect(interrupted["prompt_id"]?.stringValue == id)
    #expect(end.filter { $0.kind == "progress" }.count < 100)
    // The next prompt runs normally: the interrupt does not linger.
    _ = try await sim.post("/prompt", json: ["client_id": "int2", "prompt": SmallPrompts.basic()])
    let next = await socket.collectPrompt()
    #expect(next.contains { $0.kind == "execution_success" })
    await socket.close()
  }

  @Test("an interrupt while idle does not affect the next prompt", .simulator)
  func idleInterrupt() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "idle")
    _ = await socket.next()
    #expect(try await sim.request(.POST, "/interrupt").status == 200)
    _ = try await sim.post("/prompt", json: ["client_id": "idle", "prompt": SmallPrompts.basic()])
    #expect(await socket.collectPrompt().contains { $0.kind == "execution_success" })
    await socket.close()
  }

  @Test("front: true goes before pending prompts", .timeLimit(.minutes(1)), .simulator(slowSteps))
  func frontOfQueue() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "front")
    _ = await socket.next()
    _ = try await sim.post(
      "/prompt", json: ["client_id": "front", "prompt": SmallPrompts.upscale(size: 2048)])
    let back = try await sim.post(
      "/prompt", json: ["client_id": "front", "prompt": SmallPrompts.basic(color: 5)])
    let front = try await sim.post(
      "/prompt", json: ["client_id": "front", "prompt": SmallPrompts.basic(color: 6), "front": true])
    let pending = try await sim.get("/queue").json?["queue_pending"]?.arrayValue?.map { $0[1] }
    #expect(pending?.first == front.json?["prompt_id"])
    _ = try await sim.request(.POST, "/interrupt")
    var order: [JSONValue] = []
    while order.count < 3 {
      let frames = await socket.collect { $0.kind == "execution_start" }
      guard let start = frames.last, start.kind == "execution_start" else { break }
      order.append(start.data?["prompt_id"] ?? .null)
    }
    #expect(
      Array(order.dropFirst()) == [front.json?["prompt_id"] ?? .null, back.json?["prompt_id"] ?? .null])
    await socket.close()
  }

  @Test(
    "GET /queue shows the API key of a running prompt; history strips it; the test hook saw it",
    .simulator(slowSteps), needsFixtures)
  func apiKeyInQueueNotHistory() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "qkey")
    _ = await socket.next()
    let answer = try await sim.post(
      "/prompt",
      json: [
        "client_id": "qkey", "prompt": SmallPrompts.upscale(),
        "extra_data": ["api_key_comfy_org": "comfyui-FAKEKEY", "auth_token_comfy_org": "token"],
      ])
    let id = try #require(answer.json?["prompt_id"]?.stringValue)
    _ = await socket.collect { $0.kind == "progress" }
    let running = try #require(try await sim.get("/queue").json?["queue_running"]?[0])
    #expect(
      running[3] == [
        "api_key_comfy_org": "comfyui-FAKEKEY", "auth_token_comfy_org": "token", "client_id": "qkey",
      ])
    let recorded = try Fixtures.json("misc/queue-shows-api-key-history-does-not.http.json")[1]?[
      "response"]?["body"]
    let recordedItem = withoutPrompts(["queue_running": [recorded?["queue_running"]?[0] ?? .null]])
    #expect(
      shapeDifferences(recordedItem, withoutPrompts(["queue_running": [running]]), extraKeysAllowed: true)
        == [])
    _ = try await sim.post("/interrupt", json: ["prompt_id": .string(id)])
    _ = await socket.collectPrompt()
    let history = try #require(onlyValue(try await sim.get("/history/\(id)").json))
    #expect(history["prompt"]?[3] == ["client_id": "qkey"])
    #expect(!(try await sim.get("/history").text.contains("FAKEKEY")))
    #expect(sim.simulator.receivedAPIKeys == ["comfyui-FAKEKEY"])
    await socket.close()
  }
}

@Suite("API nodes", needsFixtures)
struct APINodeTests {
  @Test("FluxProUltraImageNode without a key fails as ComfyUI does, before any network", .simulator)
  func withoutKey() async throws {
    let sim = try SimHarness.require()
    let upload = try await sim.upload(try Fixtures.read("api-nodes/example.png"), filename: "example.png")
    #expect(upload.json == ["name": "example.png", "subfolder": "", "type": "input"])
    let run = try await sim.replay("api-nodes/main/seed-no-key.post_prompt.json")
    #expect(run.answer.status == 200 && run.answer.json?["node_errors"] == [:])
    #expect(kinds(run.frames) == (try Fixtures.messageKinds("api-nodes/main/seed-no-key.ws.jsonl")))
    let recorded = try #require(
      try Fixtures.messages("api-nodes/main/seed-no-key.ws.jsonl").first { $0["type"] == "execution_error" }?[
        "data"])
    let error = try #require(run.frames.first { $0.kind == "execution_error" }?.data)
    #expect(shapeDifferences(recorded, error) == [])
    for key in ["node_id", "node_type", "executed", "exception_message", "exception_type"] {
      #expect(error[key] == recorded[key], "\(key)")
    }
    #expect(error["exception_message"] == "Unauthorized: Please login first to use this node.\n")
    #expect(
      error["current_inputs"]?.objectValue?.keys.elements
        == recorded["current_inputs"]?.objectValue?.keys.elements)
    let history = try #require(onlyValue(try await sim.get("/history/\(run.promptID)").json))
    let recordedHistory = try #require(
      onlyValue(try Fixtures.json("api-nodes/main/seed-no-key.history.json")["response"]?["body"]))
    #expect(shapeDifferences(recordedHistory, history) == [])
    #expect(sim.simulator.receivedAPIKeys == [])
  }

  @Test(
    "with a key the paid node makes an image; the key reaches the test hook and leaves history", .simulator)
  func withKey() async throws {
    let sim = try SimHarness.require()
    _ = try await sim.upload(try Fixtures.read("api-nodes/example.png"), filename: "example.png")
    let run = try await sim.replay("api-nodes/main/seed-fake-key.post_prompt.json")
    #expect(run.frames.contains { $0.kind == "execution_success" })
    let saved = try #require(run.frames.first { $0.kind == "executed" }?.data?["output"]?["images"]?[0])
    #expect(saved["filename"] == "ComfyUI_00001_.png")
    let view = try await sim.get("/view?filename=ComfyUI_00001_.png")
    let size = try #require(ImageFilesProbe.size(view.body))
    #expect(size.width == 256 && size.height == 256)  // 2048² requested, capped
    #expect(sim.simulator.receivedAPIKeys == ["comfyui-FAKEKEY"])
    let history = try #require(onlyValue(try await sim.get("/history/\(run.promptID)").json))
    #expect(history["prompt"]?[3]?["api_key_comfy_org"] == nil)
    #expect(history["status"]?["status_str"] == "success")
  }
}

/// Reads a PNG's size from its IHDR.
enum ImageFilesProbe {
  static func size(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard PNGChunks.isPNG(bytes), bytes.count >= 24 else { return nil }
    func u32(_ i: Int) -> Int {
      Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    }
    return (u32(16), u32(20))
  }
}

/// A `/queue` answer with each item's prompt (element 2) emptied: the recordings queued other graphs.
func withoutPrompts(_ queue: JSONValue) -> JSONValue {
  guard case .object(var lists) = queue else { return queue }
  for (key, value) in lists {
    lists[key] = .array(
      (value.arrayValue ?? []).map { item in
        guard case .array(var parts) = item, parts.count > 2 else { return item }
        parts[2] = [:]
        return .array(parts)
      })
  }
  return .object(lists)
}
