import ComfyClient
import ComfySim
import TestSupport
import Testing
import Workflow

/// ComfyClient against the in-process simulator: every request, the run/watch state machine, and
/// each failure path (server down, 400, 500, dropped socket, inactivity, interrupt, cancel).
@Suite(.serialized) struct SimulatorTests {
  @Test func serverInformation() async throws {
    try await withSimulator { _, connection in
      let client = connection.client
      let stats = try await client.systemStats()
      #expect(stats.comfyUIVersion != nil)
      #expect(try await client.features()["supports_preview_metadata"] == true)
      let info = try await client.objectInfo()
      #expect(info["SaveImage"]?["output_node"] == true)
      #expect(try await client.objectInfo(classType: "NoSuchNode") == [:])
      #expect(try await client.queueRemaining() == 0)
    }
  }

  @Test func runFollowsToSuccessWithOutputs() async throws {
    try await withSimulator { _, connection in
      let queued = try await connection.run(Prompts.basic(prefix: "client_basic"))
      #expect(queued.nodeErrors.isEmpty && queued.number != nil)
      let (tracker, events) = try await connection.finish(queued.promptID)
      #expect(tracker.outcome == .success)
      #expect(tracker.nodes.values.map(\.state) == [.finished, .finished, .finished])
      #expect(tracker.nodes["3"]?.title == "Save Image")
      let file = try #require(tracker.outputs.first?.file)
      #expect(file.filename.hasPrefix("client_basic_") && file.type == "output")
      guard case .snapshot? = events.first else {
        Issue.record("follow starts with a snapshot")
        return
      }
      // The file is there to download.
      let bytes = try await connection.client.view(file)
      #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
      // And in history.
      let entry = try #require(try await connection.client.history(promptID: queued.promptID))
      #expect(entry.outcome == .success && entry.files.map(\.file) == [file])
      let recent = try await connection.client.history(maxItems: 1)
      #expect(recent.map(\.promptID) == [queued.promptID])
      // The same prompt again comes from the cache.
      let again = try await connection.submit(
        body: Prompts.body(
          Workflow(apiJSON: queued.body["prompt"] ?? entry.item?.prompt ?? .null),
          clientID: connection.clientID),
        prompt: nil)
      let (cached, _) = try await connection.finish(again.promptID)
      #expect(cached.outcome == .success && cached.nodes.values.allSatisfy { $0.state == .cached })
      #expect(cached.outputs.map(\.file) == [file])
    }
  }

  @Test func progressIsReported() async throws {
    try await withSimulator(SimulatorConfiguration(stepDelay: .milliseconds(2))) { _, connection in
      // Subscribed before the POST: on a busy machine the whole run can be over before `follow` attaches.
      let events = await connection.events()
      let queued = try await connection.run(Prompts.upscale(size: 1024))
      var progress: [Double] = []
      for await event in events {
        guard case .prompt(queued.promptID, let update, _) = event else { continue }
        if case .progress(node: "3", let value, _) = update { progress.append(value) }
        if case .finished = update { break }
      }
      let (tracker, _) = try await connection.finish(queued.promptID)
      #expect(tracker.outcome == .success)
      #expect(progress.count >= 2 && progress == progress.sorted())
      #expect(tracker.nodes["3"]?.fraction == 1)
      #expect(tracker.nodes["4"]?.outputs.first?.type == "temp")
    }
  }

