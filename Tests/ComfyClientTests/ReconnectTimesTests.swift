import ComfyClient
import Testing
import Workflow

/// Node times and order when messages were missed (issue 17, phase 2): a node whose start or end
/// happened while no socket listened has no time (history keeps none), never the reconnect's delay.
@Suite struct ReconnectTimesTests {
  /// Nodes 1 → 2 → (4, 3): two output nodes, listed in the prompt 4 before 3.
  func workflow() throws -> Workflow {
    try Workflow(
      apiJSON: try JSONValue.parse(
        """
        {"1": {"class_type": "EmptyImage", "inputs": {}},
         "2": {"class_type": "ImageUpscaleWithModel", "inputs": {"image": ["1", 0]}},
         "4": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
         "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}}
        """))
  }

  func ended(_ updates: [PromptUpdate]) -> [String] {
    updates.compactMap { if case .nodeEnded(let id) = $0 { id } else { nil } }
  }

  /// The socket drops while node 2 runs; three minutes later /history says the prompt succeeded
  /// (10 s by the server's clock), with the files of 3 and then 4.
  @Test func nodesEndedFromHistoryHaveNoTimeAndEndInTheOrderTheyRan() throws {
    var tracker = PromptTracker(promptID: "p", prompt: try workflow(), at: 0)
    tracker.apply(.executionStart(promptID: "p", timestamp: 1_000), at: 0)
    tracker.apply(.executing(promptID: "p", node: "1", displayNode: "1"), at: 0)
    tracker.apply(.executing(promptID: "p", node: "2", displayNode: "2"), at: 1)
    tracker.socketDropped(at: 2)
    let history = try JSONValue.parse(
      """
      {"prompt": [7, "p", {}, {}, ["3", "4"]],
       "outputs": {"3": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]},
                   "4": {"images": [{"filename": "b.png", "subfolder": "", "type": "temp"}]}},
       "status": {"status_str": "success", "completed": true, "messages": [
         ["execution_start", {"prompt_id": "p", "timestamp": 1000}],
         ["execution_cached", {"nodes": [], "prompt_id": "p", "timestamp": 1001}],
         ["execution_success", {"prompt_id": "p", "timestamp": 11000}]]}}
      """)
    let entry = try #require(HistoryEntry(promptID: "p", json: history))
    let updates = tracker.reconcile(with: entry, at: 180)
    #expect(tracker.outcome == .success)
    // The node running at the drop ran first, then the output nodes as history lists them.
    #expect(ended(updates) == ["2", "3", "4"])
    #expect(tracker.nodes["1"]?.seconds == 1, "seen start and end keep their time")
    #expect(tracker.nodes["2"]?.seconds == nil, "not 179 s: its end was not seen")
    #expect(tracker.nodes["3"]?.seconds == nil && tracker.nodes["4"]?.seconds == nil)
    #expect(tracker.nodes.values.allSatisfy { $0.state == .finished })
    #expect(tracker.totalSeconds == 10, "the server's own start and end")
  }

