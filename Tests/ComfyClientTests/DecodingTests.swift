import ComfyClient
import TestSupport
import Testing
import Workflow

@Suite struct DecodingTests {
  /// Every text frame of every recording decodes to a typed event; none is left as unknown.
  @Test(needsFixtures) func everyRecordedTextFrameDecodes() throws {
    let logs = Fixtures.files(endingWith: ".ws.jsonl")
    #expect(logs.count >= 15)
    var seen: Set<String> = []
    for log in logs {
      for frame in try Fixtures.frames(log) where frame.kind == "text" {
        let type = frame.message?["type"]?.stringValue ?? "?"
        let event = try #require(frame.event(log: log), "\(log) #\(frame.index) did not decode")
        if case .unknown = event { Issue.record("\(log) #\(frame.index): \(type) decoded as unknown") }
        #expect(event.typeName == type, "\(log) #\(frame.index)")
        seen.insert(type)
      }
    }
    let expected: Set<String> = [
      "status", "feature_flags", "execution_start", "execution_cached", "executing", "progress",
      "progress_state",
      "executed", "execution_success", "execution_error", "execution_interrupted",
    ]
    #expect(expected.isSubset(of: seen), "missing: \(expected.subtracting(seen))")
  }

  @Test func statusCarriesQueueAndSid() {
    let first = ServerEvent.decode(
      text: #"{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "abc"}}"#)
    #expect(first == .status(queueRemaining: 0, sid: "abc"))
    let later = ServerEvent.decode(
      text: #"{"type":"status","data":{"status":{"exec_info":{"queue_remaining":3}}}}"#)
    #expect(later == .status(queueRemaining: 3, sid: nil))
  }

  /// The reconnect greeting: `executing` with a node but no prompt id and no display node.
  @Test(needsFixtures) func reconnectGreetingHasNoPromptID() throws {
    let socket2 = try Fixtures.events("exec/reconnect-mid-run.ws.jsonl", socket: 2)
    #expect(socket2.contains(.executing(promptID: nil, node: "3", displayNode: nil)))
    let end = ServerEvent.decode(text: #"{"type":"executing","data":{"node":null,"prompt_id":"p"}}"#)
    #expect(end == .executing(promptID: "p", node: nil, displayNode: nil))
  }

  /// progress_state values switch between floats (0.0/1.0) and ints (1/1) in the recordings.
  @Test func progressStateIntAndFloat() throws {
    let floats = ServerEvent.decode(
      text:
        #"{"type":"progress_state","data":{"prompt_id":"p","nodes":{"1":{"value":0.0,"max":1.0,"state":"running","node_id":"1","prompt_id":"p","display_node_id":"1","parent_node_id":null,"real_node_id":"1"}}}}"#
    )
    let ints = ServerEvent.decode(
      text:
        #"{"type":"progress_state","data":{"prompt_id":"p","nodes":{"3":{"value":23,"max":50,"state":"running","node_id":"3"}}}}"#
    )
    guard case .progressState(_, let a)? = floats, case .progressState(_, let b)? = ints else {
      Issue.record("progress_state did not decode")
      return
    }
    #expect(
      a.first?.value == 0 && a.first?.max == 1 && a.first?.state == "running" && a.first?.parentNodeID == nil)
    #expect(b.first?.value == 23 && b.first?.max == 50 && b.first?.nodeID == "3")
  }

  @Test(needsFixtures) func executionErrorBothVariants() throws {
    let events = try Fixtures.events("exec/runtime-error-saveimage-outside-output.ws.jsonl")
    let failure = try #require(
      events.compactMap { event -> ExecutionFailure? in
        if case .executionError(let f) = event { return f }
        return nil
      }.first)
    #expect(failure.nodeID == "2" && failure.nodeType == "SaveImage" && failure.exceptionType == "Exception")
    #expect(
      failure.exceptionMessage.hasSuffix("\n") && failure.executed == ["1"] && failure.traceback.count == 6)
    #expect(failure.currentInputs["filename_prefix"] == ["../../outside/comfysh"])
    #expect(failure.timestamp != nil)
    // The ExecutionBlocked variant has no timestamp.
    let blocked = ServerEvent.decode(
      text:
        #"{"type":"execution_error","data":{"prompt_id":"p","node_id":"4","node_type":"X","executed":[],"exception_message":"blocked\n","exception_type":"ExecutionBlocked","traceback":[],"current_inputs":{},"current_outputs":{}}}"#
    )
    guard case .executionError(let b)? = blocked else {
      Issue.record("ExecutionBlocked did not decode")
      return
    }
    #expect(b.exceptionType == "ExecutionBlocked" && b.timestamp == nil && b.nodeID == "4")
  }

