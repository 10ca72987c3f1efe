import Testing

@testable import Workflow

@Suite struct LossyTextTests {
  /// The scan skips plain ASCII eight bytes at a time; whatever the alignment, the first lossy place is
  /// found where it is, and one just past a word boundary is not skipped.
  @Test(arguments: 0..<20) func findsLossyTextAtEveryOffset(offset: Int) {
    let prefix = Array(String(repeating: "a", count: offset).utf8)
    let tail = Array(#"b": "c"}"#.utf8)
    let invalid = prefix + [0xFF] + tail
    #expect(
      LossyJSONText.find(in: invalid)
        == LossyJSONText(kind: .invalidUTF8, line: 1, column: offset + 1, count: 1))
    let lone = prefix + Array(#"\ud800x"#.utf8) + tail
    #expect(
      LossyJSONText.find(in: lone)
        == LossyJSONText(kind: .loneSurrogate, line: 1, column: offset + 1, count: 1))
    // Valid text of every kind the skip must stop at: escapes, a pair, multi-byte UTF-8.
    let valid = prefix + Array(#"\"\n\ud83d\ude00é€😀"#.utf8) + tail
    #expect(LossyJSONText.find(in: valid) == nil)
    #expect(LossyJSONText.find(in: prefix) == nil)
  }

  @Test func countsEveryPlaceAndNamesTheFirstLine() {
    let text =
      Array("{\n  \"a\": \"ok\",\n  \"b\": \"".utf8) + [0xC3] + Array("\", \"c\": \"\\udc00\"}\n".utf8)
    #expect(LossyJSONText.find(in: text) == LossyJSONText(kind: .invalidUTF8, line: 3, column: 9, count: 2))
  }
}
