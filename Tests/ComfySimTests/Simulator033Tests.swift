import ComfySim
import Media
import NIOHTTP1
import TestSupport
import Testing
import Workflow

/// The simulator answering as ComfyUI 0.33.0, against the recordings of that server: its routes,
/// `/features`, node replacements, POST /prompt validation of every recorded case, and the jobs API.
@Suite("the simulator as ComfyUI 0.33", needsFixtures033)
struct Simulator033Tests {
  static let set = Fixtures.comfyUI_0_33

  /// The recorded server's catalog and node replacements, so the recorded prompts mean the same.
  static func recordedServer() async throws -> SimHarness {
    var configuration = SimulatorConfiguration(comfyUI: .comfyUI0_33)
    configuration.catalogJSON = try set.json("object_info.json")
    configuration.nodeReplacementsJSON = try set.responseBody("version/node_replacements.json")
    return try await SimHarness.start(configuration)
  }

  /// Without what only the real server can know: prompt ids, numbers, traceback frames (its files),
  /// and the order of one node's errors (Python set order, which changes from run to run).
  static func comparable(_ answer: JSONValue?) -> JSONValue? {
    guard case .object(var members)? = answer else { return answer }
    members.removeValue(forKey: "prompt_id")
    members.removeValue(forKey: "number")
    if case .object(var nodes)? = members["node_errors"] {
      for (id, entry) in nodes {
        guard case .object(var fields) = entry, case .array(let errors)? = fields["errors"] else { continue }
        let cleaned = errors.map { error -> JSONValue in
          guard case .object(var e) = error, case .object(var info)? = e["extra_info"] else { return error }
          info.removeValue(forKey: "traceback")
          e["extra_info"] = .object(info)
          return .object(e)
        }
        fields["errors"] = .array(cleaned.sorted { $0.serialized() < $1.serialized() })
        nodes[id] = .object(fields)
      }
      members["node_errors"] = .object(nodes)
    }
    return .object(members)
  }

  @Test func everyRecordedValidationCaseIsAnsweredAsTheServerDid() async throws {
    let sim = try await Self.recordedServer()
    var compared = 0
    for file in Self.set.files(in: "validation", endingWith: ".json") where !file.hasSuffix("index.json") {
      let recorded = try Self.set.json(file)
      guard let request = recorded["request"], request["path"] == "/prompt",
        let status = recorded["response"]?["status"]?.numberValue?.int64Value
      else { continue }
      let body = request["body_raw"]?.stringValue ?? request["body"]?.serialized() ?? ""
      let answer = try await sim.post("/prompt", raw: body)
      #expect(answer.status == Int(status), "\(file)")
      if let expected = recorded["response"]?["body"], expected != .null {
        #expect(Self.comparable(answer.json) == Self.comparable(expected), "\(file): \(answer.text)")
      }
      compared += 1
    }
    await sim.stop()
    #expect(compared == 39)
  }

  @Test func theNewRoutesAnswerAsRecorded() async throws {
    let sim = try await Self.recordedServer()
    let features = try await sim.get("/features")
    #expect(features.json == (try Self.set.responseBody("version/features.json")))
    let stats = try await sim.get("/system_stats")
    #expect(stats.json?["system"]?["comfyui_version"] == "0.33.0")
    let replacements = try await sim.get("/node_replacements")
    #expect(replacements.json == (try Self.set.responseBody("version/node_replacements.json")))
    // The jobs API lives under /api only.
    #expect(try await sim.get("/jobs").status == 404)
    for name in ["list-bad-status-400", "list-limit-0-400", "job-unknown-404"] {
      let recorded = try Self.set.json("jobs/\(name).json")
      var path = recorded["request"]?["path"]?.stringValue ?? ""
      let query = (recorded["request"]?["query"]?.objectValue ?? [:]).map {
        "\($0.key)=\($0.value.stringValue ?? "")"
      }
      if !query.isEmpty { path += "?" + query.joined(separator: "&") }
      let answer = try await sim.get(path)
      #expect(answer.status == Int(recorded["response"]?["status"]?.numberValue?.int64Value ?? 0), "\(name)")
      #expect(answer.json == recorded["response"]?["body"], "\(name)")
    }
    await sim.stop()
  }