  /// A succeeded prompt ran every node: a node no message and no file told of gets a line too.
  @Test func aSucceededPromptEndsEveryNodeFromHistory() throws {
    var tracker = PromptTracker(promptID: "p", prompt: try workflow(), at: 0)
    tracker.apply(.executionStart(promptID: "p", timestamp: 1_000), at: 0)
    tracker.socketDropped(at: 0.5)
    let history = try JSONValue.parse(
      """
      {"outputs": {"3": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}},
       "status": {"status_str": "success", "completed": true, "messages": [
         ["execution_start", {"prompt_id": "p", "timestamp": 1000}],
         ["execution_success", {"prompt_id": "p", "timestamp": 4000}]]}}
      """)
    let updates = tracker.reconcile(with: try #require(HistoryEntry(promptID: "p", json: history)), at: 60)
    #expect(ended(updates) == ["1", "2", "4", "3"], "the nodes without files first: outputs come last")
    #expect(tracker.nodes.values.allSatisfy { $0.state == .finished && $0.seconds == nil })
    #expect(tracker.totalSeconds == 3)
  }

  /// After a reconnect the greeting names the node running now: the one before it ended while no socket
  /// listened (no time), the new one started then (no time). A node that ran across the gap and
  /// ended on the new socket keeps its time.
  @Test func theCatchUpAfterAReconnectGivesNoTimes() throws {
    var tracker = PromptTracker(promptID: "p", prompt: try workflow(), at: 0)
    tracker.apply(.executing(promptID: "p", node: "1", displayNode: "1"), at: 0)
    tracker.apply(.executing(promptID: "p", node: "2", displayNode: "2"), at: 1)
    tracker.socketDropped(at: 2)
    tracker.apply(.executing(promptID: nil, node: "4", displayNode: nil), at: 100)
    let state = try #require(
      ServerEvent.decode(
        text: #"""
          {"type": "progress_state", "data": {"prompt_id": "p", "nodes": {
            "1": {"node_id": "1", "state": "finished", "value": 1, "max": 1, "prompt_id": "p"},
            "2": {"node_id": "2", "state": "finished", "value": 1, "max": 1, "prompt_id": "p"},
            "4": {"node_id": "4", "state": "running", "value": 0, "max": 1, "prompt_id": "p"}}}}
          """#))
    tracker.apply(state, at: 100)
    #expect(tracker.nodes["2"]?.state == .finished && tracker.nodes["2"]?.seconds == nil, "not 99 s")
    #expect(tracker.nodes["1"]?.seconds == 1)
    // Live again: node 3 starts and ends on the new socket; 4 started in the gap, so no time.
    tracker.apply(.executing(promptID: "p", node: "3", displayNode: "3"), at: 101)
    tracker.apply(.executionSuccess(promptID: "p", timestamp: nil), at: 103)
    #expect(tracker.nodes["4"]?.seconds == nil)
    #expect(tracker.nodes["3"]?.seconds == 2)

    var across = PromptTracker(promptID: "q", prompt: try workflow(), at: 0)
    across.apply(.executing(promptID: "q", node: "1", displayNode: "1"), at: 0)
    across.socketDropped(at: 1)
    across.apply(.executing(promptID: nil, node: "1", displayNode: nil), at: 5)
    across.apply(.executing(promptID: "q", node: "2", displayNode: "2"), at: 7)
    #expect(across.nodes["1"]?.seconds == 7, "start and end both seen")
  }

  /// /history cannot answer after a drop: a prompt whose every node the socket reported done is taken
  /// as done (at the last node's end), one with a node not reported is left as it is.
  @Test func everyNodeDoneEndsThePromptUnconfirmed() throws {
    var tracker = PromptTracker(promptID: "p", prompt: try workflow(), at: 0)
    tracker.apply(.executionStart(promptID: "p", timestamp: nil), at: 0)
    tracker.apply(.executionCached(promptID: "p", nodes: ["1"], timestamp: nil), at: 0)
    tracker.apply(.executing(promptID: "p", node: "2", displayNode: "2"), at: 0)
    tracker.apply(.executing(promptID: "p", node: "4", displayNode: "4"), at: 1)
    tracker.apply(.executing(promptID: "p", node: "3", displayNode: "3"), at: 2)
    tracker.socketDropped(at: 3)
    #expect(tracker.finishUnconfirmed(at: 30).isEmpty, "node 3 was not reported done")
    #expect(!tracker.isFinished)
    var done = tracker
    let state = try #require(
      ServerEvent.decode(
        text: #"""
          {"type": "progress_state", "data": {"prompt_id": "p", "nodes": {
            "3": {"node_id": "3", "state": "finished", "value": 1, "max": 1, "prompt_id": "p"}}}}
          """#))
    done.apply(state, at: 2.5)
    #expect(done.allNodesDone)
    #expect(done.finishUnconfirmed(at: 30) == [.finished(.ended)])
    #expect(done.endUnconfirmed && done.outcome == .ended)
    #expect(done.totalSeconds == 2.5, "until the last node's end, not until /history gave up")
  }
}

/// The deadlines Docs/reliability.md lists, by route.
@Suite struct RequestDeadlineTests {
  @Test func eachRouteHasItsDocumentedDeadline() {
    let deadlines = RequestDeadlines.standard
    #expect(deadlines.overall(for: "GET /system_stats") == .seconds(15))
    #expect(deadlines.overall(for: "GET /history/abc") == .seconds(15))
    #expect(deadlines.overall(for: "POST /prompt") == .seconds(15))
    #expect(deadlines.overall(for: "GET /object_info") == .seconds(30))
    #expect(deadlines.overall(for: "GET /object_info/KSampler") == .seconds(30))
    #expect(deadlines.overall(for: "GET /view") == .seconds(300))
    #expect(deadlines.overall(for: "POST /upload/image") == .seconds(300))
    #expect(RequestDeadlines.connect == .seconds(5) && RequestDeadlines.idle == .seconds(15))
  }
}
