import ComfySim
import NIOHTTP1
import TestSupport
import Testing
import Workflow

/// Replays the recorded HTTP exchanges (validation/, version/, misc/) against the simulator and
/// compares status codes and body shapes.
@Suite("HTTP conformance with the recordings", needsFixtures)
struct HTTPConformanceTests {
  static let validationCases = Fixtures.files(in: "validation", endingWith: ".json").filter {
    !$0.hasSuffix("index.json")
  }

  @Test(
    "POST /prompt answers every validation/ case as the real server", .simulator, arguments: validationCases)
  func validationCase(_ file: String) async throws {
    let recorded = try Fixtures.json(file)
    let request = try #require(recorded["request"])
    let expected = try #require(recorded["response"])
    let method = request["method"]?.stringValue ?? "GET"
    var headers: [(String, String)] = []
    for (name, value) in request["headers"]?.objectValue ?? [:] {
      headers.append((name, value.stringValue ?? ""))
    }
    let sim = try SimHarness.require()
    let body: [UInt8]?
    if let raw = request["body_raw"]?.stringValue {
      body = Array(raw.utf8)
    } else if let json = request["body"] {
      body = Array(json.serialized().utf8)
    } else {
      body = nil
    }
    // The recording's Origin case names port 8188; ours is ephemeral, so a matching Origin uses it.
    if let index = headers.firstIndex(where: { $0.0 == "Origin" }), headers[index].1.contains("127.0.0.1") {
      headers[index].1 = sim.baseURL
    }
    let answer = try await sim.request(
      method == "POST" ? .POST : .GET, request["path"]?.stringValue ?? "/", body: body, headers: headers)
    let status = Int(expected["status"]?.numberValue?.int64Value ?? 0)
    #expect(answer.status == status, "\(file): status")
    if let text = expected["body_text"]?.stringValue {
      #expect(answer.text == text, "\(file): body text")
      if !text.isEmpty {
        #expect(answer.header("Content-Type") == expected["headers"]?["Content-Type"]?.stringValue)
      }
    }
    if let body = expected["body"] {
      let actual = try #require(answer.json, "\(file): the answer is not JSON: \(answer.text)")
      #expect(shapeDifferences(body, actual) == [], "\(file)")
      #expect(actual["error"]?["type"] == body["error"]?["type"], "\(file): error type")
      let expectedTypes = (body["node_errors"]?.objectValue ?? [:]).values.flatMap {
        ($0["errors"]?.arrayValue ?? []).map { $0["type"] }
      }
      let actualTypes = (actual["node_errors"]?.objectValue ?? [:]).values.flatMap {
        ($0["errors"]?.arrayValue ?? []).map { $0["type"] }
      }
      #expect(actualTypes == expectedTypes, "\(file): node error types")
      if body["error"] != nil, body["node_errors"] != nil, file.contains("/a-") || file.contains("/b-") {
        #expect(actual == body, "\(file): the whole answer")
      }
    }
  }