  @Test func interruptedLogsDisplayAndUnknownTypes() {
    let interrupted = ServerEvent.decode(
      text:
        #"{"type":"execution_interrupted","data":{"prompt_id":"p","node_id":"3","node_type":"ImageUpscaleWithModel","executed":["2","1"],"timestamp":1795670272016}}"#
    )
    guard case .executionInterrupted(let i)? = interrupted else {
      Issue.record("execution_interrupted did not decode")
      return
    }
    #expect(i.nodeID == "3" && i.executed == ["2", "1"] && i.timestamp == 1_795_670_272_016)
    let logs = ServerEvent.decode(
      text:
        #"{"type":"logs","data":{"entries":[{"t":"2026-11-26T05:17:41","m":"Prompt executed\n"}],"size":{"cols":80,"rows":24}}}"#
    )
    #expect(logs == .logs(entries: [LogEntry(time: "2026-11-26T05:17:41", message: "Prompt executed\n")]))
    let display = ServerEvent.decode(
      text: #"{"type":"display_component","data":{"node_id":"9","component":"ChatHistoryWidget"}}"#)
    #expect(display?.typeName == "display_component")
    #expect(
      ServerEvent.decode(text: #"{"type":"crystools.monitor","data":{"cpu":3}}"#)
        == .unknown(type: "crystools.monitor"))
    #expect(ServerEvent.decode(text: "not json") == nil)
    #expect(ServerEvent.decode(text: #"{"data":{}}"#) == nil)
  }

  // MARK: - Binary frames

  @Test(needsFixtures) func binaryType1IsALegacyPreview() throws {
    let bytes = try Fixtures.read("exec/ws-binary-legacy.frame15.type1.bin")
    guard case .preview(let preview)? = ServerEvent.decode(binary: bytes) else {
      Issue.record("type 1 did not decode as a preview")
      return
    }
    #expect(preview.format == .png && preview.metadata == nil)
    #expect(preview.bytes.count == 79 && preview.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
  }

  @Test(needsFixtures) func binaryType3IsNodeText() throws {
    let event = ServerEvent.decode(binary: try Fixtures.read("exec/ws-binary-legacy.frame22.type3.bin"))
    #expect(event == .text(node: "3", text: "width: 8, height: 8\n batch size: 2"))
    let other = ServerEvent.decode(
      binary: try Fixtures.read("exec/ws-binary-with-metadata.frame24.type3.bin"))
    #expect(other == .text(node: "3", text: "width: 8, height: 8\n batch size: 2"))
  }

  @Test(needsFixtures) func binaryType4CarriesMetadata() throws {
    let bytes = try Fixtures.read("exec/ws-binary-with-metadata.frame16.type4.bin")
    guard case .preview(let preview)? = ServerEvent.decode(binary: bytes) else {
      Issue.record("type 4 did not decode as a preview")
      return
    }
    #expect(preview.format == .png && preview.bytes.count == 79)
    #expect(
      preview.metadata?.nodeID == "2" && preview.metadata?.promptID == "e828230c-6757-45d5-8c8e-8ae6b27078be")
    #expect(preview.metadata?.imageType == "image/png" && preview.metadata?.parentNodeID == nil)
    #expect(ServerEvent.preview(preview).promptID == "e828230c-6757-45d5-8c8e-8ae6b27078be")
  }

  @Test func shortOrStrangeBinaryFrames() {
    #expect(ServerEvent.decode(binary: [0, 0, 0]) == nil)
    // A node id longer than the frame.
    #expect(ServerEvent.decode(binary: [0, 0, 0, 3, 0, 0, 0, 9, 0x31]) == nil)
    #expect(ServerEvent.decode(binary: [0, 0, 0, 9, 1, 2]) == .unknown(type: "binary:9"))
    guard case .preview(let jpeg)? = ServerEvent.decode(binary: [0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xD8]) else {
      Issue.record("JPEG preview did not decode")
      return
    }
    #expect(jpeg.format == .jpeg && jpeg.bytes == [0xFF, 0xD8] && jpeg.format.fileExtension == "jpg")
  }

  // MARK: - HTTP answers

