import Testing

@testable import Workflow

/// Where `setInput` puts a new input: a dotted one after the inputs of its group (where the frontend
/// writes a V3 dynamic input's options and slots), anything else last.
@Suite struct NodeInputOrderTests {
  func node(_ names: [String]) -> Node {
    Node(
      id: "5", classType: "SaveVideo", title: nil,
      inputs: JSONObject(uniqueKeysWithValues: names.map { ($0, JSONValue.string("x")) }))
  }

  @Test func aSubInputGoesAfterItsParentsSubtree() {
    var n = node(["filename_prefix", "format", "format.codec", "video"])
    n.setInput("format.codec.encoding", .value("re-encode"))
    n.setInput("format.codec.encoding.crf", .value(18))
    n.setInput("format.codec.encoding.color_space", .value("auto"))
    #expect(
      Array(n.inputs.keys) == [
        "filename_prefix", "format", "format.codec", "format.codec.encoding", "format.codec.encoding.crf",
        "format.codec.encoding.color_space", "video",
      ])
  }

  @Test func aSlotGoesAfterItsSiblingsAndAnInputWithoutAGroupGoesLast() {
    var n = node(["images.image0", "seed"])
    n.setInput("images.image1", .value(1))
    n.setInput("steps", .value(20))
    n.setInput("images.image0", .value(2))
    n.setInput("ref.a", .value(3))
    #expect(Array(n.inputs.keys) == ["images.image0", "images.image1", "seed", "steps", "ref.a"])
    #expect(n.inputs["images.image0"] == 2)
  }

  @Test func theNearestPresentParentCounts() {
    var n = node(["format", "format.codec", "format.codec.x", "other"])
    // `format.codec.encoding` is absent: `format.codec` holds the new key's place.
    n.setInput("format.codec.encoding.crf", .value(18))
    #expect(
      Array(n.inputs.keys) == [
        "format", "format.codec", "format.codec.x", "format.codec.encoding.crf", "other",
      ])
  }
}
