import ComfyClient
import ComfySim
import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `queue`, `history`, `interrupt`, `cancel`, `server`, `upload`, `outputs`, `download`, `seed`, `payload`.
@MainActor
@Suite(.serialized) struct ServerQueueTests {
  static let slow = SimulatorFaults(nodeDelays: ["ImageInvert": .seconds(30)])

  @Test func queueInterruptAndCancel() async throws {
    let h = try await ServerHarness(faults: Self.slow)
    await h.loadBasic()
    let running = try #require(h.queuedID(await h.ok("run")))
    _ = await h.ok("set 1.color 1")
    let pending = try #require(h.queuedID(await h.ok("run")))
    _ = await h.ok("set 1.color 2")
    let last = try #require(h.queuedID(await h.ok("run --front")))
    try await h.waitUntilRunning(running)
    let queue = await h.ok("queue").split(separator: "\n")
    #expect(queue.count == 3)
    #expect(queue[0].contains("running") && queue[0].contains(running) && queue[0].contains("this session"))
    // --front put the last one before the other waiting one.
    #expect(queue[1].contains(last) && queue[2].contains(pending))
    // cancel: a waiting prompt goes; a running one is for interrupt; and the other way round.
    #expect(
      await h.fails("cancel \(running)").contains("is already running; `interrupt \(running)` stops it"))
    #expect(
      await h.fails("interrupt \(pending)").contains("waiting in the queue, not running: `cancel \(pending)`")
    )
    #expect(await h.ok("cancel \(pending)") == "cancelled \(pending) (removed from the queue)\n")
    #expect(await h.fails("cancel \(pending)").contains("is not waiting in the queue"))
    #expect(await h.fails("watch \(pending)").contains("was cancelled"))
    #expect(await h.ok("queue clear").hasPrefix("removed 1 waiting prompt"))
    #expect(await h.ok("interrupt \(running)") == "asked the server to stop prompt \(running)\n")
    #expect(await h.fails("watch \(running)").contains("interrupted at node 2 (ImageInvert)"))
    #expect(await h.ok("interrupt") == "nothing is running\n")
    #expect(await h.ok("queue") == "the queue is empty\n")
    let history = await h.ok("history")
    #expect(history.contains(running) && history.contains("interrupted"))
    let detail = await h.ok("history \(running)")
    #expect(
      detail.hasPrefix("prompt \(running) · interrupted")
        && detail.contains("interrupted at node 2 (ImageInvert)"))
    await h.close()
  }

  @Test func globalInterruptStopsWhateverRuns() async throws {
    let h = try await ServerHarness(faults: Self.slow)
    await h.loadBasic()
    let id = try #require(h.queuedID(await h.ok("run")))
    try await h.waitUntilRunning(id)
    #expect(await h.ok("interrupt") == "asked the server to stop prompt \(id)\n")
    #expect(await h.fails("watch").contains("interrupted"))
    await h.close()
  }

  /// ComfyUI's GET /queue shows API keys in clear text; comfysh never does.
  @Test func queueMasksKeys() async throws {
    let h = try await ServerHarness(faults: Self.slow)
    let key = "comfyui-87d0aaaabbbbccccddddeeeeffff1234c1f2"
    let workflow = try Workflow(apiJSON: try JSONValue.parse(ServerHarness.basic(color: 3, prefix: "k")))
    let client = h.session.server.client
    _ = try await client.queuePrompt(body: [
      "client_id": "someone-else", "prompt": workflow.json, "extra_data": ["api_key_comfy_org": .string(key)],
    ])
    let text = await h.ok("queue")
    #expect(!text.contains(key) && text.contains("key comfyui-87d0…c1f2") && text.contains("another client"))
    let json = ShellHarness(json: true)
    await json.session.server.select(try ServerAddress(h.simulator.baseURL), name: nil, origin: .command)
    let objects = ndjson(await json.ok("queue"))
    #expect(!objects.description.contains(key))
    let extra = objects.first?["running"]?.arrayValue?.first?["extra_data"]
    #expect(extra?["api_key_comfy_org"] == "comfyui-87d0…c1f2")
    _ = await h.ok("interrupt")
    await json.session.server.shutdown()
    await h.close()
  }

  @Test func serverShowSwitchAndSavedNames() async throws {
    let h = try await ServerHarness()
    let home = TemporaryFolder.make()
    setenv("XDG_CONFIG_HOME", home, 1)
    let url = h.simulator.baseURL
    let shown = await h.ok("server")
    #expect(shown.hasPrefix("server \(url) · ComfyUI 0.3.64 simulator · from server command"), "\(shown)")
    #expect(await h.ok("server add sim \(url)") == "saved server sim = \(url); `server sim` switches to it\n")
    #expect(FileIO.exists(home + "/comfysh/servers.json"))
    let saved = try JSONValue.parse(FileIO.readText(home + "/comfysh/servers.json"))
    #expect(saved["servers"]?["sim"]?.stringValue == url)
    #expect(await h.ok("server sim") == "server \(url) · ComfyUI 0.3.64 simulator\n")
    #expect(h.session.server.name == "sim")
    #expect(await h.ok("server").contains("saved:\n  sim  \(url)"))
    #expect(await h.fails("server smi").contains("no saved server is called smi (did you mean sim?)"))
    #expect(await h.fails("server add add http://x:1").contains("cannot name a server"))
    #expect(await h.fails("server add x ftp://nope").contains("not an http or https URL"))
    #expect(await h.ok("server rm sim") == "removed server sim\n")
    #expect(await h.fails("server rm sim").contains("no saved server is called sim"))
    await h.close()
  }

  @Test func uploadSetsTheInputTheServerNamed() async throws {
    let h = try await ServerHarness()
    let png = try await h.pngBytes()
    try FileIO.writeAtomically(h.shell.folder + "/cat.png", png)
    await h.shell.loadSeed()
    #expect(
      await h.ok("upload cat.png 14.image") == "uploaded cat.png → input/cat.png · 14.image = \"cat.png\"\n")
    #expect(h.session.workflow["14"]?.input("image") == .value("cat.png"))
    // Other bytes under the same name: the server renames, and the input gets the new name.
    var other = png
    other[other.count - 5] ^= 0xFF
    try FileIO.writeAtomically(h.shell.folder + "/cat.png", other)
    let renamed = await h.ok("upload cat.png @\"Load Image\".image")
    #expect(
      renamed.contains("input/cat (1).png (renamed by the server")
        && renamed.contains("14.image = \"cat (1).png\""))
    _ = await h.ok("undo")
    #expect(h.session.workflow["14"]?.input("image") == .value("cat.png"))
    // Mistakes are found before anything is sent.
    #expect(await h.fails("upload cat.png 14.imag").contains("has no input imag"))
    #expect(await h.fails("upload cat.png 11.image_prompt").contains("is linked"))
    #expect(await h.fails("upload missing.png").contains("cannot read missing.png"))
    #expect(await h.ok("upload cat.png --subfolder pets").contains("→ input/pets/cat.png"))
    await h.close()
  }

  @Test func outputsAndDownloadNeverOverwrite() async throws {
    let h = try await ServerHarness()
    _ = h.write(
      "two.json",
      """
      {"1": {"inputs": {"width": 32, "height": 32, "batch_size": 1, "color": \(Int.random(in: 0...99999))}, "class_type": "EmptyImage"},
       "2": {"inputs": {"filename_prefix": "sub/dir/pic", "images": ["1", 0]}, "class_type": "SaveImage", "_meta": {"title": "Save Image"}},
       "3": {"inputs": {"images": ["1", 0]}, "class_type": "PreviewImage", "_meta": {"title": "Preview Image"}}}
      """)
    _ = await h.ok("load two.json")
    #expect(await h.fails("outputs").contains("`run` first"))
    _ = await h.ok("run; watch")
    let outputs = await h.ok("outputs")
    #expect(outputs.contains("output/sub/dir/pic_00001_.png") && outputs.contains("temp/"), "\(outputs)")
    let first = await h.ok("download out")
    #expect(first.contains("saved output/sub/dir/pic_00001_.png → out/sub/dir/pic_00001_.png"), "\(first)")
    #expect(FileIO.exists(h.shell.folder + "/out/sub/dir/pic_00001_.png"))
    let bytes = try FileIO.read(h.shell.folder + "/out/sub/dir/pic_00001_.png")
    #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    let second = await h.ok("download out")
    #expect(second.contains("→ out/sub/dir/pic_00001_ (1).png"), "\(second)")
    #expect(try FileIO.read(h.shell.folder + "/out/sub/dir/pic_00001_.png") == bytes)
    _ = h.write("afile", "x")
    #expect(await h.fails("download afile").contains("is a file"))
    await h.close()
  }

  @Test func previewsFromBinaryFramesAreKept() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(1))
    _ = h.write(
      "ws.json",
      """
      {"1": {"inputs": {"width": 8, "height": 8, "batch_size": 2, "color": 5}, "class_type": "EmptyImage"},
       "2": {"inputs": {"images": ["1", 0]}, "class_type": "SaveImageWebsocket", "_meta": {"title": "Websocket"}}}
      """)
    _ = await h.ok("load ws.json")
    _ = await h.ok("run; watch")
    let id = try #require(h.session.server.lastPromptID)
    let previews = await h.session.server.tracker(id)?.previews ?? []
    let out = await h.ok("outputs")
    if previews.isEmpty {
      Issue.record("the simulator sent no previews for SaveImageWebsocket: \(out)")
    } else {
      #expect(previews.count == 2 && previews.allSatisfy { $0.node == "2" && $0.image.format == .png })
      #expect(out.contains("previews: 2 images (node 2: 2)"), "\(out)")
      let saved = await h.ok("download shots --previews")
      #expect(
        saved.contains("saved preview 1 → shots/preview_") && saved.contains("_node2_2.png"), "\(saved)")
    }
    await h.close()
  }

  @Test func seedPoliciesApplyAtEachRun() async throws {
    let h = try await ServerHarness()
    await h.loadBasic(color: 100)
    #expect(await h.ok("seed").hasPrefix("no seed policies"))
    #expect(await h.ok("seed 1.color increment") == "1.color goes up by 1 at each run\n")
    #expect(await h.ok("seed").contains("1.color  increment  now 100"))
    let run = await h.ok("run")
    #expect(run.contains("· 1.color 101"))
    #expect(h.session.workflow["1"]?.input("color") == .value(101))
    let id = try #require(h.session.server.lastPromptID)
    let sent =
      try await h.session.server.client.queue().contains(id)
      ? nil : try await h.session.server.client.history(promptID: id)
    if let sent { #expect(sent.item?.prompt["1"]?["inputs"]?["color"] == 101) }
    _ = await h.ok("undo")
    #expect(h.session.workflow["1"]?.input("color") == .value(100))
    _ = await h.ok("seed 1.color decrement; run")
    #expect(h.session.workflow["1"]?.input("color") == .value(99))
    _ = await h.ok("seed 1.color randomize; run")
    #expect(h.session.workflow["1"]?.input("color") != .value(99))
    _ = await h.ok("seed 1.color fixed")
    let value = h.session.workflow["1"]?.input("color")
    _ = await h.ok("run")
    #expect(h.session.workflow["1"]?.input("color") == value)
    // Fixed now: the value the last run sent goes again, and ComfyUI's cache will answer it.
    #expect(h.output.stderr.contains("same as the last one"))
    #expect(await h.fails("seed 2.image randomize").contains("linked"))
    #expect(await h.fails("seed 3.filename_prefix increment").contains("not a whole number"))
    #expect(await h.fails("seed 1.colour increment").contains("did you mean color?"))
    #expect(await h.fails("seed 1.color sometimes").contains("not a seed policy"))
    #expect(await h.fails("seed 1.color").contains("usage: seed"))
    await h.close()
  }

  @Test func payloadIsTheExactBody() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    let text = await h.ok("payload")
    let body = try JSONValue.parse(text)
    #expect(body["client_id"]?.stringValue == h.session.server.clientID)
    #expect(body["prompt"] == h.session.workflow.json)
    #expect(body["extra_data"] == [:])
    #expect(Array(body.objectValue?.keys ?? []) == ["client_id", "prompt", "extra_data"])
    let front = try JSONValue.parse(await h.ok("payload --front --compact"))
    #expect(front["front"] == true)
    // A workflow that came with its UI form sends it as extra_pnginfo.workflow, as the frontend does.
    let png = PNGChunks.write([
      .init(type: "IHDR", data: [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]),
      PNGChunks.textChunk(key: "prompt", text: #"{"1": {"inputs": {}, "class_type": "SaveImage"}}"#),
      PNGChunks.textChunk(key: "workflow", text: #"{"nodes": [], "links": [], "version": 0.4}"#),
      .init(type: "IEND", data: []),
    ])
    try FileIO.writeAtomically(h.folder + "/ui.png", png)
    _ = await h.ok("load ui.png")
    let withUI = try JSONValue.parse(await h.ok("payload"))
    #expect(withUI["extra_data"]?["extra_pnginfo"]?["workflow"]?["version"]?.numberValue?.text == "0.4")
    _ = await h.ok("new")
    #expect(await h.fails("payload").contains("the workflow is empty"))
  }

  @Test func keysAreMaskedInPayloadText() {
    // The masking every display uses (payload, queue, errors, watch's inputs).
    let body: JSONValue = [
      "extra_data": ["api_key_comfy_org": "comfyui-87d0aaaabbbbccccddddeeeeffff1234c1f2"]
    ]
    #expect(Secrets.masked(body)["extra_data"]?["api_key_comfy_org"] == "comfyui-87d0…c1f2")
    #expect(maskKey("comfyui-87d0aaaabbbbccccddddeeeeffff1234c1f2") == "comfyui-87d0…c1f2")
  }
}