  @Test(needsFixtures) func historyEntries() throws {
    let body = try Fixtures.responseBody("exec/basic-run1.history.json")
    let id = "9a1ce28d-ecc1-4835-a41a-9f8c95482084"
    let entry = try #require(HistoryEntry(promptID: id, json: body[id] ?? .null))
    #expect(entry.outcome == .success && entry.completed && entry.statusText == "success")
    #expect(entry.files.map(\.file.path) == ["output/comfysh_basic_00001_.png"])
    #expect(entry.serverMilliseconds == 11)
    #expect(entry.item?.number?.text == "0" && entry.item?.outputsToExecute == ["3"])

    let list = try Fixtures.responseBody("misc/history-max_items-2.json")
    let entries = try #require(list.objectValue).compactMap { HistoryEntry(promptID: $0.key, json: $0.value) }
    #expect(entries.count == 2)
    #expect(entries[0].outcome == .success && entries[0].files.count == 2)
    if case .interrupted = entries[1].outcome {} else { Issue.record("the second entry was interrupted") }
  }

  @Test(needsFixtures) func queueSnapshotsAndKeysInThem() throws {
    let exchanges = try #require(try Fixtures.json("exec/interrupt-and-queue.http.json").arrayValue)
    let busy = try QueueSnapshot(json: exchanges[3]["response"]?["body"] ?? .null, server: .comfyDefault)
    #expect(busy.running.map(\.promptID) == ["667dd52d-e420-4f95-9cb5-823c8c6d6099"])
    #expect(busy.pending.map(\.number?.text) == ["31", "32"])
    #expect(busy.running[0].clientID == "comfysh-queue-89103592" && busy.running[0].nodeCount == 4)
    #expect(busy.contains("731363a0-35d3-4987-8d97-6f6822b69791") && !busy.contains("nope"))
    #expect(
      try QueueSnapshot(json: Fixtures.responseBody("exec/queue-idle.json"), server: .comfyDefault).running
        .isEmpty)

    let keyed = try #require(
      try Fixtures.json("misc/queue-shows-api-key-history-does-not.http.json").arrayValue)
    let queue = try QueueSnapshot(json: keyed[1]["response"]?["body"] ?? .null, server: .comfyDefault)
    let extra = JSONValue.object(queue.running[0].extraData)
    #expect(extra.serialized().contains("comfyui-FAKEKEY"))
    let masked = Secrets.masked(extra).serialized()
    #expect(!masked.contains("FAKEKEY") && masked.contains("••••"))
  }

  @Test(needsFixtures) func rejectionsReadAsActionableLines() throws {
    let missing = try #require(
      PromptRejection(json: Fixtures.responseBody("validation/b-missing-required-input.json")))
    #expect(missing.type == "prompt_outputs_failed_validation")
    #expect(missing.nodeErrors.map(\.nodeID) == ["1"])
    #expect(missing.nodeErrors[0].lines[0].hasPrefix("node 1 (EmptyImage) width: Required input is missing"))

    let unknown = try #require(
      PromptRejection(json: Fixtures.responseBody("validation/a-unknown-class_type.json")))
    #expect(unknown.type == "invalid_prompt" && unknown.nodeErrors.isEmpty)
    #expect(unknown.description.contains("Cannot execute because node NoSuchNode does not exist."))

    let dangling = try #require(
      PromptRejection(json: Fixtures.responseBody("validation/c-link-to-nonexistent-node.json")))
    #expect(
      dangling.nodeErrors[0].lines[0]
        == "node 1 (ImageInvert) images: Exception when validating inner node ('99')")

    for file in Fixtures.files(endingWith: ".json")
    where file.hasPrefix("validation/") && !file.hasSuffix("index.json") {
      let exchange = try Fixtures.json(file)
      guard exchange["response"]?["status"] == 400, let body = exchange["response"]?["body"] else { continue }
      let rejection = try #require(PromptRejection(json: body), "\(file)")
      #expect(!rejection.description.isEmpty)
      for node in rejection.nodeErrors { #expect(!node.lines.isEmpty, "\(file)") }
    }
  }

  @Test func outputFilesUnderAnyKey() {
    let output: JSONObject = [
      "images": [["filename": "a.png", "subfolder": "x", "type": "output"]],
      "gifs": [["filename": "b.webp", "subfolder": "", "type": "temp", "format": "image/webp"]],
      "text": ["hello"],
    ]
    let files = OutputFile.files(in: output)
    #expect(files.map(\.path) == ["output/x/a.png", "temp/b.webp"])
    #expect(files.map(\.kind) == ["images", "gifs"])
  }
}