  /// A job's keys as the recordings have them: the short form in lists, the full form by id.
  @Test func jobsListFilterPaginateAndCancel() async throws {
    let sim = try await SimHarness.start(SimulatorConfiguration(comfyUI: .comfyUI0_33))
    let workflowID = "5b1f3c7e-0000-4000-8000-c0ffee0000a0"
    var ids: [String] = []
    for color in [1, 2, 3] {
      var body: JSONObject = ["prompt": SmallPrompts.basic(color: color), "client_id": "jobs-test"]
      if color == 3 { body["extra_data"] = ["extra_pnginfo": ["workflow": ["id": .string(workflowID)]]] }
      let answer = try await sim.post("/prompt", json: .object(body))
      ids.append(try #require(answer.json?["prompt_id"]?.stringValue))
    }
    let done = try await eventually {
      (try await sim.get("/api/jobs?status=completed")).json?["jobs"]?.arrayValue?.count == 3
    }
    #expect(done)
    let listed = try #require(try await sim.get("/api/jobs").json)
    let recordedList = try Self.set.responseBody("jobs/list-completed.json")
    let recordedShort = try #require(recordedList["jobs"]?.arrayValue?.first?.objectValue)
    let first = try #require(listed["jobs"]?.arrayValue?.first?.objectValue)
    #expect(Set(first.keys) == Set(recordedShort.keys))
    #expect(first["id"]?.stringValue == ids[2], "newest first")
    #expect(listed["pagination"] == ["offset": 0, "limit": nil, "total": 3, "has_more": false])
    let page = try #require(try await sim.get("/api/jobs?limit=1&offset=1").json)
    #expect(page["jobs"]?.arrayValue?.first?["id"]?.stringValue == ids[1])
    #expect(page["pagination"]?["has_more"] == true)
    let clamped = try #require(try await sim.get("/api/jobs?offset=-5").json)
    #expect(clamped["pagination"]?["offset"] == 0)
    let byWorkflow = try #require(try await sim.get("/api/jobs?workflow_id=\(workflowID)").json)
    #expect(byWorkflow["jobs"]?.arrayValue?.map { $0["id"]?.stringValue } == [ids[2]])
    let full = try #require(try await sim.get("/api/jobs/\(ids[0])").json?.objectValue)
    let recordedFull = try #require(try Self.set.responseBody("jobs/job-completed.json").objectValue)
    #expect(Set(full.keys) == Set(recordedFull.keys).subtracting(["workflow_id"]))
    #expect(full["execution_status"]?["status_str"] == "success")
    // Cancelling a finished job does nothing; the batch form checks its ids.
    #expect(try await sim.post("/api/jobs/\(ids[0])/cancel", json: [:]).json == ["cancelled": false])
    let bad = try await sim.post("/api/jobs/cancel", json: ["job_ids": ["not-a-uuid", 5]])
    #expect(bad.status == 400)
    #expect(bad.json == ["error": "job_ids contains invalid id(s)", "invalid_ids": ["not-a-uuid", "5"]])
    let missing = try await sim.post("/api/jobs/cancel", json: ["ids": []])
    #expect(missing.json == ["error": "job_ids must be a list"])
    await sim.stop()
  }

  @Test func aPendingJobIsCancelledAndTheKeyNeverShows() async throws {
    let sim = try await SimHarness.start(
      SimulatorConfiguration(stepDelay: .milliseconds(200), comfyUI: .comfyUI0_33))
    let long = try await sim.post("/prompt", json: ["prompt": SmallPrompts.upscale()])
    let longID = try #require(long.json?["prompt_id"]?.stringValue)
    let keyed: JSONObject = [
      "prompt": SmallPrompts.basic(color: 9), "extra_data": ["api_key_comfy_org": "comfyui-secret-key"],
    ]
    let pending = try await sim.post("/prompt", json: .object(keyed))
    let pendingID = try #require(pending.json?["prompt_id"]?.stringValue)
    let queue = try await sim.get("/queue")
    #expect(!queue.text.contains("comfyui-secret-key"))
    #expect(queue.text.contains("create_time"))
    let job = try #require(try await sim.get("/api/jobs/\(pendingID)").json)
    #expect(job["status"] == "pending")
    #expect(try await sim.post("/api/jobs/\(pendingID)/cancel", json: [:]).json == ["cancelled": true])
    #expect(try await sim.get("/api/jobs/\(pendingID)").status == 404)
    #expect(
      try await sim.post("/api/jobs/cancel", json: ["job_ids": [.string(longID)]]).json == ["cancelled": true]
    )
    let cancelled = try await eventually {
      (try await sim.get("/api/jobs/\(longID)")).json?["status"] == "cancelled"
    }
    #expect(cancelled)
    await sim.stop()
  }

