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
