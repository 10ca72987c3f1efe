import ComfyClient
import ComfySim
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// `run` and `watch` against the simulator: the happy path, what they print, and each failure.
@MainActor
@Suite(.serialized) struct ServerRunWatchTests {
  @Test func runThenWatchShowsEveryNodeAndTheFiles() async throws {
    let h = try await ServerHarness()
    await h.loadBasic(prefix: "rw")
    let queued = await h.ok("run")
    let id = try #require(h.queuedID(queued))
    #expect(queued.hasPrefix("queued \(id) (#"))
    #expect(id.count == 36)
    let out = await h.ok("watch")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == 4, "\(out)")
    #expect(lines[0].hasPrefix("  1  EmptyImage") && lines[0].contains("done"))
    #expect(lines[1].hasPrefix("  2  Invert Image (ImageInvert)"))
    #expect(lines[2].hasPrefix("  3  Save Image (SaveImage)") && lines[2].contains("→ output/rw_00001_.png"))
    #expect(lines[3].hasPrefix("done in ") && lines[3].hasSuffix(" s"))
    // Watching again shows the same, from what the session kept.
    #expect(await h.ok("watch \(id)") == out)
    // A unique start of the id is enough.
    #expect(await h.ok("watch \(id.prefix(8))") == out)
    await h.close()
  }

  @Test func runWaitsUntilTheServerRegisteredTheSocket() async throws {
    // A server that registers the socket 300 ms after the upgrade drops what it sends the client id
    // before that; run must not post until the socket is greeted, or the prompt's messages are lost.
    let h = try await ServerHarness(faults: SimulatorFaults(registrationDelay: .milliseconds(300)))
    await h.loadBasic(prefix: "greeted")
    let out = await h.ok("run; watch")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == 5, "\(out)")
    #expect(!out.contains("from the server's history"), "\(out)")
    for line in lines.dropFirst().dropLast() {
      #expect(line.hasSuffix(" s"), "every node has its time: \(line)")
    }
    await h.close()
  }

  @Test func watchWithoutARunSaysWhatToDo() async throws {
    let h = try await ServerHarness()
    #expect(await h.fails("watch").contains("`run` first"))
    #expect(await h.fails("watch 00000000-0000-4000-8000-000000000000").contains("does not know prompt"))
    #expect(await h.fails("run").contains("the workflow is empty"))
    await h.close()
  }

  @Test func progressBarsAndCachedRuns() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(1))
    _ = h.write(
      "up.json",
      """
      {"1": {"inputs": {"width": 1024, "height": 1024, "batch_size": 1, "color": 77}, "class_type": "EmptyImage"},
       "2": {"inputs": {"model_name": "sim-upscale-x2.safetensors"}, "class_type": "UpscaleModelLoader", "_meta": {"title": "Load Upscale Model"}},
       "3": {"inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}, "class_type": "ImageUpscaleWithModel", "_meta": {"title": "Upscale"}},
       "4": {"inputs": {"images": ["3", 0]}, "class_type": "PreviewImage", "_meta": {"title": "Preview Image"}}}
      """)
    _ = await h.ok("load up.json")
    let first = await h.ok("run; watch")
    #expect(first.contains("██████████████ 100%"), "\(first)")
    #expect(first.contains("→ temp/"))
    // The same prompt again: everything from the cache, and run says so.
    let second = await h.ok("run")
    #expect(h.output.stderr.contains("same as the last one run on this server"))
    #expect(h.output.stderr.contains("`seed NODE.INPUT randomize`"))
    _ = second
    let cached = await h.ok("watch")
    #expect(cached.split(separator: "\n").filter { $0.contains("cached") }.count == 4, "\(cached)")
    #expect(cached.contains("all from the cache"))
    await h.close()
  }

  @Test func rejectedPromptListsNodeErrorsAndChangesNothing() async throws {
    let h = try await ServerHarness()
    await h.loadBasic()
    _ = await h.ok("unlink 3.images")
    // Checked locally first: nothing is sent.
    let local = await h.fails("run")
    #expect(
      local.contains("not sent: the server would reject this workflow (prompt_outputs_failed_validation)"),
      "\(local)")
    #expect(h.output.stdout.contains("images is missing"))
    #expect(h.session.server.lastPromptID == nil)
    // Sent unchecked, the server's 400 is explained the same way.
    let error = await h.fails("run --no-check")
    #expect(error.contains("the server refused the prompt"), "\(error)")
    #expect(error.contains("node 3 (SaveImage) \"Save Image\" images: Required input is missing"))
    #expect(error.contains("link 3.images NODE:SLOT") || error.contains("set 3.images"))
    #expect(error.contains("nothing was queued and the workflow is unchanged"))
    #expect(h.session.server.lastPromptID == nil)
    // An unknown class is a prompt-level error (the catalog would refuse `add`; a file can carry one).
    _ = h.write("unknown.json", #"{"9": {"inputs": {}, "class_type": "NoSuchNode"}}"#)
    _ = await h.ok("load unknown.json")
    #expect(await h.fails("run").contains("not sent"))
    let unknown = await h.fails("run --no-check")
    #expect(unknown.contains("Cannot execute because node NoSuchNode does not exist"), "\(unknown)")
    await h.close()
  }

  @Test func serverErrorIsReportedAndTheWorkflowKept() async throws {
    let h = try await ServerHarness(faults: SimulatorFaults(failOnce: ["/prompt"]))
    await h.loadBasic()
    _ = await h.ok("seed 1.color increment")
    let before = h.session.workflow
    let error = await h.fails("run")
    #expect(error.contains("failed on POST /prompt (500"), "\(error)")
    #expect(h.session.workflow == before, "the seed policy must not apply to a prompt that was not queued")
    // The fault is used up; the next run goes through and applies the policy.
    _ = await h.ok("run")
    #expect(h.session.workflow != before)
    await h.close()
  }

  @Test func serverDownIsSaidPlainly() async throws {
    let closed = try ClosedPort()
    defer { withExtendedLifetime(closed) {} }
    let port = closed.port
    let h = ShellHarness()
    await h.loadSeed()
    let switched = await h.ok("server http://127.0.0.1:\(port)")
    #expect(switched == "server http://127.0.0.1:\(port)\n")
    #expect(h.output.stderr.contains("connection refused"))
    let run = await h.fails("run")
    #expect(
      run.contains(
        "cannot connect to http://127.0.0.1:\(port) (connection refused): is ComfyUI running there?"),
      "\(run)")
    #expect(run.contains("--sim"))
    for command in ["queue", "history", "interrupt", "cancel abc", "upload seed.json"] {
      #expect(await h.fails(command).contains("connection refused"), "\(command)")
    }
    await h.session.server.shutdown()
  }

  @Test func runtimeErrorShowsNodeExceptionAndInputs() async throws {
    let h = try await ServerHarness()
    let png = try await h.pngBytes()
    try FileIO.writeAtomically(h.shell.folder + "/example.png", png)
    await h.shell.loadSeed()
    _ = await h.ok("upload example.png 14.image")
    // A paid node and no key: refused before anything is sent, naming the node.
    let refused = await h.fails("run")
    #expect(
      refused.contains("not sent: node 11 (FluxProUltraImageNode) is a paid API node and no key is selected"),
      "\(refused)")
    // Sent anyway, the server answers as ComfyUI does: the node fails at run time.
    _ = await h.ok("run --no-check")
    let error = await h.fails("watch")
    let out = h.output.stdout
    #expect(out.contains("  14  Load Image (LoadImage)"), "\(out)")
    #expect(
      out.contains("error in node 11 (FluxProUltraImageNode) \"Flux 1.1 [pro] Ultra Image\": Exception"))
    #expect(out.contains("Unauthorized: Please login first to use this node."))
    #expect(out.contains("inputs:") && out.contains("prompt: A dreamy portrait"))
    #expect(out.contains("--traceback` shows the traceback"))
    #expect(
      error.contains("failed: node 11 (FluxProUltraImageNode) raised Exception: Unauthorized"), "\(error)")
    _ = await h.fails("watch --traceback")
    #expect(h.output.stdout.contains("traceback:"))
    await h.close()
  }

  @Test func inactivityTimeoutSaysThePromptGoesOn() async throws {
    let h = try await ServerHarness(faults: SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)]))
    await h.loadBasic()
    let id = try #require(h.queuedID(await h.ok("run")))
    let error = await h.fails("watch --timeout 0.5")
    #expect(error.contains("no news from \(h.simulator.baseURL) about prompt \(id) for 0.5 s"), "\(error)")
    #expect(error.contains("node 2 ImageInvert was running"))
    #expect(error.contains("`interrupt` to stop it"))
    #expect(try await h.session.server.client.queue().running.first?.promptID == id)
    #expect(await h.fails("watch --timeout nope").contains("--timeout takes seconds"))
    _ = await h.ok("interrupt \(id)")
    #expect(await h.fails("watch").contains("was interrupted at node 2 (ImageInvert)"))
    await h.close()
  }

  /// The simulator cuts the session's socket mid-run (fault, no close frame): watch says so, the
  /// socket comes back with the same client id, and the run is followed to its end.
  @Test func droppedSocketMidRunIsReconnected() async throws {
    let h = try await ServerHarness(
      stepDelay: .milliseconds(10), faults: SimulatorFaults(dropWebSocketAfter: 30))
    _ = h.write(
      "up.json",
      """
      {"1": {"inputs": {"width": 2048, "height": 2048, "batch_size": 1, "color": \(Int.random(in: 0...99999))}, "class_type": "EmptyImage"},
       "2": {"inputs": {"model_name": "sim-upscale-x2.safetensors"}, "class_type": "UpscaleModelLoader"},
       "3": {"inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}, "class_type": "ImageUpscaleWithModel"},
       "4": {"inputs": {"images": ["3", 0]}, "class_type": "PreviewImage"}}
      """)
    _ = await h.ok("load up.json")
    // The socket run opens is cut after 30 messages, during the upscale's progress (watch is following
    // by then); the fault is cleared once the drop is seen.
    let events = await h.session.server.connection().events()
    let simulator = h.simulator
    let clearer = Task {
      for await event in events {
        if case .disconnected = event {
          simulator.setFaults(SimulatorFaults())
          return
        }
      }
    }
    _ = await h.ok("run")
    let out = await h.ok("watch")
    clearer.cancel()
    #expect(out.contains("connection lost"), "\(out)")
    #expect(out.contains("reconnected"))
    #expect(out.contains("→ temp/") && out.contains("done in"))
    #expect(await h.session.server.existingConnection?.reconnectCount == 1)
    await h.close()
  }

  @Test func ctrlCStopsWatchingNotThePrompt() async throws {
    let h = try await ServerHarness(faults: SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)]))
    await h.loadBasic()
    let id = try #require(h.queuedID(await h.ok("run")))
    h.output.clear()
    let watching = Task { await h.shell.run("watch") }
    try await h.waitUntilRunning(id)
    try await Task.sleep(for: .milliseconds(100))
    watching.cancel()
    #expect(await watching.value == false)
    #expect(
      h.output.stderr.contains(
        "stopped watching \(id); it keeps running on the server: `interrupt \(id)` stops it"),
      "\(h.output.stderr)")
    #expect(try await h.session.server.client.queue().running.first?.promptID == id)
    _ = await h.ok("interrupt")
    await h.close()
  }

  @Test func finishNoticeWhenNobodyWatches() async throws {
    let h = try await ServerHarness()
    h.session.server.finishNotices = true
    await h.loadBasic()
    let id = try #require(h.queuedID(await h.ok("run")))
    _ = await eventually { h.output.stdout.contains("prompt \(id) finished") }
    #expect(h.output.stdout.contains("prompt \(id) finished in "), "\(h.output.stdout)")
    #expect(h.output.stdout.contains("1 output: `outputs`"))
    // While a watch shows a prompt, no notice.
    h.output.clear()
    _ = await h.ok("set 1.color 5; run; watch")
    #expect(!h.output.stdout.contains("finished in"))
    await h.close()
  }

  @Test func backgroundWatchGivesThePromptBackAndPrintsTaggedLines() async throws {
    // Nine upscale tiles of 100 ms: the run is still going when the next command has run.
    let h = try await ServerHarness(stepDelay: .milliseconds(100))
    h.session.server.finishNotices = true
    _ = h.write(
      "up.json",
      """
      {"1": {"inputs": {"width": 1024, "height": 1024, "batch_size": 1, "color": 9}, "class_type": "EmptyImage"},
       "2": {"inputs": {"model_name": "sim-upscale-x2.safetensors"}, "class_type": "UpscaleModelLoader"},
       "3": {"inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}, "class_type": "ImageUpscaleWithModel", "_meta": {"title": "Upscale"}},
       "4": {"inputs": {"filename_prefix": "bg", "images": ["3", 0]}, "class_type": "SaveImage"}}
      """)
    _ = await h.ok("load up.json")
    let id = try #require(h.queuedID(await h.ok("run")))
    let tag = "[\(id.prefix(8))] "
    #expect(
      await h.ok("watch --background")
        == "watching \(id) in the background: its lines appear above the prompt, tagged \(tag.dropLast())\n")
    // The prompt is back while the run goes on: a command runs before the run's end line arrives.
    _ = await h.ok("echo typed meanwhile")
    #expect(!h.output.stdout.contains(tag + "done"))
    #expect(await h.fails("watch --background").contains("already watched in the background"))
    _ = await eventually { h.output.stdout.contains(tag + "done in ") }
    let lines = h.output.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix(tag) }
    #expect(lines.first == tag + "running" || lines.first == tag + "queued", "\(h.output.stdout)")
    // Progress at each quarter passed, then the node's own line at 100%.
    let upscale = lines.filter { $0.hasPrefix(tag + "3  Upscale (ImageUpscaleWithModel)  █") }
    #expect(upscale.count == 4, "\(lines)")
    #expect(upscale.last?.contains("██████████████ 100%") == true)
    #expect(lines.contains { $0.hasPrefix(tag + "4  SaveImage") && $0.contains("→ output/bg_00001_.png") })
    #expect(lines.last?.hasPrefix(tag + "done in ") == true, "\(lines)")
    // The background view said how it ended: no second finish notice; the watch ends with the stream.
    #expect(!h.output.stdout.contains("prompt \(id) finished"))
    _ = await eventually { !h.session.server.isWatchingInBackground(id) }
    #expect(!h.session.server.isWatchingInBackground(id))
    await h.close()
  }

  @Test func jsonModeEmitsOneObjectPerLine() async throws {
    let h = try await ServerHarness(json: true, stepDelay: .milliseconds(1))
    await h.loadBasic(prefix: "js")
    let run = ndjson(await h.ok("run"))
    #expect(run.count == 1 && run[0]["type"] == "queued")
    let id = try #require(run[0]["prompt_id"]?.stringValue)
    #expect(run[0]["server"]?.stringValue == h.simulator.baseURL && run[0]["node_errors"] == [])
    let watch = ndjson(await h.ok("watch"))
    let types = watch.compactMap { $0["type"]?.stringValue }
    #expect(types == ["node_state", "node_state", "node_state", "done"], "\(types)")
    #expect(watch[2]["outputs"]?.arrayValue?.first?["filename"] == "js_00001_.png")
    #expect(
      watch[2]["title"] == "Save Image" && watch[2]["class_type"] == "SaveImage"
        && watch[2]["state"] == "finished")
    #expect(watch[3]["status"] == "success" && watch[3]["prompt_id"]?.stringValue == id)
    for command in ["queue", "history", "outputs", "seed", "payload", "server"] {
      let objects = ndjson(await h.ok(command))
      #expect(objects.count == 1, "\(command)")
    }
    // Errors are objects too.
    _ = await h.fails("cancel \(id)")
    let error = ndjson(h.output.stdout)
    #expect(error.first?["type"] == "error")
    await h.close()
  }
}

