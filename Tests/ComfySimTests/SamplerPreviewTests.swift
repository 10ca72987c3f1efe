import ComfySim
import Media
import TestSupport
import Testing
import Workflow

/// The kinds around each preview frame of `type`: how ComfyUI orders a progress step that
/// carries a picture (`progress_state`, `progress`, then type 1; or `progress_state`, type 4, then
/// `progress`).
private func previewNeighbourhoods(_ kinds: [String], type: String, before: Int, after: Int) -> [[String]] {
  kinds.indices.filter { kinds[$0] == type && $0 >= before && $0 + after < kinds.count }.map {
    Array(kinds[($0 - before)...($0 + after)])
  }
}

@Suite("Sampler previews")
struct SamplerPreviewTests {
  static let previews = SimulatorConfiguration(samplerPreviews: true)

  private func runSampler(_ sim: SimHarness, hello: Bool, steps: Int) async throws -> [ReceivedFrame] {
    let socket = try await sim.socket(clientID: "preview", hello: hello)
    _ = await socket.next()
    let answer = try await sim.post(
      "/prompt",
      json: ["client_id": "preview", "prompt": SmallPrompts.sampler(seed: 9, steps: steps, size: 512)])
    #expect(answer.status == 200, "\(answer.text)")
    let frames = await socket.collectPrompt()
    await socket.close()
    return frames.filter { $0.kind != "feature_flags" }
  }

  @Test(
    "KSampler sends a type-1 PNG preview after each progress, framed and ordered as the recordings",
    .timeLimit(.minutes(1)), .simulator(SamplerPreviewTests.previews), needsFixtures)
  func legacyPreviews() async throws {
    let sim = try SimHarness.require()
    let frames = try await runSampler(sim, hello: false, steps: 4)
    let recorded = previewNeighbourhoods(
      try Fixtures.messageKinds("exec/ws-binary-legacy.ws.jsonl"), type: "binary:1", before: 2, after: 0)
    let ours = previewNeighbourhoods(frames.map(\.kind), type: "binary:1", before: 2, after: 0)
    #expect(ours.count == 4)
    #expect(Set(ours).count == 1 && Set(ours) == Set(recorded), "ours \(ours), recorded \(recorded)")
    let previews = frames.compactMap { $0.kind == "binary:1" ? $0.bytes : nil }
    var last: RGBAImage?
    for frame in previews {
      #expect(Array(frame[0..<8]) == [0, 0, 0, 1, 0, 0, 0, 2])
      let image = try PNGDecoder.decode(Array(frame[8...]))
      // latent2rgb's size: an eighth of the 512² the latent stands for.
      #expect(image.width == 64 && image.height == 64)
      #expect(image != last, "each step shows a new picture")
      last = image
    }
  }

  @Test(
    "after a hello with supports_preview_metadata the previews are type-4 frames before progress",
    .timeLimit(.minutes(1)), .simulator(SamplerPreviewTests.previews), needsFixtures)
  func metadataPreviews() async throws {
    let sim = try SimHarness.require()
    let frames = try await runSampler(sim, hello: true, steps: 3)
    let recorded = previewNeighbourhoods(
      try Fixtures.messageKinds("exec/ws-binary-with-metadata.ws.jsonl"), type: "binary:4", before: 1,
      after: 1)
    let ours = previewNeighbourhoods(frames.map(\.kind), type: "binary:4", before: 1, after: 1)
    #expect(ours.count == 3)
    #expect(Set(ours).count == 1 && Set(ours) == Set(recorded), "ours \(ours), recorded \(recorded)")
    let frame = try #require(frames.first { $0.kind == "binary:4" }?.bytes)
    let length = Int(frame[4]) << 24 | Int(frame[5]) << 16 | Int(frame[6]) << 8 | Int(frame[7])
    let metadata = try JSONValue.parse(bytes: Array(frame[8..<(8 + length)]))
    #expect(
      metadata["node_id"] == "3" && metadata["display_node_id"] == "3"
        && metadata["image_type"] == "image/png")
    #expect(try PNGDecoder.decode(Array(frame[(8 + length)...])).width == 64)
  }

  @Test("previews are off unless configured, as ComfyUI's are by default", .simulator)
  func offByDefault() async throws {
    let sim = try SimHarness.require()
    let frames = try await runSampler(sim, hello: false, steps: 2)
    #expect(frames.filter { $0.kind.hasPrefix("binary") }.isEmpty)
    #expect(frames.filter { $0.kind == "progress" }.count == 2)
  }
}
