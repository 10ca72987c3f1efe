import ComfySim
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// `trace`: every request, answer and WebSocket message of a run, in order, bodies cut to what
/// teaches, keys masked, never recorded.
@MainActor
@Suite struct TraceTests {
  static let key = "comfyui-7e57aaaabbbbccccddddeeeeffff00001111222233334444555566667777"

  @Test func aTracedRunShowsTheRequestsTheAnswersAndTheMessagesInOrder() async throws {
    let h = try await ServerHarness()
    h.session.keyRing = KeyRing(
      configFolder: h.shell.folder + "/config", environment: ["COMFY_API_KEY": Self.key],
      input: KeyFeed(terminal: false).input)
    _ = await h.ok("add EmptyImage as 1 width=16 height=8; add GetImageSize as 2; link 2.image 1:0")
    _ = await h.ok(
      "add EmptyImage as 5; link 5.width 2:0; link 5.height 2:1; add PreviewImage as 6; link 6.images 5:0")
    _ = await h.ok("add FluxProUltraImageNode as 3; add SaveImage as 4; link 4.images 3:0")
    #expect(await h.ok("trace on").hasPrefix("trace on"))
    let out = await h.ok("run; watch")
    let lines = out.split(separator: "\n").map(String.init)
    func index(_ text: String) -> Int? { lines.firstIndex { $0.contains(text) } }
    let post = try #require(index("POST /prompt"), "\(out)")
    #expect(lines[post].contains("→ #"))
    #expect(
      lines[post + 1].contains(
        "prompt: 6 nodes: 1 EmptyImage, 2 GetImageSize, 5 EmptyImage, 6 PreviewImage, 3 FluxProUltraImageNode, 4 SaveImage"
      ))
    let answer = try #require(index("200 OK  POST /prompt"))
    let queued = try #require(lines.firstIndex { $0.hasPrefix("queued ") })
    #expect(post < answer && answer < queued, "\(out)")
    // The key travels in extra_data, masked here as everywhere.
    #expect(out.contains("extra_data: api_key_comfy_org \"comfyui-7e57…7777\""), "\(out)")
    #expect(!out.contains(Self.key))
    let start = try #require(index("⇢ ws execution_start"))
    let text = try #require(index("⇢ ws binary 3 TEXT"))
    #expect(lines[text].contains("node 2: \"width: 16, height: 8"), "\(out)")
    // The traffic comes before the lines it led to: the end message before `watch` says "done".
    let end = try #require(index("⇢ ws execution_success"))
    let done = try #require(lines.lastIndex { $0.hasPrefix("done in") })
    #expect(start < text && text < end && end < done, "\(out)")

    // Off: no more traffic lines; on with --full: whole bodies.
    _ = await h.ok("trace off")
    #expect(!(await h.ok("queue")).contains("GET /queue"))
    _ = await h.ok("trace on --full")
    let full = await h.ok("queue")
    #expect(full.contains("GET /queue"), "\(full)")
    #expect(full.contains("\"queue_running\": ["), "\(full)")
    _ = await h.ok("trace off")
    await h.close()
  }

  @Test func jsonModeGivesOneEventPerLine() async throws {
    let h = try await ServerHarness(json: true)
    _ = await h.ok("trace on")
    let events = ndjson(await h.ok("queue")).filter { $0["type"] == "trace" }
    let request = try #require(
      events.first { $0["event"] == "request" && $0["route"] == "/queue" }, "\(events)")
    #expect(request["method"] == "GET")
    let answer = try #require(events.first { $0["event"] == "response" && $0["route"] == "/queue" })
    #expect(answer["status"] == 200)
    #expect(answer["body"]?["queue_running"] == [])
    _ = await h.ok("trace off")
    await h.close()
  }

  /// A catalog is counted, a PNG named, a preview frame given by its type and size.
  @Test func bodiesAreCutToWhatTeaches() throws {
    let words = TraceWords(full: false, json: false, start: 0)
    let catalog = Array(#"{"A": {}, "B": {}, "C": {}}"#.utf8)
    let counted = words.lines(
      .response(
        id: 4, method: "GET", route: "/object_info", status: 200, reason: "OK", seconds: 0.012, body: catalog),
      at: 1.5, mask: { $0 })
    #expect(
      counted == [
        "[  1.500] ← #4 200 OK  GET /object_info  12 ms  27 B",
        "    3 node classes (`trace --full` shows them all)",
      ])
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]
    let image = words.lines(
      .response(
        id: 5, method: "GET", route: "/view?filename=a.png", status: 200, reason: "OK", seconds: 2, body: png),
      at: 3, mask: { $0 })
    #expect(image == ["[  3.000] ← #5 200 OK  GET /view  2.0 s  10 B", "    a PNG image"])
    let preview = words.lines(.socketBinary([0, 0, 0, 1, 0, 0, 0, 2] + png), at: 3, mask: { $0 })
    #expect(preview == ["[  3.000] ⇢ ws binary 1 PREVIEW_IMAGE  18 B"])
  }

  @Test func aRecordingHoldsNoTraceLines() async throws {
    let h = try await ServerHarness()
    _ = await h.ok("trace on")
    let path = h.shell.folder + "/session.comfy"
    _ = await h.ok("record \(path)")
    _ = await h.ok("add EmptyImage as 1 width=8 height=8; add SaveImage as 2; link 2.images 1:0; run; watch")
    _ = await h.ok("record stop")
    _ = await h.ok("trace off")
    let recorded = try FileIO.readText(path)
    #expect(recorded.contains("#> queued "), "\(recorded)")
    #expect(!recorded.contains("POST /prompt") && !recorded.contains("⇢ ws"), "\(recorded)")
    await h.close()
  }
}