  @Test func serverDownIsReportedAtOnce() async throws {
    let closed = try ClosedPort()
    defer { withExtendedLifetime(closed) {} }
    let port = closed.port
    let connection = ComfyConnection(
      client: ComfyClient(server: try ServerAddress("http://127.0.0.1:\(port)")))
    let started = Monotonic.now()
    do {
      _ = try await connection.run(Prompts.basic())
      Issue.record("a run against a closed port succeeded")
    } catch let error as ComfyClientError {
      #expect(
        error
          == .cannotConnect(
            server: try ServerAddress("http://127.0.0.1:\(port)"), reason: "connection refused"))
      #expect(error.description == "cannot connect to http://127.0.0.1:\(port) (connection refused)")
    }
    do {
      _ = try await connection.client.queue()
      Issue.record("GET /queue against a closed port succeeded")
    } catch let error as ComfyClientError {
      guard case .cannotConnect(_, "connection refused") = error else {
        Issue.record("GET /queue failed with \(error)")
        return
      }
    }
    #expect(Monotonic.now() - started < 5)
    await connection.close()
  }

  @Test func rejectedPromptCarriesNodeErrors() async throws {
    try await withSimulator { _, connection in
      var workflow = Prompts.basic()
      workflow["1"]?.removeInput("width")
      do {
        _ = try await connection.run(workflow)
        Issue.record("a prompt with a missing input was accepted")
      } catch let rejection as PromptRejection {
        #expect(rejection.type == "prompt_outputs_failed_validation")
        #expect(rejection.nodeErrors.first?.nodeID == "1")
        #expect(rejection.nodeErrors.first?.errors.first?.type == "required_input_missing")
        #expect(rejection.nodeErrors.first?.errors.first?.inputName == "width")
      }
      #expect(await connection.trackedPromptIDs.isEmpty)
    }
  }

  @Test func serverErrorIsReported() async throws {
    try await withSimulator { simulator, connection in
      simulator.setFaults(SimulatorFaults(failOnce: ["/prompt"]))
      do {
        _ = try await connection.run(Prompts.basic())
        Issue.record("the 500 fault did not fail the POST")
      } catch let error as ComfyClientError {
        guard case .httpStatus(_, "POST /prompt", 500, _, _) = error else {
          Issue.record("the 500 fault failed with \(error)")
          return
        }
      }
      // The fault is used up: the next POST works.
      let queued = try await connection.run(Prompts.basic())
      #expect(try await connection.finish(queued.promptID).0.outcome == .success)
    }
  }

  /// The simulator cuts the socket mid-run (its `dropWebSocketAfter` fault, no close frame): the
  /// connection reconnects with the same id and the end is still seen (live after the greeting, or
  /// from /history).
  @Test func droppedSocketIsReconnectedAndReconciled() async throws {
    let configuration = SimulatorConfiguration(stepDelay: .milliseconds(5))
    try await withSimulator(configuration) { simulator, connection in
      // Sockets are cut after 12 messages while the fault is set: the first one, mid-run. It is
      // cleared when the drop is seen, so the socket opened again stays.
      simulator.setFaults(SimulatorFaults(dropWebSocketAfter: 12))
      let events = await connection.events()
      let clearer = Task {
        for await event in events {
          if case .disconnected = event {
            simulator.setFaults(SimulatorFaults())
            return true
          }
        }
        return false
      }
      let queued = try await connection.run(Prompts.upscale(size: 1024))
      let (tracker, followed) = try await connection.finish(queued.promptID)
      #expect(tracker.outcome == .success)
      #expect(tracker.nodes["4"]?.outputs.isEmpty == false)
      #expect(await connection.reconnectCount == 1)
      #expect(await clearer.value, "the simulator did not cut the socket")
      _ = followed
    }
  }

  @Test func socketCutDuringARunIsSurvived() async throws {
    let configuration = SimulatorConfiguration(stepDelay: .milliseconds(10))
    try await withSimulator(configuration) { simulator, connection in
      try await connection.connect()
      let queued = try await connection.run(Prompts.upscale(size: 2048))
      // Cut the live socket while the upscale runs, and let the reconnect through.
      try await Task.sleep(for: .milliseconds(150))
      await connection.dropSocketForTesting()
      let (tracker, events) = try await connection.finish(queued.promptID)
      #expect(tracker.outcome == .success)
      #expect(events.contains { if case .reconnected = $0 { true } else { false } })
      #expect(await connection.reconnectCount == 1)
      _ = simulator
    }
  }

  @Test func promptThatEndsWhileDisconnectedIsReportedFromHistory() async throws {
    try await withSimulator(SimulatorConfiguration(stepDelay: .milliseconds(5))) { simulator, connection in
      try await connection.connect()
      // Sockets opened from now on are refused at once, so the prompt ends with nobody listening.
      let queued = try await connection.run(Prompts.upscale(size: 1024))
      simulator.setFaults(SimulatorFaults(dropWebSocketAfter: 0))
      await connection.dropSocketForTesting()
      // Wait until the server has finished it.
      var entry: HistoryEntry?
      for _ in 0..<200 where entry == nil {
        entry = try await connection.client.history(promptID: queued.promptID)
        if entry == nil { try await Task.sleep(for: .milliseconds(20)) }
      }
      #expect(entry != nil)
      simulator.setFaults(SimulatorFaults())
      let (tracker, _) = try await connection.finish(queued.promptID)

      #expect(tracker.outcome == .success && tracker.reconciledFromHistory)
      #expect(tracker.outputs.count == 1)
    }
  }

  @Test func inactivityTimesOut() async throws {
    let faults = SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)])
    try await withSimulator(SimulatorConfiguration(faults: faults)) { _, connection in
      let queued = try await connection.run(Prompts.basic())
      let started = Monotonic.now()
      do {
        _ = try await connection.finish(queued.promptID, timeout: .milliseconds(600))
        Issue.record("the stalled prompt did not time out")
      } catch let error as ComfyClientError {
        guard case .inactivity(_, queued.promptID, .milliseconds(600), let node) = error else {
          Issue.record("the stalled prompt failed with \(error)")
          return
        }
        #expect(node == ComfyClientError.RunningNode(id: "2", classType: "ImageInvert"))
        #expect(error.description.contains("(node 2 ImageInvert was running)"))
      }
      let elapsed = Monotonic.now() - started
      #expect(elapsed >= 0.6 && elapsed < 5)
      try await connection.client.interrupt(promptID: queued.promptID)
      let (tracker, _) = try await connection.finish(queued.promptID)
      if case .interrupted(let stop)? = tracker.outcome {
        #expect(stop.nodeID == "2")
      } else {
        Issue.record("expected an interruption, got \(String(describing: tracker.outcome))")
      }
    }
  }

  @Test func interruptTargetedAndGlobal() async throws {
    let faults = SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)])
    try await withSimulator(SimulatorConfiguration(faults: faults)) { _, connection in
      let first = try await connection.run(Prompts.basic())
      let second = try await connection.run(Prompts.basic())
      // Wait until the first runs.
      for _ in 0..<100 {
        if try await connection.client.queue().running.first?.promptID == first.promptID { break }
        try await Task.sleep(for: .milliseconds(20))
      }
      // Targeting a prompt that is not running does nothing.
      try await connection.client.interrupt(promptID: second.promptID)
      #expect(try await connection.client.queue().running.first?.promptID == first.promptID)
      try await connection.client.interrupt(promptID: first.promptID)
      let (one, _) = try await connection.finish(first.promptID)
      guard case .interrupted? = one.outcome else {
        Issue.record("the first prompt was not interrupted: \(String(describing: one.outcome))")
        return
      }
      for _ in 0..<100 {
        if try await connection.client.queue().running.first?.promptID == second.promptID { break }
        try await Task.sleep(for: .milliseconds(20))
      }
      try await connection.client.interrupt()
      let (two, _) = try await connection.finish(second.promptID)
      guard case .interrupted? = two.outcome else {
        Issue.record(
          "the global interrupt did not stop the second prompt: \(String(describing: two.outcome))")
        return
      }
    }
  }

  @Test func cancelPendingAndClear() async throws {
    let faults = SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)])
    try await withSimulator(SimulatorConfiguration(faults: faults)) { _, connection in
      let running = try await connection.run(Prompts.basic())
      let pending = try await connection.run(Prompts.basic())
      let other = try await connection.run(Prompts.basic())
      var queue = try await connection.client.queue()
      #expect(queue.pending.map(\.promptID).contains(pending.promptID))
      try await connection.client.deleteFromQueue([pending.promptID])
      queue = try await connection.client.queue()
      #expect(!queue.contains(pending.promptID) && queue.contains(other.promptID))
      try await connection.client.clearQueue()
      queue = try await connection.client.queue()
      #expect(queue.pending.isEmpty && queue.running.map(\.promptID) == [running.promptID])
      try await connection.client.interrupt()
      _ = try await connection.finish(running.promptID)
    }
  }

  @Test func frontJumpsTheQueue() async throws {
    let faults = SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)])
    try await withSimulator(SimulatorConfiguration(faults: faults)) { _, connection in
      let running = try await connection.run(Prompts.basic())
      let later = try await connection.run(Prompts.basic())
      let workflow = Prompts.basic()
      let urgent = try await connection.submit(
        body: Prompts.body(workflow, clientID: connection.clientID, front: true), prompt: workflow)
      let queue = try await connection.client.queue()
      #expect(queue.pending.map(\.promptID) == [urgent.promptID, later.promptID])
      try await connection.client.clearQueue()
      try await connection.client.interrupt()
      _ = try await connection.finish(running.promptID)
    }
  }

  @Test func uploadsAreNamedByTheServer() async throws {
    try await withSimulator { simulator, connection in
      let client = connection.client
      let png = try await client.view(try #require(try await finishedOutput(connection)))
      let first = try await client.uploadImage(png, filename: "cat.png")
      #expect(first == UploadedFile(name: "cat.png", subfolder: "", type: "input"))
      #expect(first.inputValue == "cat.png")
      // Same bytes again: a duplicate, same name. Different bytes: renamed.
      #expect(try await client.uploadImage(png, filename: "cat.png").name == "cat.png")
      var other = png
      other[other.count - 5] ^= 0xFF
      #expect(try await client.uploadImage(other, filename: "cat.png").name == "cat (1).png")
      let sub = try await client.uploadImage(png, filename: "dog.png", subfolder: "pets")
      #expect(sub.inputValue == "pets/dog.png")
      #expect(FileIO.exists(simulator.dataFolder + "/input/pets/dog.png"))
      do {
        _ = try await client.view(OutputFile(filename: "missing.png"))
        Issue.record("a missing file was served")
      } catch let error as ComfyClientError {
        #expect(error == .fileNotFound(server: client.server, path: "output/missing.png"))
        #expect(error.httpStatus == 404)
      }
    }
  }

  /// Runs a basic prompt and returns its saved file.
  func finishedOutput(_ connection: ComfyConnection) async throws -> OutputFile? {
    let queued = try await connection.run(Prompts.basic())
    return try await connection.finish(queued.promptID).0.outputs.first?.file
  }

  @Test func eventsArriveInOrderForEverySubscriber() async throws {
    try await withSimulator { _, connection in
      let events = await connection.events()
      let queued = try await connection.run(Prompts.basic())
      var seen: [String] = []
      for await event in events {
        guard case .prompt(let id, let update, _) = event, id == queued.promptID else { continue }
        switch update {
        case .started: seen.append("started")
        case .nodeStarted(let node): seen.append("start \(node)")
        case .nodeEnded(let node): seen.append("end \(node)")
        case .output(let node, _): seen.append("output \(node)")
        case .finished(let outcome): seen.append(outcome.word)
        default: break
        }
        if case .finished = update { break }
      }
      #expect(
        seen == [
          "started", "start 1", "end 1", "start 2", "end 2", "start 3", "output 3", "end 3", "success",
        ])
      #expect(await connection.messageCount > 5)
      #expect(await connection.serverFeatures?["supports_preview_metadata"] == true)
    }
  }
}

