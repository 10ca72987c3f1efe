import ComfySim
import Media
import TestSupport
import Testing
import Workflow

/// Runs `prompt` for client `client` on an open socket and returns the frames to the end.
private func run(
  _ sim: SimHarness, _ socket: TestSocket, _ prompt: JSONValue, client: String
) async throws
  -> [ReceivedFrame]
{
  let answer = try await sim.post("/prompt", json: ["client_id": .string(client), "prompt": prompt])
  #expect(answer.status == 200, "\(answer.text)")
  return await socket.collectPrompt()
}

@Suite("Node behaviour and caching")
struct NodeBehaviourTests {
  @Test("changing one input re-runs that node and its dependents; the rest comes from the cache", .simulator)
  func partialCache() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "cache")
    _ = await socket.next()
    let first = try await run(sim, socket, SmallPrompts.basic(color: 1), client: "cache")
    #expect(
      first.filter { $0.kind == "executing" }.compactMap { $0.data?["node"]?.stringValue } == ["1", "2", "3"])
    var prompt = SmallPrompts.basic(color: 1)
    prompt = try #require(editing(prompt, node: "3", input: "filename_prefix", to: "other"))
    let second = try await run(sim, socket, prompt, client: "cache")
    #expect(second.first { $0.kind == "execution_cached" }?.data?["nodes"] == ["1", "2"])
    #expect(second.filter { $0.kind == "executing" }.compactMap { $0.data?["node"]?.stringValue } == ["3"])
    #expect(
      second.first { $0.kind == "executed" }?.data?["output"]?["images"]?[0]?["filename"]
        == "other_00001_.png")
    // A different source invalidates everything downstream.
    let third = try await run(sim, socket, SmallPrompts.basic(color: 2), client: "cache")
    #expect(third.first { $0.kind == "execution_cached" }?.data?["nodes"] == [])
    // SaveImage numbering continues after the files already there.
    #expect(
      third.first { $0.kind == "executed" }?.data?["output"]?["images"]?[0]?["filename"]
        == "sim_basic_00002_.png")
    await socket.close()
  }

  @Test(
    "KSampler reports a progress step per sampling step; the seed decides the picture; sizes are capped",
    .simulator)
  func sampler() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "ks")
    _ = await socket.next()
    let frames = try await run(sim, socket, SmallPrompts.sampler(seed: 1, steps: 5), client: "ks")
    let steps = frames.filter { $0.kind == "progress" }.map { $0.data?["value"] }
    #expect(steps == [1, 2, 3, 4, 5])
    #expect(
      frames.filter { $0.kind == "progress" }.allSatisfy { $0.data?["node"] == "3" && $0.data?["max"] == 5 })
    let order = frames.filter { $0.kind == "executing" }.compactMap { $0.data?["node"]?.stringValue }
    #expect(order.last == "9")
    let sampled = try #require(order.firstIndex(of: "3"))
    let decoded = try #require(order.firstIndex(of: "8"))
    #expect(sampled < decoded)
    let first = try await sim.get("/view?filename=sampled_00001_.png")
    #expect(ImageFilesProbe.size(first.body).map { [$0.width, $0.height] } == [256, 256])
    _ = try await run(sim, socket, SmallPrompts.sampler(seed: 2, steps: 5), client: "ks")
    let second = try await sim.get("/view?filename=sampled_00002_.png")
    #expect(second.status == 200 && first.body != second.body)
    _ = try await run(
      sim, socket, SmallPrompts.sampler(seed: 18_446_744_073_709_551_615, steps: 1), client: "ks")
    #expect(try await sim.get("/view?filename=sampled_00003_.png").status == 200)
    await socket.close()
  }

  @Test(
    "GetImageSize feeds sizes on; ImageScale with 0 keeps the aspect; PrimitiveInt passes its value",
    .simulator)
  func sizesAndPrimitives() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "sizes")
    _ = await socket.next()
    let prompt: JSONValue = [
      "1": [
        "inputs": ["width": 300, "height": 200, "batch_size": 2, "color": 255], "class_type": "EmptyImage",
      ],
      "2": ["inputs": ["value": 150], "class_type": "PrimitiveInt"],
      "3": [
        "inputs": [
          "image": ["1", 0], "upscale_method": "bilinear", "width": ["2", 0], "height": 0, "crop": "disabled",
        ],
        "class_type": "ImageScale",
      ],
      "4": ["inputs": ["image": ["3", 0]], "class_type": "GetImageSize"],
      "5": [
        "inputs": ["width": ["4", 0], "height": ["4", 1], "batch_size": ["4", 2], "color": 0],
        "class_type": "EmptyImage",
      ],
      "6": ["inputs": ["images": ["5", 0], "filename_prefix": "sized"], "class_type": "SaveImage"],
    ]
    let frames = try await run(sim, socket, prompt, client: "sizes")
    let text = try #require(frames.first { $0.kind == "binary:3" }?.bytes)
    #expect(String(decoding: text[9...], as: UTF8.self) == "width: 150, height: 100\n batch size: 2")
    let images = frames.first { $0.kind == "executed" }?.data?["output"]?["images"]?.arrayValue
    #expect(images?.count == 2)
    let file = try await sim.get("/view?filename=sized_00002_.png")
    #expect(ImageFilesProbe.size(file.body).map { [$0.width, $0.height] } == [150, 100])
    await socket.close()
  }

  @Test(
    "LoadImage reads input/ (our own PNGs pixel for pixel); a file gone at run time fails as ComfyUI",
    .simulator(.init(stepDelay: .milliseconds(5))))
  func loadImage() async throws {
    let sim = try SimHarness.require()
    let socket = try await sim.socket(clientID: "load")
    _ = await socket.next()
    _ = try await sim.upload(SmallPrompts.pngBytes(seed: 4, width: 20, height: 10), filename: "in.png")
    let prompt: JSONValue = [
      "1": ["inputs": ["image": "in.png"], "class_type": "LoadImage"],
      "2": ["inputs": ["image": ["1", 0]], "class_type": "ImageInvert"],
      "3": ["inputs": ["image": ["2", 0]], "class_type": "ImageInvert"],
      "4": ["inputs": ["images": ["3", 0], "filename_prefix": "roundtrip"], "class_type": "SaveImage"],
    ]
    let frames = try await run(sim, socket, prompt, client: "load")
    #expect(frames.contains { $0.kind == "execution_success" })
    let saved = try await sim.get("/view?filename=roundtrip_00001_.png")
    let original = try await sim.get("/view?filename=in.png&type=input")
    #expect(ImageFilesProbe.pixels(saved.body) == ImageFilesProbe.pixels(original.body))

    // Queue a job held until the file is gone, then a LoadImage prompt whose file disappears before it runs.
    sim.simulator.setFaults(SimulatorFaults(heldNodes: ["ImageUpscaleWithModel"]))
    _ = try await sim.post(
      "/prompt", json: ["client_id": "load", "prompt": SmallPrompts.upscale(size: 1024, batch: 2)])
    _ = try await sim.upload(SmallPrompts.pngBytes(seed: 5), filename: "gone.png")
    let gone = try #require(editing(prompt, node: "1", input: "image", to: "gone.png"))
    #expect(try await sim.post("/prompt", json: ["client_id": "load", "prompt": gone]).status == 200)
    let path = sim.simulator.dataFolder + "/input/gone.png"
    #expect(unlinkFile(path))
    sim.simulator.setFaults(SimulatorFaults())
    _ = await socket.collectPrompt()
    let failed = await socket.collectPrompt()
    let error = try #require(failed.first { $0.kind == "execution_error" }?.data)
    #expect(error["exception_type"] == "FileNotFoundError")
    #expect(error["exception_message"]?.stringValue == "[Errno 2] No such file or directory: '\(path)'\n")
    await socket.close()
  }

  @Test(
    "a node of a --catalog class runs with the generic behaviour; paid ones still need a key", needsFixtures,
    .simulator(.init(catalogJSON: try? Fixtures.json("object_info.json"))))
  func genericNodes() async throws {
    let sim = try SimHarness.require()
    #expect(try await sim.get("/object_info").json?.objectValue?.count == 496)
    let socket = try await sim.socket(clientID: "generic")
    _ = await socket.next()
    let prompt: JSONValue = [
      "1": ["inputs": ["width": 32, "height": 32, "batch_size": 1, "color": 0], "class_type": "EmptyImage"],
      "2": [
        "inputs": ["image": ["1", 0], "blur_radius": 3, "sigma": .double(1.5)], "class_type": "ImageBlur",
      ],
      "3": ["inputs": ["images": ["2", 0], "filename_prefix": "blurred"], "class_type": "SaveImage"],
      "4": ["inputs": ["source": ["2", 0]], "class_type": "PreviewAny"],
    ]
    let frames = try await run(sim, socket, prompt, client: "generic")
    #expect(frames.contains { $0.kind == "execution_success" })
    let outputs = frames.filter { $0.kind == "executed" }.compactMap { $0.data?["node"]?.stringValue }
    #expect(Set(outputs) == ["3", "4"])
    let paid: JSONValue = [
      "1": ["inputs": ["prompt": "a cat"], "class_type": "OpenAIDalle2"],
      "2": ["inputs": ["images": ["1", 0]], "class_type": "PreviewImage"],
    ]
    let failed = try await run(sim, socket, paid, client: "generic")
    #expect(
      failed.first { $0.kind == "execution_error" }?.data?["exception_message"]
        == "Unauthorized: Please login first to use this node.\n")
    let answer = try await sim.post(
      "/prompt", json: ["client_id": "generic", "prompt": paid, "extra_data": ["api_key_comfy_org": "k"]])
    #expect(answer.status == 200)
    #expect(await socket.collectPrompt().contains { $0.kind == "execution_success" })
    await socket.close()
  }
}

/// A copy of `prompt` with one input replaced.
func editing(_ prompt: JSONValue, node: String, input: String, to value: JSONValue) -> JSONValue? {
  guard case .object(var nodes) = prompt, case .object(var fields)? = nodes[node],
    case .object(var inputs)? = fields["inputs"]
  else { return nil }
  inputs[input] = value
  fields["inputs"] = .object(inputs)
  nodes[node] = .object(fields)
  return .object(nodes)
}