  @Test("version/ routes answer with the recorded shapes", .simulator)
  func versionRoutes() async throws {
    let sim = try SimHarness.require()
    for file in [
      "features", "get_prompt", "embeddings", "models", "models_upscale_models", "object_info_NoSuchNode",
    ] {
      let recorded = try Fixtures.json("version/\(file).json")
      let path = try #require(recorded["request"]?["path"]?.stringValue)
      let answer = try await sim.get(path)
      #expect(answer.status == 200, "\(path)")
      #expect(answer.header("Content-Type") == "application/json; charset=utf-8", "\(path)")
      let body = try #require(recorded["response"]?["body"])
      let actual = try #require(answer.json)
      #expect(shapeDifferences(body, actual) == [], "\(path)")
    }
    #expect(
      try await sim.get("/features").json == Fixtures.json("version/features.json")["response"]?["body"])
    #expect(try await sim.get("/models").json == Fixtures.json("version/models.json")["response"]?["body"])
    let upscale = try #require(try await sim.get("/models/upscale_models").json?.arrayValue)
    #expect(upscale.contains("tiny-compact-x2.safetensors"))
    #expect(try await sim.get("/models/no_such_folder").status == 404)
  }

  @Test("system_stats has the recorded shape, says 0.3.64 and that it is a simulator", .simulator)
  func systemStats() async throws {
    let sim = try SimHarness.require()
    let recorded = try #require(try Fixtures.json("version/system_stats.json")["response"]?["body"])
    for path in ["/system_stats", "/api/system_stats"] {
      let actual = try #require(try await sim.get(path).json)
      #expect(shapeDifferences(recorded, actual, extraKeysAllowed: true) == [], "\(path)")
      #expect(actual["system"]?["comfyui_version"] == "0.3.64")
      #expect(actual["system"]?["simulator"]?.stringValue?.contains("simulator") == true)
      #expect(actual["system"]?["argv"]?.arrayValue?.contains("sim") == true)
    }
  }

  @Test("object_info/EmptyImage has the recorded keys and values; unknown classes answer 200 {}", .simulator)
  func objectInfo() async throws {
    let sim = try SimHarness.require()
    let recorded = try #require(
      try Fixtures.json("version/object_info_EmptyImage.json")["response"]?["body"])
    let actual = try #require(try await sim.get("/object_info/EmptyImage").json)
    #expect(shapeDifferences(recorded, actual) == [])
    #expect(actual["EmptyImage"]?["input"] == recorded["EmptyImage"]?["input"])
    #expect(actual["EmptyImage"]?["input_order"] == recorded["EmptyImage"]?["input_order"])
    let unknown = try await sim.get("/api/object_info/NoSuchNode")
    #expect(unknown.status == 200 && unknown.json == [:])
  }

  @Test("the built-in catalog declares what the recordings' classes declare", .simulator)
  func builtinCatalogMatchesRecordedTypes() async throws {
    let sim = try SimHarness.require()
    let recorded = try #require(try Fixtures.json("object_info.subset.json").objectValue)
    let all = try #require(try await sim.get("/object_info").json?.objectValue)
    for (name, info) in recorded where name != "PreviewAny" {
      let mine = try #require(all[name], "\(name) is missing")
      #expect(mine["output"] == info["output"], "\(name).output")
      #expect(mine["output_node"] == info["output_node"], "\(name).output_node")
      #expect(mine["input_order"] == info["input_order"], "\(name).input_order")
      #expect(
        (mine["api_node"]?.boolValue ?? false) == (info["api_node"]?.boolValue ?? false), "\(name).api_node"
      )
      for category in ["required", "optional"] {
        for (input, spec) in info["input"]?[category]?.objectValue ?? [:] {
          let own = mine["input"]?[category]?[input]
          #expect(
            own?.arrayValue?.first == spec.arrayValue?.first || spec.arrayValue?.first?.arrayValue != nil,
            "\(name).\(input) type")
          for key in ["default", "min", "max", "step"] {
            #expect(own?.arrayValue?.last?[key] == spec.arrayValue?.last?[key], "\(name).\(input).\(key)")
          }
        }
      }
    }
  }

  @Test("misc/: queue, queue clear, idle interrupt, api prefix", .simulator)
  func misc() async throws {
    let sim = try SimHarness.require()
    let queue = try await sim.get("/queue")
    #expect(try queue.json == Fixtures.json("misc/queue.json")["response"]?["body"])
    let clear = try await sim.post("/queue", json: ["clear": true])
    #expect(clear.status == 200 && clear.body.isEmpty)
    let interrupt = try await sim.request(.POST, "/interrupt")
    #expect(interrupt.status == 200 && interrupt.body.isEmpty)
    let features = try await sim.get("/api/features")
    #expect(try features.json == Fixtures.json("misc/api-prefix-features.json")["response"]?["body"])
  }
}

/// Route behaviour that needs no recording.
@Suite("HTTP routes")
struct HTTPRouteTests {
  @Test("invalid JSON bodies get aiohttp's 500 text page on every JSON route", .simulator)
  func invalidJSON() async throws {
    let sim = try SimHarness.require()
    for path in ["/prompt", "/queue", "/history", "/free", "/api/prompt"] {
      let answer = try await sim.post(path, raw: "{\"prompt\": {\"1\": ")
      #expect(answer.status == 500, "\(path)")
      #expect(answer.text == "500 Internal Server Error\n\nServer got itself in trouble", "\(path)")
      #expect(answer.header("Content-Type") == "text/plain; charset=utf-8", "\(path)")
    }
    // /interrupt reads a bad body as "no prompt id": a global interrupt, 200.
    #expect(try await sim.post("/interrupt", raw: "{").status == 200)
  }

