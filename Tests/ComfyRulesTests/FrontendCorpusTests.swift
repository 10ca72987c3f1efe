import TestSupport
import Testing
import Workflow

@testable import ComfyRules

/// The corpus the real frontend 1.27.10 wrote (Tests/Corpus/frontend-1.27.10, made by
/// `Scripts/frontend/oracle.py corpus` in ComfyUI's own page): each UI file converts to exactly what
/// the page's `graphToPrompt()` gave, member order included, or, for a documented difference, to what
/// comfysh gives on purpose (`NAME.comfysh.json`).
@Suite(needsFixtures) struct FrontendCorpusTests {
  static let folder: String = {
    var root = String(#filePath)
    for _ in 0..<3 { root = FileIO.parentFolder(of: root) }
    return root + "/Tests/Corpus/frontend-1.27.10"
  }()

  static let cases: [String] = {
    guard let index = try? JSONValue.parse(bytes: FileIO.read(folder + "/index.json")) else { return [] }
    return (index["cases"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
  }()

  /// The page's clock while the corpus was made (`buildAll` in corpus.js), for `%date:…%`.
  static let options = UIConversionOptions(
    random: { 0 }, now: LocalDateTime(year: 2025, month: 10, day: 11, hour: 8, minute: 5, second: 3))

  @Test func theCorpusIsThere() {
    #expect(Self.cases.count >= 60, "\(Self.folder)/index.json lists \(Self.cases.count) cases")
  }

  @Test(arguments: cases)
  func convertsAsTheFrontendDid(_ name: String) throws {
    let catalog = try CatalogFixtures.full
    let ui = try JSONValue.parse(bytes: FileIO.read("\(Self.folder)/\(name).ui.json"))
    let documented = FileIO.exists("\(Self.folder)/\(name).comfysh.json")
    let expected = try JSONValue.parse(
      bytes: FileIO.read("\(Self.folder)/\(name).\(documented ? "comfysh" : "api").json"))
    let workflow = try convertUIWorkflow(ui, catalog: catalog, options: Self.options)
    #expect(
      Self.sameInOrder(workflow.json, expected),
      "\(name):\n\(workflow.json.serialized(.indented(2)))\nexpected:\n\(expected.serialized(.indented(2)))")
  }

  /// Equal with members in the same order; numbers by value (the page writes `1` where a file says `1.0`).
  static func sameInOrder(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
      return x.count == y.count
        && zip(x, y).allSatisfy { $0.key == $1.key && sameInOrder($0.value, $1.value) }
    case (.array(let x), .array(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { sameInOrder($0, $1) }
    default:
      return a.numericallyEqual(to: b)
    }
  }
}
