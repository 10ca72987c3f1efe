import ComfyRules
import Testing
import Workflow

@testable import Shell

/// Each part of a session works alone, with only what its initialiser asks for.
@MainActor
@Suite struct SessionPartsTests {
  static let twoNodes = try! Workflow(  // written here: a parse failure is a bug in the test
    apiJSON: JSONValue.parse(
      #"{"1": {"inputs": {"width": 8}, "class_type": "EmptyImage"}, "2": {"inputs": {"images": ["1", 0]}, "class_type": "SaveImage"}}"#
    ))

  @Test func documentHistoryRollsBackAFailedEditAndUndoesTheRest() throws {
    let history = DocumentHistory()
    history.replace(
      with: Document(
        workflow: Self.twoNodes, path: "a.json", format: .api, uiWorkflow: nil, trailingNewline: true,
        savedWorkflow: Self.twoNodes, savedMarker: 0), label: "load a.json")
    #expect(!history.isDirty)
    struct Refused: Error {}
    #expect(throws: Refused.self) {
      try history.edit("half") { editor in
        editor.update("1") { $0.setInput("width", .value(16)) }
        throw Refused()
      }
    }
    #expect(history.workflow == Self.twoNodes && !history.isDirty)
    history.defaultLabel = "set 1.width 32"
    try history.edit { $0.update("1") { $0.setInput("width", .value(32)) } }
    #expect(history.isDirty && history.unsavedEditCount == 1)
    history.markSaved(path: "b.json", trailingNewline: false)
    #expect(!history.isDirty && history.current.name == "b.json")
    #expect(history.undo() == "set 1.width 32")
    #expect(history.isDirty && history.workflow == Self.twoNodes)
    #expect(history.redo() == "set 1.width 32")
    #expect(!history.isDirty)
  }

  @Test func catalogIsFetchedOnceAndSaysOnceWhyItIsMissing() async throws {
    var warnings: [String] = []
    var fetches: [Bool] = []
    let catalog = SessionCatalog(warn: { warnings.append($0) })
    struct Down: Error, CustomStringConvertible { var description: String { "server down" } }
    catalog.fetcher = { refresh in
      fetches.append(refresh)
      throw Down()
    }
    async let first = catalog.load()
    async let second = catalog.load()
    let both = await (first, second)
    #expect(both.0 == nil && both.1 == nil)
    #expect(await catalog.load() == nil)
    #expect(fetches == [false])
    #expect(catalog.unavailableReason == "server down")
    #expect(warnings.count == 1 && warnings[0].hasPrefix("no node catalog (server down)"))

    let text = #"{"EmptyImage": {"input": {"required": {}}, "output": ["IMAGE"], "name": "EmptyImage"}}"#
    catalog.fetcher = { refresh in
      fetches.append(refresh)
      return (try Catalog(objectInfo: JSONValue.parse(text)), "test")
    }
    catalog.reset(refreshing: true)
    #expect(await catalog.load()?.classes.map(\.name) == ["EmptyImage"])
    #expect(fetches == [false, true] && catalog.source == "test" && catalog.uiConverter != nil)
    #expect(catalog.outputNames(of: "EmptyImage") == ["IMAGE"])
  }

  @Test func editChecksRefuseCyclesWithoutACatalog() throws {
    let checks = EditChecks(workflow: Self.twoNodes, catalog: nil)
    let emptyImage = try #require(Self.twoNodes["1"])
    #expect { try checks.checkLink(from: "2", slot: 0, to: "width", of: emptyImage) } throws: {
      ($0 as? ShellError)?.message.contains("would make a cycle") == true
    }
    #expect(throws: ShellError.self) { try checks.checkLink(from: "9", slot: 0, to: "width", of: emptyImage) }
    // Without a catalog a value is taken as typed.
    let (value, note) = try checks.coerce("8", input: "width", of: emptyImage)
    #expect(value == "8" && note == nil)
  }
}