  @Test("an Origin naming another host is refused with 403, a matching one is served", .simulator)
  func originRule() async throws {
    let sim = try SimHarness.require()
    let refused = try await sim.get("/prompt", headers: [("Origin", "http://example.com")])
    #expect(refused.status == 403 && refused.body.isEmpty)
    let matching = try await sim.get("/prompt", headers: [("Origin", sim.baseURL)])
    #expect(matching.status == 200)
    #expect(try await sim.get("/queue").status == 200)
    #expect(try await sim.get("/ws", headers: [("Origin", "http://evil.test")]).status == 403)
  }

  @Test(
    "POST /prompt numbers every POST, rejected or not; front: true is negative; client ids are honoured",
    .simulator)
  func numbering() async throws {
    let sim = try SimHarness.require()
    let bad = try await sim.post("/prompt", json: ["client_id": "x"])
    #expect(bad.status == 400 && bad.json?["error"]?["type"] == "no_prompt")
    let invalid = try await sim.post("/prompt", json: ["prompt": [:]])
    #expect(invalid.json?["error"]?["type"] == "prompt_no_outputs")
    let ok = try await sim.post(
      "/prompt", json: ["prompt": SmallPrompts.basic(), "prompt_id": "my-own-id"])
    #expect(ok.json?["number"] == 2)
    #expect(ok.json?["prompt_id"] == "my-own-id")
    let front = try await sim.post(
      "/prompt", json: ["prompt": SmallPrompts.basic(color: 3), "front": true])
    #expect(front.json?["number"] == -3)
    let given = try await sim.post("/prompt", json: ["prompt": SmallPrompts.basic(color: 4), "number": 7])
    #expect(given.json?["number"] == .number(JSONNumber(uncheckedText: "7.0")))
  }

  @Test("history: insertion order, max_items keeps the last N, offset, delete and clear", .simulator)
  func history() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "h")
    var ids: [String] = []
    for color in 0..<4 {
      let answer = try await sim.post(
        "/prompt", json: ["prompt": SmallPrompts.basic(color: color), "client_id": "h"])
      ids.append(try #require(answer.json?["prompt_id"]?.stringValue))
      _ = await socket.collectPrompt()
    }
    #expect(try await sim.get("/history").json?.objectValue?.keys.elements == ids)
    #expect(
      try await sim.get("/history?max_items=2").json?.objectValue?.keys.elements == Array(ids.suffix(2)))
    #expect(
      try await sim.get("/history?offset=1&max_items=2").json?.objectValue?.keys.elements
        == Array(ids[1...2]))
    #expect(try await sim.get("/history?max_items=x").status == 400)
    #expect(try await sim.get("/history/nope").json == [:])
    #expect(try await sim.get("/api/history/\(ids[0])").json?.objectValue?.keys.elements == [ids[0]])
    _ = try await sim.post("/history", json: ["delete": [.string(ids[0])]])
    #expect(try await sim.get("/history").json?.objectValue?.keys.elements == Array(ids.dropFirst()))
    _ = try await sim.post("/history", json: ["clear": true])
    #expect(try await sim.get("/history").json == [:])
    await socket.close()
  }

  @Test("/object_info lists the built-in nodes; LoadImage's choices follow input/", .simulator)
  func catalog() async throws {
    let sim = try SimHarness.require()
    let info = try #require(try await sim.get("/object_info").json?.objectValue)
    for name in [
      "EmptyImage", "ImageInvert", "ImageScale", "LoadImage", "SaveImage", "PreviewImage",
      "CheckpointLoaderSimple",
      "CLIPTextEncode", "KSampler", "EmptyLatentImage", "VAEDecode", "FluxProUltraImageNode",
      "GetImageSize",
      "UpscaleModelLoader", "ImageUpscaleWithModel", "SaveImageWebsocket", "PrimitiveInt",
    ] {
      #expect(info[name] != nil, "\(name)")
    }
    #expect(info["FluxProUltraImageNode"]?["api_node"] == true)
    #expect(
      info["CheckpointLoaderSimple"]?["input"]?["required"]?["ckpt_name"]?[0] == [
        "sim-checkpoint.safetensors"
      ])
    #expect(info["LoadImage"]?["input"]?["required"]?["image"]?[0] == [])
    _ = try await sim.upload(SmallPrompts.pngBytes(), filename: "b.png")
    _ = try await sim.upload(SmallPrompts.pngBytes(seed: 2), filename: "a.png")
    let after = try await sim.get("/object_info/LoadImage").json
    #expect(after?["LoadImage"]?["input"]?["required"]?["image"]?[0] == ["a.png", "b.png"])
  }
}
