import ComfySim
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// A session against the simulator answering as ComfyUI 0.33: the dynamic-input demo of the guide
/// validates and runs, `history` reads the jobs API with filters and pages, `cancel` stops a running
/// prompt through it, and the server's rules and node replacements apply to `validate`.
@MainActor
@Suite struct Server033Tests {
  @Test func editValidateRunAndListJobs() async throws {
    let h = try await ServerHarness(comfyUI: .comfyUI0_33)
    _ = await h.ok("add EmptyImage as 1")
    _ = await h.ok("add ResizeImageMaskNode as 2")
    _ = await h.ok("link 2.input 1:0")
    _ = await h.ok("set 2.resize_type \"scale by multiplier\"")
    _ = await h.ok("set 2.resize_type.multiplier 2")
    _ = await h.ok("add BatchImagesNode as 3")
    _ = await h.ok("link 3.images.image0 2:0")
    _ = await h.ok("link 3.images.image1 1:0")
    _ = await h.ok("add PreviewImage as 4")
    _ = await h.ok("link 4.images 3:0")
    #expect(await h.ok("validate").contains("valid"))
    _ = await h.ok("run")
    let watched = await h.ok("watch")
    #expect(watched.contains("done"))
    let id = try #require(h.session.server.lastPromptID)
    let listed = await h.ok("history --status completed")
    #expect(listed.contains(id))
    #expect(listed.contains("completed"))
    #expect(listed.contains("this session"))
    #expect(await h.ok("history --status failed").contains("no prompts with that status"))
    #expect(await h.fails("history --status done").contains("pending, in_progress, completed"))
    // Cancelling a prompt that has ended says so, and asking changes nothing.
    #expect(await h.fails("cancel \(id)").contains("has already ended (completed)"))
    await h.close()
  }

