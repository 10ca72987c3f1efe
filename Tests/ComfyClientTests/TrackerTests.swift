import ComfyClient
import TestSupport
import Testing
import Workflow

/// The run/watch state machine, driven by the recorded sessions.
@Suite struct TrackerTests {
  /// The prompt of a recording's POST, for titles and classes.
  func prompt(_ file: String) throws -> (id: String, workflow: Workflow) {
    var exchange = try Fixtures.json(file)
    if let first = exchange.arrayValue?.first { exchange = first }
    let body = exchange["request"]?["body"] ?? .null
    let id = exchange["response"]?["body"]?["prompt_id"]?.stringValue ?? ""
    return (id, try Workflow(apiJSON: body["prompt"] ?? .null))
  }

  func run(_ name: String, socket: Int? = nil) throws -> (PromptTracker, [PromptUpdate]) {
    let post = "exec/\(name).post_prompt.json"
    let (id, workflow) = try prompt(FileIO.exists(Fixtures.path(post)) ? post : "exec/\(name).http.json")
    var tracker = PromptTracker(promptID: id, prompt: workflow, at: 0)
    var updates: [PromptUpdate] = []
    for (i, event) in try Fixtures.events("exec/\(name).ws.jsonl", socket: socket).enumerated() {
      updates += tracker.apply(event, at: Double(i))
    }
    return (tracker, updates)
  }

  @Test(needsFixtures) func basicRunSucceedsWithItsOutput() throws {
    let (tracker, updates) = try run("basic-run1")
    #expect(tracker.outcome == .success)
    #expect(tracker.nodes.values.map(\.state) == [.finished, .finished, .finished])
    #expect(tracker.outputs.map(\.file.path) == ["output/comfysh_basic_00001_.png"])
    #expect(tracker.nodes["3"]?.title == "Save Image" && tracker.nodes["3"]?.classType == "SaveImage")
    #expect(tracker.totalSeconds == 0.011)
    #expect(updates.first == .started && updates.last == .finished(.success))
    // One start and one end per node, in order.
    #expect(updates.filter { if case .nodeStarted = $0 { true } else { false } }.count == 3)
    #expect(updates.filter { if case .nodeEnded = $0 { true } else { false } }.count == 3)
    #expect(tracker.nodes.values.allSatisfy { $0.seconds != nil })
  }

  @Test(needsFixtures) func cachedRunReportsEveryNodeCachedAndTheOutputAgain() throws {
    let (tracker, updates) = try run("basic-run2-cached")
    #expect(tracker.outcome == .success)
    #expect(tracker.nodes.values.map(\.state) == [.cached, .cached, .cached])
    #expect(updates.contains(.cached(["1", "2", "3"])))
    #expect(tracker.outputs.map(\.file.filename) == ["comfysh_basic_00001_.png"])
    #expect(!updates.contains { if case .nodeStarted = $0 { true } else { false } })
  }

  @Test(needsFixtures) func progressTextAndSubfolders() throws {
    let (tracker, updates) = try run("progress-with-feature-flags")
    #expect(tracker.outcome == .success)
    let upscale = try #require(tracker.nodes["3"])
    #expect(upscale.value == 3 && upscale.max == 3 && upscale.fraction == 1 && upscale.state == .finished)
    #expect(updates.contains(.progress(node: "3", value: 2, max: 3)))
    #expect(tracker.nodes["4"]?.outputs.count == 3 && tracker.nodes["4"]?.outputs.first?.type == "temp")
    #expect(tracker.nodes["7"]?.outputs.first?.path == "output/comfysh/progress_00001_.png")
    // Each step is reported once, though both progress and progress_state carry it.
    #expect(updates.filter { $0 == .progress(node: "3", value: 2, max: 3) }.count == 1)
  }