/// What `run` and `watch` show beyond the basics: outputs the server will not run, and node text.
@MainActor
@Suite(.serialized) struct ServerRunDetailTests {
  /// One output valid, one not: the server answers 200 with node_errors; run warns and goes on.
  @Test func acceptedWithNodeErrorsWarnsPerNode() async throws {
    let h = try await ServerHarness()
    _ = h.write(
      "two.json",
      """
      {"1": {"inputs": {"width": 8, "height": 8, "batch_size": 1, "color": \(Int.random(in: 0...99999))}, "class_type": "EmptyImage"},
       "2": {"inputs": {"width": -5, "height": 8, "batch_size": 1, "color": 0}, "class_type": "EmptyImage"},
       "3": {"inputs": {"filename_prefix": "good", "images": ["1", 0]}, "class_type": "SaveImage"},
       "9": {"inputs": {"filename_prefix": "bad", "images": ["2", 0]}, "class_type": "SaveImage"}}
      """)
    _ = await h.ok("load two.json")
    let out = await h.ok("run")
    #expect(out.hasPrefix("queued "), "\(out)")
    let warnings = h.output.stderr
    #expect(warnings.contains("some outputs will not run"), "\(warnings)")
    #expect(warnings.contains("node 2 (EmptyImage) width: Value -5 smaller than min of"), "\(warnings)")
    let watched = await h.ok("watch")
    #expect(watched.contains("→ output/good_"), "\(watched)")
    #expect(!watched.contains("bad_"))
    await h.close()
  }