  @Test func cancelStopsARunningPromptThroughTheJobsAPI() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(200), comfyUI: .comfyUI0_33)
    _ = h.write(
      "long.json",
      """
      {"1": {"inputs": {"width": 4096, "height": 4096, "batch_size": 2, "color": 0}, "class_type": "EmptyImage"},
       "2": {"inputs": {"model_name": "sim-upscale-x2.safetensors"}, "class_type": "UpscaleModelLoader"},
       "3": {"inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}, "class_type": "ImageUpscaleWithModel"},
       "4": {"inputs": {"images": ["3", 0]}, "class_type": "PreviewImage"}}
      """)
    _ = await h.ok("load long.json")
    _ = await h.ok("run")
    let id = try #require(h.session.server.lastPromptID)
    let running = await eventually {
      (try? await h.session.server.client.job(id))??.status == .inProgress
    }
    #expect(running)
    #expect(await h.ok("cancel \(id)").contains("interrupted while running"))
    let cancelled = await eventually { (try? await h.session.server.client.job(id))??.status == .cancelled }
    #expect(cancelled)
    #expect(await h.ok("history --status cancelled").contains(id))
    #expect(
      await h.fails("cancel 0b7f2d4e-0000-4000-8000-000000000000").contains("no waiting or running prompt"))
    await h.close()
  }

  @Test func validateAppliesTheServersReplacements() async throws {
    let h = try await ServerHarness(comfyUI: .comfyUI0_33)
    _ = h.write(
      "old.json",
      """
      {"1": {"inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}, "class_type": "EmptyImage"},
       "2": {"inputs": {"image": ["1", 0], "upscale_method": "area", "scale_by": 0.5}, "class_type": "ImageScaleBy", "_meta": {"title": "Scale"}},
       "3": {"inputs": {"images": ["2", 0]}, "class_type": "PreviewImage"}}
      """)
    _ = await h.ok("load old.json")
    let said = await h.ok("validate")
    #expect(said.contains("ImageScaleBy no longer exists; the server runs it as ResizeImageMaskNode"))
    #expect(said.contains("valid"))
    await h.close()
  }

  @Test func queueAndWatchOfAnotherClientsPromptUseTheJobsAPI() async throws {
    // Held so both prompts are still queued when `queue` asks, however busy the machine.
    let h = try await ServerHarness(
      faults: SimulatorFaults(heldNodes: ["ImageInvert"]), comfyUI: .comfyUI0_33)
    await h.loadBasic(prefix: "mine")
    let mine = try #require(h.queuedID(await h.ok("run")))
    let other = try Workflow(
      apiJSON: try JSONValue.parse(ServerHarness.basic(color: Int.random(in: 0...9999), prefix: "other")))
    let queued = try await h.session.server.client.queuePrompt(body: [
      "client_id": "someone-else", "prompt": other.json, "extra_data": [:],
    ])
    let before = h.simulator.receivedRequests.count
    let listed = await h.ok("queue")
    let lines = listed.split(separator: "\n").map { String($0.drop { $0 == " " }) }
    #expect(lines.count == 2, "\(listed)")
    #expect(lines.first { $0.contains(mine) }?.contains("this session") == true, "\(listed)")
    #expect(lines.first { $0.contains(queued.promptID) }?.hasPrefix("pending") == true, "\(listed)")
    #expect(lines.first { $0.contains(queued.promptID) }?.contains("another client") == true, "\(listed)")

    let release = Task { @MainActor in
      while await h.session.server.existingConnection?.tracker(queued.promptID) == nil {
        try? await Task.sleep(for: .milliseconds(20))
      }
      h.simulator.setFaults(SimulatorFaults())
    }
    let watched = await h.ok("watch \(queued.promptID)")
    await release.value
    #expect(watched.hasPrefix("prompt \(queued.promptID) was queued by another client"), "\(watched)")
    #expect(watched.contains("→ output/other_00001_.png"), "\(watched)")
    #expect(watched.contains("done in"), "\(watched)")
    let asked = h.simulator.receivedRequests.dropFirst(before)
    #expect(asked.contains { $0.hasPrefix("GET /api/jobs/\(queued.promptID)") })
    #expect(asked.contains { $0.hasPrefix("GET /api/jobs?status=in_progress,pending") })
    #expect(!asked.contains { $0.hasPrefix("GET /queue") || $0.hasPrefix("GET /history") }, "\(asked)")
    await h.close()
  }

  @Test func aServerWithoutTheJobsAPIIsAskedThroughQueueAndHistory() async throws {
    let h = try await ServerHarness(faults: SimulatorFaults(heldNodes: ["ImageInvert"]))
    await h.loadBasic(prefix: "mine")
    let mine = try #require(h.queuedID(await h.ok("run")))
    #expect(await h.ok("queue").contains(mine))
    h.simulator.setFaults(SimulatorFaults())
    let watched = await h.ok("watch")
    #expect(watched.contains("done in"))
    let asked = h.simulator.receivedRequests
    #expect(asked.contains { $0.hasPrefix("GET /queue") })
    #expect(asked.contains { $0 == "GET /api/jobs?limit=1" })
    #expect(!asked.contains { $0.hasPrefix("GET /api/jobs?status") || $0.hasPrefix("GET /api/jobs/") })
    await h.close()
  }

  /// The closing note's session: a dynamic combo edited through three levels, an autogrow grown,
  /// validated, run, watched and listed.
  @Test func aVideoSavedThroughThreeLevelsOfOptions() async throws {
    let h = try await ServerHarness(comfyUI: .comfyUI0_33)
    _ = await h.ok("add EmptyImage as 1; set 1.width 64; set 1.height 48; set 1.color 255")
    _ = await h.ok("add EmptyImage as 2; set 2.width 64; set 2.height 48")
    _ = await h.ok("add BatchImagesNode as 3; link 3.images.image0 1:0; link 3.images.image1 2:0")
    _ = await h.ok("add CreateVideo as 4; link 4.images 3:0; set 4.fps 8")
    _ = await h.ok("add SaveVideo as 5; link 5.video 4:0")
    #expect(await h.ok("set 5.format mp4").contains("added format.codec = \"auto\""))
    _ = await h.ok("set 5.format.codec h264")
    let reEncode = await h.ok("set 5.format.codec.encoding re-encode")
    #expect(reEncode.contains("format.codec.encoding.crf = 23.0"), "\(reEncode)")
    #expect(await h.fails("set 5.format.codec.encoding.crf 80").contains("bigger than the maximum 51.0"))
    _ = await h.ok("set 5.format.codec.encoding.crf 18")
    let shown = await h.ok("show 5").split(separator: "\n").map { String($0.drop { $0 == " " }) }
    let tree = shown.filter { $0.hasPrefix("format") || $0.hasPrefix(".") }.map {
      String($0.prefix { $0 != " " })
    }
    #expect(tree == ["format", ".codec", ".encoding", ".crf", ".color_space"], "\(shown)")
    #expect(await h.ok("validate").contains("valid"))
    _ = await h.ok("run")
    let watched = await h.ok("watch")
    #expect(watched.contains("→ output/video/ComfyUI_00001_.mp4"), "\(watched)")
    let id = try #require(h.session.server.lastPromptID)
    #expect(await h.ok("history --status completed").contains(id))
    let sent = try #require(h.session.server.promptRecord(id)?.workflow.json["5"]?["inputs"])
    #expect(sent["format.codec.encoding.crf"] == 18)
    await h.close()
  }

  /// What a 0.33 API node reports while it waits for Comfy's API shows under it as it comes.
  @Test func watchShowsAnAPINodesStatusText() async throws {
    let h = try await ServerHarness(comfyUI: .comfyUI0_33)
    h.session.keyRing = KeyRing(
      configFolder: h.shell.folder + "/config", environment: ["COMFY_API_KEY": TestKeys.work],
      input: KeyFeed(terminal: false).input)
    _ = await h.ok("add FluxProUltraImageNode as 1; set 1.prompt \"a fox\"")
    _ = await h.ok("add SaveImage as 2; link 2.images 1:0")
    _ = await h.ok("run")
    let watched = await h.ok("watch")
    let lines = watched.split(separator: "\n")
    let status = try #require(lines.firstIndex { $0.contains("» Status: Waiting for server") }, "\(watched)")
    let done = try #require(
      lines.firstIndex { $0.contains("Flux 1.1 [pro] Ultra Image") && $0.contains("done") })
    #expect(status < done, "\(watched)")
    #expect(h.simulator.receivedAPIKeys == [TestKeys.work])
    await h.close()
  }
}