  @Test(needsFixtures) func previewsAreKeptPerNode() throws {
    let (legacy, _) = try run("ws-binary-legacy")
    #expect(legacy.previews.count == 3)
    #expect(
      legacy.texts.map(\.node) == ["3"] && legacy.texts.first?.text == "width: 8, height: 8\n batch size: 2")
    // Type 1 says nothing about its node: it is the node running at the time.
    #expect(legacy.previews.map(\.node) == ["2", "2", "5"])
    let (tagged, _) = try run("ws-binary-with-metadata")
    #expect(tagged.previews.map(\.node) == ["2", "2", "5"])
    #expect(tagged.previews.allSatisfy { $0.image.metadata != nil })
  }

  @Test(needsFixtures) func runtimeErrorFailsTheNode() throws {
    let (tracker, _) = try run("runtime-error-saveimage-outside-output")
    guard case .failed(let failure)? = tracker.outcome else {
      Issue.record("expected a failure, got \(String(describing: tracker.outcome))")
      return
    }
    #expect(failure.nodeID == "2")
    #expect(tracker.nodes["1"]?.state == .finished && tracker.nodes["2"]?.state == .failed)
  }

  @Test(needsFixtures) func interruptStopsAtTheRunningNode() throws {
    let (tracker, _) = try run("interrupt-targeted")
    guard case .interrupted(let stop)? = tracker.outcome else {
      Issue.record("expected an interruption, got \(String(describing: tracker.outcome))")
      return
    }
    #expect(stop.nodeID == "3")
    #expect(tracker.nodes["2"]?.state == .cached && tracker.nodes["3"]?.state == .interrupted)
    #expect(tracker.nodes["4"]?.state == .waiting)
  }

  /// Socket 1 drops after progress 3/50; socket 2 greets with `executing {node: 3}` and then follows to the end.
  @Test(needsFixtures) func reconnectMidRunContinuesFromTheGreeting() throws {
    let (id, workflow) = try prompt("exec/reconnect-mid-run.post_prompt.json")
    var tracker = PromptTracker(promptID: id, prompt: workflow, at: 0)
    for event in try Fixtures.events("exec/reconnect-mid-run.ws.jsonl", socket: 1) {
      tracker.apply(event, at: 1)
    }
    #expect(tracker.currentNode == "3" && tracker.nodes["3"]?.value == 3 && !tracker.isFinished)
    var updates: [PromptUpdate] = []
    for event in try Fixtures.events("exec/reconnect-mid-run.ws.jsonl", socket: 2) {
      updates += tracker.apply(event, at: 2)
    }
    #expect(tracker.outcome == .success)
    // The cumulative progress_state after the reconnect carries 23/50.
    #expect(updates.contains(.progress(node: "3", value: 23, max: 50)))
    #expect(tracker.nodes["4"]?.outputs.count == 2)
  }

  /// Socket 1 drops after the first progress; the prompt ends while nobody listens: history tells the end.
  @Test(needsFixtures) func reconnectAfterFinishIsReconciledFromHistory() throws {
    let (id, workflow) = try prompt("exec/reconnect-after-finish.post_prompt.json")
    var tracker = PromptTracker(promptID: id, prompt: workflow, at: 0)
    for event in try Fixtures.events("exec/reconnect-after-finish.ws.jsonl", socket: 1) {
      tracker.apply(event, at: 1)
    }
    #expect(!tracker.isFinished)
    // Socket 2 hears nothing about the prompt.
    for event in try Fixtures.events("exec/reconnect-after-finish.ws.jsonl", socket: 2) {
      #expect(tracker.apply(event, at: 2).isEmpty)
    }
    let body = try Fixtures.responseBody("exec/reconnect-after-finish.history.json")
    let entry = try #require(HistoryEntry(promptID: id, json: body[id] ?? .null))
    let updates = tracker.reconcile(with: entry, at: 3)
    #expect(updates.first == .reconciled && updates.last == .finished(.success))
    #expect(tracker.outcome == .success && tracker.reconciledFromHistory)
    #expect(tracker.outputs.count == 1 && tracker.outputs[0].node == "4")
    #expect(tracker.nodes["3"]?.state == .finished)
    // A second reconcile, or late messages, change nothing.
    #expect(tracker.reconcile(with: entry, at: 4).isEmpty)
    #expect(tracker.apply(.executing(promptID: id, node: nil, displayNode: nil)).isEmpty)
  }

  @Test func eventsOfOtherPromptsAreIgnored() {
    var tracker = PromptTracker(promptID: "mine", at: 0)
    #expect(tracker.apply(.executionStart(promptID: "other", timestamp: 1)).isEmpty)
    #expect(tracker.apply(.executing(promptID: "other", node: "1", displayNode: "1")).isEmpty)
    #expect(!tracker.isStarted)
    #expect(tracker.apply(.executing(promptID: "mine", node: nil, displayNode: nil)) == [.finished(.ended)])
  }

  @Test func expandedNodesShowAsTheirDisplayNode() throws {
    let workflow = try Workflow(apiJSON: ["5": ["class_type": "Group", "inputs": [:]]])
    var tracker = PromptTracker(promptID: "p", prompt: workflow, at: 0)
    tracker.apply(.executing(promptID: "p", node: "5.0.0.1", displayNode: "5"), at: 1)
    #expect(tracker.currentNode == "5" && tracker.nodes["5"]?.state == .running)
    tracker.apply(.executionSuccess(promptID: "p", timestamp: nil), at: 2)
    #expect(tracker.nodes["5"]?.state == .finished && tracker.nodes["5"]?.seconds == 1)
  }
}

/// Found by the terminal test: messages handled in one go (those that came before the POST's answer)
/// share one time, and `watch` then listed nodes that ended together in the prompt's order instead of
/// the order they ran (the two CLIPTextEncode nodes of txt2img swapped about one run in four).
@Suite struct TrackerEndOrderTests {
  @Test func nodesThatEndAtOneTimeKeepTheOrderTheirEventsCameIn() throws {
    let prompt = try Workflow(
      apiJSON: try JSONValue.parse(
        """
        {"3": {"class_type": "KSampler", "inputs": {"positive": ["6", 0], "negative": ["7", 0]}},
         "6": {"class_type": "CLIPTextEncode", "inputs": {}},
         "7": {"class_type": "CLIPTextEncode", "inputs": {}}}
        """))
    var tracker = PromptTracker(promptID: "p", prompt: prompt, at: 0)
    for node in ["7", "6", "3"] {
      tracker.apply(.executing(promptID: "p", node: node, displayNode: node), at: 5)
    }
    let seven = try #require(tracker.nodes["7"])
    let six = try #require(tracker.nodes["6"])
    #expect(seven.endedAt == six.endedAt)
    #expect(seven.endSequence == 1 && six.endSequence == 2)
  }
}