  /// Text a node sends while it runs (binary frame type 3) is shown under the node.
  @Test func nodeTextIsShown() async throws {
    let h = try await ServerHarness()
    _ = h.write(
      "size.json",
      """
      {"1": {"inputs": {"width": 16, "height": 8, "batch_size": 2, "color": \(Int.random(in: 0...99999))}, "class_type": "EmptyImage"},
       "2": {"inputs": {"image": ["1", 0]}, "class_type": "GetImageSize", "_meta": {"title": "Get Image Size"}},
       "3": {"inputs": {"width": ["2", 0], "height": ["2", 1], "batch_size": 1, "color": 0}, "class_type": "EmptyImage"},
       "4": {"inputs": {"images": ["3", 0]}, "class_type": "PreviewImage"}}
      """)
    _ = await h.ok("load size.json")
    let events = await h.session.server.connection().events()
    let seen = Task {
      var types: [String] = []
      for await event in events {
        switch event {
        case .message(let message): types.append(message.typeName)
        case .prompt(_, let update, _): types.append("→ \(update)".prefix(40).description)
        default: types.append("\(event)".prefix(30).description)
        }
        if case .prompt(_, .finished, _) = event { break }
      }
      return types
    }
    let out = await h.ok("run; watch")
    let types = await seen.value
    #expect(out.contains("Get Image Size (GetImageSize)  » width: 16, height: 8"), "\(out)\n\(types)")
    #expect(out.contains("» batch size: 2"))
    await h.close()
  }
}

