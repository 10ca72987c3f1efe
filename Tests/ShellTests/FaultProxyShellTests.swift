import ComfyClient
import FaultProxy
import Testing

@testable import Shell
@testable import Workflow

/// comfysh through the fault proxy against the simulator: what already holds when the server or the
/// network fails (issue 17). Phase 2 of the issue (per-request deadlines, half-open sockets, the
/// words) is tested in `FaultProxyNetworkTests`.
@MainActor
@Suite(.timeLimit(.minutes(2))) struct FaultProxyShellTests {
  @Test func aServerErrorOnRunIsNamedAndLosesNothing() async throws {
    for status in [500, 502] {
      let (h, proxy) = try await ServerHarness.throughProxy([
        .init(path: "/prompt", method: "POST", .respond(status: status, body: "upstream trouble"))
      ])
      _ = await h.ok("record r.comfy")
      await h.loadBasic(color: 5, prefix: "e\(status)")
      _ = await h.ok("set 1.width 32")
      let before = h.session.workflow
      let message = await h.fails("run")
      #expect(message.contains("failed on POST /prompt (\(status) "), "\(message)")
      #expect(message.contains("upstream trouble"))
      #expect(h.session.workflow == before)
      #expect(h.session.document.isDirty)
      _ = await h.ok("record stop")
      // The recording has every finished command, and the failed run as a comment.
      let text = try #require(h.shell.read("r.comfy"))
      let transcript = try Transcript(text: text)
      #expect(transcript.entries.map(\.statement.source) == ["load basic.json", "set 1.width 32"])
      #expect(text.contains("# run   (failed: "))
      await h.close(proxy)
    }
  }

  @Test func anUploadAnswered502IsNamed() async throws {
    let (h, proxy) = try await ServerHarness.throughProxy([
      .init(path: "/upload", .respond(status: 502, body: "bad gateway"))
    ])
    _ = h.write("up.png", "not really a png")
    let message = await h.fails("upload up.png")
    #expect(message.contains("failed on POST /upload/image (502 Bad Gateway)"), "\(message)")
    await h.close(proxy)
  }

  @Test func aDownloadCutShortLeavesNoFile() async throws {
    let (h, proxy) = try await ServerHarness.throughProxy([])
    await h.loadBasic(prefix: "cut")
    _ = await h.ok("run; watch")
    proxy.setRules([.init(path: "/view", .dropAfterBytes(300))])
    _ = await h.fails("download out")
    #expect(FileIO.names(in: h.shell.folder + "/out").isEmpty, "no partial file")
    proxy.setRules([])
    #expect(await h.ok("download out").contains("cut_00001_.png"))
    await h.close(proxy)
  }

  /// The socket lost mid-run (cut inside a frame, or reset): watch reconnects with the same client id
  /// and ends with the outcome from /history.
  @Test(arguments: [FaultProxy.Fault.webSocketCutMidFrame(afterFrames: 4), .webSocketResetAfterFrames(4)])
  func watchGetsTheOutcomeAfterTheSocketIsLost(_ fault: FaultProxy.Fault) async throws {
    let (h, proxy) = try await ServerHarness.throughProxy(
      [.init(path: "/ws", fault, times: 1)], stepDelay: .milliseconds(20))
    _ = h.write(
      "up.json",
      """
      {"1": {"inputs": {"width": 512, "height": 512, "batch_size": 1, "color": \(Int.random(in: 0...16_777_215))}, "class_type": "EmptyImage"},
       "2": {"inputs": {"model_name": "sim-upscale-x2.safetensors"}, "class_type": "UpscaleModelLoader"},
       "3": {"inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}, "class_type": "ImageUpscaleWithModel"},
       "4": {"inputs": {"filename_prefix": "lost", "images": ["3", 0]}, "class_type": "SaveImage"}}
      """)
    _ = await h.ok("load up.json")
    let out = await h.ok("run; watch")
    #expect(out.contains("→ output/lost_"), "\(out)")
    #expect(out.contains("done in"), "\(out)")
    #expect(proxy.log.contains { $0.contains("the WebSocket") }, "the fault happened: \(proxy.log)")
    await h.close(proxy)
  }

  @Test func aLateGreetingIsWaitedFor() async throws {
    let (h, proxy) = try await ServerHarness.throughProxy([
      .init(path: "/ws", .webSocketDelayGreeting(seconds: 1))
    ])
    await h.loadBasic(prefix: "late")
    let out = await h.ok("run; watch")
    #expect(out.contains("→ output/late_00001_.png"), "\(out)")
    #expect(!out.contains("from the server's history"), "no message was lost: \(out)")
    await h.close(proxy)
  }
}
