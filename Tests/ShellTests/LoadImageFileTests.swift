import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// `load` of PNG and WEBP files: which part was read and why, `--ui` / `--api`, and what a broken
/// file says (issue 11 point 4; issue 17's zTXt, bad-JSON and truncated-PNG messages).
@MainActor
@Suite struct LoadImageFileTests {
  static let prompt = #"{"1": {"inputs": {"width": 64}, "class_type": "EmptyImage"}}"#
  /// A UI workflow of one EmptyImage node, for the small catalog's EmptyImage.
  static let workflow = #"""
    {"last_node_id": 2, "last_link_id": 0, "version": 0.4, "links": [], "nodes": [
      {"id": 2, "type": "EmptyImage", "mode": 0, "inputs": [], "outputs": [], "widgets_values": [32, 16, 1, 0]}]}
    """#

  func harness() -> ShellHarness {
    let h = ShellHarness()
    h.session.catalog.path = Fixtures.path("object_info.json")
    return h
  }

  func png(_ chunks: [PNGChunks.Chunk]) -> [UInt8] { MetadataSamples.png(chunks) }

  @Test(needsFixtures) func aPNGWithOnlyACompressedWorkflowChunkIsConverted() async throws {
    let h = harness()
    try FileIO.writeAtomically(h.folder + "/ui.png", png([MetadataSamples.zTXt("workflow", Self.workflow)]))
    let out = await h.ok("load ui.png")
    #expect(
      out == "loaded ui.png · 1 node · PNG, from its workflow chunk (zTXt), UI format converted; "
        + "it has no prompt chunk\n")
    #expect(h.session.workflow["2"]?.inputs["width"] == 32)
    #expect(h.session.document.current.uiWorkflow != nil)
  }

  @Test(needsFixtures) func aCompressedITXtPromptIsRead() async throws {
    let h = harness()
    try FileIO.writeAtomically(
      h.folder + "/api.png", png([MetadataSamples.iTXt("prompt", Self.prompt, compressed: true)]))
    #expect(
      await h.ok("load api.png")
        == "loaded api.png · 1 node · PNG, from its prompt chunk (iTXt (compressed))\n")
  }

  @Test(needsFixtures) func bothChunksPromptFirstAndTheFlagsPick() async throws {
    let h = harness()
    try FileIO.writeAtomically(
      h.folder + "/both.png",
      png([
        PNGChunks.textChunk(key: "prompt", text: Self.prompt),
        PNGChunks.textChunk(key: "workflow", text: Self.workflow),
      ]))
    #expect(
      await h.ok("load both.png")
        == "loaded both.png · 1 node · PNG, from its prompt chunk (tEXt); it has a workflow chunk too "
        + "(`load --ui` converts that)\n")
    #expect(h.session.workflow["1"] != nil)
    #expect(
      await h.ok("load --ui both.png")
        == "loaded both.png · 1 node · PNG, from its workflow chunk (tEXt), UI format converted, as --ui asked\n"
    )
    #expect(h.session.workflow["2"] != nil)
    #expect(await h.ok("load --api both.png").contains("from its prompt chunk (tEXt), as --api asked"))
    #expect(await h.fails("load --ui --api both.png").contains("exclude each other"))
  }

  /// Issue 17: a workflow chunk that is not JSON said "no prompt".
  @Test(needsFixtures) func aBadJSONWorkflowChunkSaysWhatIsWrong() async throws {
    let h = harness()
    try FileIO.writeAtomically(
      h.folder + "/bad.png", png([PNGChunks.textChunk(key: "workflow", text: "{\"nodes\": [")]))
    let message = await h.fails("load bad.png")
    #expect(message.contains("its workflow chunk (tEXt) is not valid JSON"), "\(message)")
    #expect(!message.contains("without a ComfyUI prompt"))
    // A broken prompt next to a good workflow: the workflow is read, and the line says why.
    try FileIO.writeAtomically(
      h.folder + "/half.png",
      png([
        PNGChunks.textChunk(key: "prompt", text: "{oops"),
        PNGChunks.textChunk(key: "workflow", text: Self.workflow),
      ]))
    #expect(
      await h.ok("load half.png").contains("UI format converted; its prompt chunk (tEXt) is not valid JSON"))
    #expect(await h.fails("load --api half.png").contains("its prompt chunk (tEXt) is not valid JSON"))
  }

  /// Issue 17: a PNG cut short said "no prompt".
  @Test func aTruncatedPNGSaysItIsTruncated() async throws {
    let h = ShellHarness()
    let whole = png([PNGChunks.textChunk(key: "prompt", text: Self.prompt)])
    try FileIO.writeAtomically(h.folder + "/cut.png", Array(whole.dropLast(12)))
    let message = await h.fails("load cut.png")
    #expect(message.contains("the PNG file is truncated"), "\(message)")
    #expect(!message.contains("without a ComfyUI prompt"))
  }

  @Test(needsFixtures) func webpFromSaveAnimatedWEBP() async throws {
    let h = harness()
    try FileIO.writeAtomically(
      h.folder + "/anim.webp", MetadataSamples.webp(prompt: Self.prompt, workflow: Self.workflow))
    #expect(
      await h.ok("load anim.webp")
        == "loaded anim.webp · 1 node · WEBP, from its prompt EXIF entry; it has a workflow EXIF entry too "
        + "(`load --ui` converts that)\n")
    #expect(
      await h.ok("load --ui anim.webp").contains("WEBP, from its workflow EXIF entry, UI format converted"))
    try FileIO.writeAtomically(h.folder + "/none.webp", MetadataSamples.webp(prompt: nil, workflow: nil))
    #expect(await h.fails("load none.webp").contains("WEBP without a ComfyUI prompt or workflow"))
  }

  @Test(needsFixtures) func unknownNodeTypesAreKeptAndNamed() async throws {
    let h = harness()
    let ui = #"""
      {"version": 0.4, "links": [[1, 1, 0, 2, 0, "IMAGE"]], "nodes": [
        {"id": 1, "type": "EmptyImage", "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}],
         "widgets_values": [8, 8, 1, 0]},
        {"id": 2, "type": "FancyBlur", "inputs": [{"name": "image", "type": "IMAGE", "link": 1},
          {"name": "radius", "type": "INT", "widget": {"name": "radius"}, "link": null}], "widgets_values": [3]}]}
      """#
    _ = h.write("custom.json", ui)
    let out = await h.ok("load custom.json")
    #expect(out == "loaded custom.json · 2 nodes · UI format\n")
    #expect(
      h.output.stderr.contains(
        "the catalog does not know the node type FancyBlur (node 2); the nodes are kept with their links"))
    #expect(h.session.workflow["2"]?.inputs["radius"] == 3)
    #expect(h.session.workflow["2"]?.inputs["image"] == ["1", 0])
    // validate answers as the server would: the class does not exist.
    let report = await h.fails("validate")
    #expect(report.contains("invalid_prompt"), "\(report)")
    #expect(h.output.stdout.contains("node 2: this server has no node class FancyBlur"), "\(h.output.stdout)")
  }
}