/// Prompts this session did not queue: their messages go to another client's socket.
@MainActor
@Suite(.serialized) struct ServerForeignPromptTests {
  @Test func watchAnotherClientsPromptByPolling() async throws {
    // Held until `watch` follows it, so it is still running when `watch` first asks, however busy the machine.
    let h = try await ServerHarness(faults: SimulatorFaults(heldNodes: ["ImageInvert"]))
    let workflow = try Workflow(
      apiJSON: try JSONValue.parse(ServerHarness.basic(color: Int.random(in: 0...9999), prefix: "other")))
    let queued = try await h.session.server.client.queuePrompt(body: [
      "client_id": "someone-else", "prompt": workflow.json, "extra_data": [:],
    ])
    let release = Task { @MainActor in
      while await h.session.server.existingConnection?.tracker(queued.promptID) == nil {
        try? await Task.sleep(for: .milliseconds(20))
      }
      h.simulator.setFaults(SimulatorFaults())
    }
    let out = await h.ok("watch \(queued.promptID)")
    await release.value
    #expect(out.hasPrefix("prompt \(queued.promptID) was queued by another client"), "\(out)")
    #expect(out.contains("→ output/other_00001_.png"), "\(out)")
    #expect(out.contains("done in"))
    // Finished: shown from history at once, without polling.
    let again = await h.ok("watch \(queued.promptID)")
    #expect(again.contains("→ output/other_00001_.png") && !again.contains("was queued by another client"))
    let outputs = await h.ok("outputs \(queued.promptID)")
    #expect(outputs.contains("output/other_00001_.png"))
    await h.close()
  }
}

