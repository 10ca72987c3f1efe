import Testing

@testable import Shell
@testable import Workflow

/// Every kind of edit can be undone and redone, any number of times.
@MainActor
@Suite struct UndoTests {
  func roundTrip(_ edit: String, sourceLocation: SourceLocation = #_sourceLocation) async {
    let h = ShellHarness()
    await h.loadSeed()
    let before = h.session.workflow
    let beforeOrder = Array(before.nodes.keys)
    _ = await h.ok(edit, sourceLocation: sourceLocation)
    let after = h.session.workflow
    #expect(after != before, "\(edit) changed nothing", sourceLocation: sourceLocation)
    #expect(h.session.document.isDirty, sourceLocation: sourceLocation)
    _ = await h.ok("undo", sourceLocation: sourceLocation)
    #expect(h.session.workflow == before, "undo of \(edit)", sourceLocation: sourceLocation)
    #expect(Array(h.session.workflow.nodes.keys) == beforeOrder, sourceLocation: sourceLocation)
    #expect(!h.session.document.isDirty, sourceLocation: sourceLocation)
    _ = await h.ok("redo", sourceLocation: sourceLocation)
    #expect(h.session.workflow == after, "redo of \(edit)", sourceLocation: sourceLocation)
    #expect(h.session.document.isDirty, sourceLocation: sourceLocation)
  }

  @Test func setUndoes() async { await roundTrip("set 11.seed 42") }
  @Test func setNewUndoes() async { await roundTrip("set --new 11.extra 1") }
  @Test func linkUndoes() async { await roundTrip("link 12.images 14:0") }
  @Test func unlinkUndoes() async { await roundTrip("unlink 12.images") }
  @Test func addUndoes() async { await roundTrip("add PreviewImage images=[\"11\", 0]") }
  @Test func rmUndoesInPlace() async { await roundTrip("rm 12") }
  @Test func rmForceUndoesLinksToo() async { await roundTrip("rm --force 11") }
  @Test func titleUndoes() async { await roundTrip("title 14 Source") }

  @Test func loadAndNewUndo() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("set 11.seed 1")
    let edited = h.session.workflow
    let out = await h.ok("new")
    #expect(out == "new workflow · 0 nodes\n")
    #expect(h.output.stderr.contains("1 unsaved edit; `undo` brings it back"))
    #expect(h.session.workflow.isEmpty)
    #expect(!h.session.document.isDirty)
    #expect(await h.ok("undo") == "undid: new\n")
    #expect(h.session.workflow == edited)
    #expect(h.session.document.current.name == "seed.json")
    #expect(h.session.document.isDirty)
    _ = await h.ok("undo")
    #expect(!h.session.document.isDirty)
    _ = await h.ok("undo")  // the load
    #expect(h.session.workflow.isEmpty)
    #expect(h.session.promptText == "comfy> ")
    #expect(await h.fails("undo").contains("nothing to undo"))
    _ = await h.ok("redo; redo; redo")
    #expect(h.session.workflow.isEmpty)
    #expect(await h.fails("redo").contains("nothing to redo"))
  }

  @Test func manyEditsUndoOneByOne() async {
    let h = ShellHarness()
    await h.loadSeed()
    for i in 1...50 { _ = await h.ok("set 11.seed \(i)") }
    for i in stride(from: 49, through: 1, by: -1) {
      _ = await h.ok("undo")
      #expect(h.session.workflow["11"]?.input("seed") == .value(.int(i)))
    }
    #expect(await h.ok("undo") == "undid: set 11.seed 1\n")
    #expect(!h.session.document.isDirty)
  }

  @Test func aNewEditClearsRedo() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("set 11.seed 1; undo; set 11.seed 2")
    #expect(await h.fails("redo").contains("nothing to redo"))
  }

  @Test func savedStateIsTracked() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("set 11.seed 1; save")
    #expect(!h.session.document.isDirty)
    _ = await h.ok("undo")
    #expect(h.session.document.isDirty)
    _ = await h.ok("redo")
    #expect(!h.session.document.isDirty)
  }

  @Test func failedCommandsLeaveNoUndoEntry() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.fails("rm 11")
    _ = await h.fails("set 11.sede 1")
    #expect(h.session.document.unsavedEditCount == 0)
    #expect(await h.ok("undo") == "undid: load seed.json\n")
  }
}
