import Testing

@testable import Workflow

@Suite struct WorkflowFileFormatTests {
  @Test func aUIFileNeedsTheConverterAndAnAPIFileDoesNot() {
    let ui = Array(#"{"last_node_id": 1, "nodes": [], "links": []}"#.utf8)
    let api = Array(#"{"1": {"class_type": "SaveImage", "inputs": {"nodes": 1}}}"#.utf8)
    #expect(WorkflowFile.needsUIConversion(ui))
    #expect(!WorkflowFile.needsUIConversion(api))
    #expect(!WorkflowFile.needsUIConversion(Array("not json".utf8)))
  }

  /// The byte search behind that check: a match must lie wholly within the limit, as in the text's prefix it replaced.
  @Test func theSearchLooksOnlyAtTheFirstBytes() {
    let needle = Array(#""nodes""#.utf8)
    let text = Array((String(repeating: " ", count: 10) + #""nodes""#).utf8)
    #expect(WorkflowFile.contains(needle, inFirst: 4096, of: text))
    #expect(WorkflowFile.contains(needle, inFirst: 17, of: text))
    #expect(!WorkflowFile.contains(needle, inFirst: 16, of: text))
    #expect(!WorkflowFile.contains(needle, inFirst: 4096, of: Array(#""node""#.utf8)))
    #expect(!WorkflowFile.contains(needle, inFirst: 4096, of: []))
    #expect(WorkflowFile.contains(needle, inFirst: 4096, of: Array(#""""nodes""#.utf8)))
  }
}

/// `Workflow(apiJSON:)` and `json` share the prompt's table of ids instead of making it again: every
/// node keeps its id and place, and ids are found in both (past 15 nodes, where the table is hashed).
@Suite struct WorkflowFromJSONTests {
  @Test(arguments: [1, 15, 16, 40]) func nodesKeepTheirIDsAndOrderBothWays(count: Int) throws {
    let ids = (0..<count).map { String(count * 7 - $0 * 3) }  // not in numeric order
    let members = ids.map { #""\#($0)": {"inputs": {"n": \#($0)}, "class_type": "C\#($0)"}"# }
    let prompt = try JSONValue.parse("{" + members.joined(separator: ", ") + "}")
    let workflow = try Workflow(apiJSON: prompt)
    #expect(Array(workflow.nodes.keys) == ids)
    #expect(workflow.nodes.values.map(\.id) == ids)
    for id in ids {
      #expect(workflow[id]?.classType == "C" + id)
      #expect(workflow.json[id]?["inputs"]?["n"] == prompt[id]?["inputs"]?["n"])
    }
    #expect(workflow.json == prompt)
    #expect(workflow.json.serialized() == prompt.serialized())
    #expect(workflow["missing"] == nil)
  }

  @Test func aNodeThatIsNotAnObjectIsStillRefused() {
    #expect(throws: WorkflowError("node 2 is a number, not an object with class_type and inputs")) {
      try Workflow(apiJSON: try JSONValue.parse(#"{"1": {"inputs": {}}, "2": 5}"#))
    }
  }
}