@Suite(.serialized) struct SimulatorTextTests {
  /// Text frames (binary type 3) have no prompt id: they go to the prompt that runs the node, even
  /// when every message of the prompt arrives before POST /prompt's answer does.
  @Test func nodeTextReachesItsPrompt() async throws {
    try await withSimulator { _, connection in
      let json: JSONValue = [
        "1": [
          "inputs": ["width": 16, "height": 8, "batch_size": 2, "color": .int(Int.random(in: 0...99999))],
          "class_type": "EmptyImage",
        ],
        "2": ["inputs": ["image": ["1", 0]], "class_type": "GetImageSize"],
        "3": [
          "inputs": ["width": ["2", 0], "height": ["2", 1], "batch_size": 1, "color": 0],
          "class_type": "EmptyImage",
        ],
        "4": ["inputs": ["images": ["3", 0]], "class_type": "PreviewImage"],
      ]
      let events = await connection.events()
      let queued = try await connection.run(try Workflow(apiJSON: json))
      let (tracker, _) = try await connection.finish(queued.promptID)
      var texts: [String] = []
      for await event in events {
        if case .message(.text(_, let text)) = event { texts.append(text) }
        if case .prompt(_, .finished, _) = event { break }
      }
      #expect(texts == ["width: 16, height: 8\n batch size: 2"], "the socket carried \(texts)")
      #expect(tracker.texts.map(\.text) == ["width: 16, height: 8\n batch size: 2"])
    }
  }
}
