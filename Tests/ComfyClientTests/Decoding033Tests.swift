import ComfyClient
import TestSupport
import Testing
import Workflow

/// The WebSocket as ComfyUI 0.33.0 sends it: every recorded frame decodes to a typed event.
@Suite struct Decoding033Tests {
  static let set = Fixtures.comfyUI_0_33

  @Test(needsFixtures033) func everyRecordedFrameDecodes() throws {
    var logs: [String] = []
    for folder in ["exec", "api-nodes", "jobs"] {
      logs += Self.set.files(in: folder, endingWith: ".ws.jsonl")
    }
    #expect(logs.count >= 10)
    var seen: Set<String> = []
    var binaries = 0
    var progressNodes = 0
    for log in logs {
      for line in try Self.set.lines(log) where line["dir"] == "server->client" {
        let index = line["i"]?.numberValue?.int64Value ?? -1
        if line["kind"] == "binary" {
          let stem = String(log.dropLast(".ws.jsonl".count))
          let path = "\(stem).frame\(index).type\(line["event_type"]?.numberValue?.text ?? "?").bin"
          guard let bytes = try? Self.set.read(path) else { continue }
          let event = try #require(ServerEvent.decode(binary: bytes), "\(path)")
          if case .unknown = event { Issue.record("\(path) decoded as unknown") }
          binaries += 1
          continue
        }
        let message = try #require(line["msg"])
        let type = message["type"]?.stringValue ?? "?"
        let event = try #require(ServerEvent.decode(text: message.serialized()), "\(log) #\(index)")
        if case .unknown = event { Issue.record("\(log) #\(index): \(type) decoded as unknown") }
        #expect(event.typeName == type, "\(log) #\(index)")
        if case .progressState(_, let nodes) = event {
          // The newer fields come through: which node to show and, in subgraphs, its parent.
          for node in nodes {
            #expect(node.displayNodeID != nil, "\(log) #\(index)")
            #expect(node.realNodeID != nil, "\(log) #\(index)")
          }
          progressNodes += nodes.count
        }
        seen.insert(type)
      }
    }
    #expect(binaries >= 6)
    #expect(progressNodes > 0)
    let expected: Set<String> = [
      "status", "feature_flags", "execution_start", "execution_cached", "executing", "progress",
      "progress_state", "executed", "execution_success", "execution_error", "execution_interrupted",
    ]
    #expect(expected.isSubset(of: seen), "missing: \(expected.subtracting(seen))")
  }

  /// A finished job's full form carries its history entry: what `watch` shows of a prompt that ended.
  @Test(needsFixtures033) func aFinishedJobReadsAsItsHistoryEntry() throws {
    let body = try #require(try Self.set.json("jobs/job-completed.json")["response"]?["body"])
    let job = try #require(Job(json: body))
    #expect(job.hasEnded)
    let entry = try #require(HistoryEntry(job: job))
    #expect(entry.promptID == job.id)
    #expect(entry.outcome == .success)
    #expect(entry.files.map(\.file.filename) == ["comfysh033_jobs_00001_.png"])
    #expect(entry.serverMilliseconds == 5)
    #expect(entry.item?.number == job.priority)
    #expect(entry.item?.nodeCount == body["workflow"]?["prompt"]?.objectValue?.count)
    // The short form (a list row) has none.
    var short = job
    short.json["execution_status"] = nil
    #expect(HistoryEntry(job: short) == nil)
  }
}
