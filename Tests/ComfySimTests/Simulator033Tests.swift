import ComfySim
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
}