/// What `watch` prints when it begins part-way through a prompt.
@MainActor
@Suite struct WatchViewJoinTests {
  /// A node's text that came before watching began, while the node still ran, is printed with its line.
  @Test func textSentBeforeWatchingBeganIsShownWhenItsNodeEnds() throws {
    let shell = ShellHarness()
    let id = "7d1f0c2e-0000-4000-8000-000000000001"
    let prompt = try Workflow(
      apiJSON: try JSONValue.parse(
        #"{"1": {"inputs": {}, "class_type": "EmptyImage"}, "2": {"inputs": {"image": ["1", 0]}, "class_type": "GetImageSize"}}"#
      ))
    var tracker = PromptTracker(promptID: id, prompt: prompt)
    _ = tracker.apply(.executionStart(promptID: id, timestamp: 1))
    _ = tracker.apply(.executing(promptID: id, node: "1", displayNode: "1"))
    _ = tracker.apply(.executing(promptID: id, node: "2", displayNode: "2"))
    _ = tracker.apply(.text(node: "2", text: "width: 16, height: 8"))
    let view = WatchView(session: shell.session, promptID: id, traceback: false)
    try view.show(.snapshot(tracker))
    #expect(!shell.output.stdout.contains("width: 16"))
    var updates = tracker.apply(.executing(promptID: id, node: nil, displayNode: nil))
    updates += tracker.apply(.executionSuccess(promptID: id, timestamp: 2))
    for update in updates { try view.show(.update(update, tracker)) }
    let lines = shell.output.stdout.split(separator: "\n")
    let text = try #require(
      lines.firstIndex { $0.contains("» width: 16, height: 8") }, "\(shell.output.stdout)")
    let node = try #require(lines.firstIndex { $0.contains("GetImageSize") && $0.contains("done") })
    #expect(text < node)
    #expect(lines.filter { $0.contains("» width") }.count == 1)
  }
}