  /// 0.33's API nodes say "Waiting for server" (a type-3 text frame) before their request, and
  /// then fail as the recorded server did without a key.
  @Test func anAPINodeSaysItIsWaitingBeforeItsRequest() async throws {
    let sim = try await Self.recordedServer()
    let recorded = try Self.set.json("api-nodes/no-key.post_prompt.json")
    let body = try #require(recorded["request"]?["body"])
    let clientID = try #require(body["client_id"]?.stringValue)
    let socket = try await sim.socket(clientID: clientID, hello: true)
    _ = await socket.collect(timeout: .seconds(5)) { $0.kind == "status" }
    let queued = try await sim.post("/prompt", json: body)
    #expect(queued.status == 200)
    let frames = await socket.collectPrompt()
    func fromStart(_ kinds: [String]) -> [String] {
      Array(kinds.drop { $0 != "execution_start" }.filter { $0 != "status" && $0 != "progress_state" })
    }
    let log = try Self.set.lines("api-nodes/no-key.ws.jsonl").filter { $0["dir"] == "server->client" }
    let recordedKinds = log.map { line -> String in
      line["kind"] == "binary"
        ? "binary:\(line["event_type"]?.numberValue?.text ?? "?")" : line["msg"]?["type"]?.stringValue ?? "?"
    }
    #expect(fromStart(kinds(frames)) == fromStart(recordedKinds))
    let text = try #require(frames.first { $0.kind == "binary:3" }?.bytes)
    let recordedText = try #require(log.first { $0["event_type"]?.numberValue?.text == "3" }?["decoded"])
    let nodeLength = Int(text[7])
    #expect(
      String(decoding: text[8..<(8 + nodeLength)], as: UTF8.self) == recordedText["node_id"]?.stringValue)
    #expect(String(decoding: text[(8 + nodeLength)...], as: UTF8.self) == recordedText["text"]?.stringValue)
    await socket.close()
    await sim.stop()
  }
}

/// The simulator's video nodes: CreateVideo makes a VIDEO of images, SaveVideo writes it as an MP4
/// with PNG frames, steered by a dynamic combo three levels deep.
@Suite struct SimulatedVideoTests {
  @Test func saveVideoWritesAnMP4OfTheFrames() async throws {
    let sim = try await SimHarness.start(SimulatorConfiguration(comfyUI: .comfyUI0_33))
    func prompt(format: String) -> JSONValue {
      [
        "1": [
          "class_type": "EmptyImage", "inputs": ["width": 64, "height": 48, "batch_size": 3, "color": 255],
        ],
        "2": ["class_type": "CreateVideo", "inputs": ["images": ["1", 0], "fps": .double(12)]],
        "3": [
          "class_type": "SaveVideo",
          "inputs": [
            "video": ["2", 0], "filename_prefix": "video/sim", "format": .string(format),
            "format.codec": "h264",
            "format.codec.encoding": "re-encode", "format.codec.encoding.crf": .double(20),
            "format.codec.encoding.color_space": "auto",
          ],
        ],
      ]
    }
    let socket = try await sim.socket(clientID: "video")
    let queued = try await sim.post("/prompt", json: ["prompt": prompt(format: "mp4"), "client_id": "video"])
    #expect(queued.status == 200, "\(queued.text)")
    let frames = await socket.collectPrompt()
    let executed = try #require(frames.first { $0.kind == "executed" }?.data?["output"])
    #expect(executed["animated"] == [true])
    let saved = try #require(executed["images"]?[0])
    #expect(saved == ["filename": "sim_00001_.mp4", "subfolder": "video", "type": "output"])
    let file = try await sim.get("/view?filename=sim_00001_.mp4&subfolder=video&type=output")
    #expect(file.status == 200)
    let info = try MediaProbe.probe(file.body)
    #expect(info.container == .mp4)
    #expect(info.width == 64 && info.height == 48)
    #expect(abs((info.duration ?? 0) - 0.25) < 0.001)
    // The first sample is a PNG of the first frame.
    let mdat = try #require(Self.offset(of: Array("mdat".utf8), in: file.body))
    let picture = try PNGDecoder.decode(Array(file.body[(mdat + 4)...]))
    #expect(picture.width == 64 && picture.height == 48)

    // A container the simulator does not write fails the node and says which it writes.
    _ = try await sim.post("/prompt", json: ["prompt": prompt(format: "webm"), "client_id": "video"])
    let failed = await socket.collectPrompt()
    let error = try #require(failed.first { $0.kind == "execution_error" }?.data)
    #expect(error["exception_message"]?.stringValue?.contains("MP4 only") == true)
    await socket.close()
    await sim.stop()
  }

  static func offset(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= needle.count else { return nil }
    return (0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
  }
}
