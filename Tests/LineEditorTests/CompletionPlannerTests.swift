import Testing

@testable import LineEditor

@Suite struct CompletionPlannerTests {
  func plan(_ text: String, _ start: Int, _ candidates: [String]) -> CompletionAction {
    CompletionPlanner.plan(
      textBeforeCursor: text, completion: Completion(start: start, candidates: candidates))
  }

  @Test func longestCommonPrefix() {
    #expect(CompletionPlanner.longestCommonPrefix(["11.prompt", "11.prompt_upsampling"]) == "11.prompt")
    #expect(CompletionPlanner.longestCommonPrefix(["load", "save"]) == "")
    #expect(CompletionPlanner.longestCommonPrefix(["only"]) == "only")
    #expect(CompletionPlanner.longestCommonPrefix([]) == "")
    #expect(CompletionPlanner.longestCommonPrefix(["日本語", "日本"]) == "日本")
    // Characters compare canonically: precomposed é equals e + combining acute.
    #expect(CompletionPlanner.longestCommonPrefix(["café", "cafe\u{301}s"]) == "café")
  }

  @Test func noCandidatesBeeps() {
    #expect(plan("set 13", 4, []) == .none)
  }

  @Test func startOutsideTheTextIsIgnored() {
    #expect(plan("set", 9, ["settings"]) == .none)
    #expect(plan("set", -1, ["settings"]) == .none)
  }

  @Test func uniqueCandidateReplacesTheWordAndAddsASpace() {
    #expect(plan("lo", 0, ["load"]) == .replace(scalarCount: 2, text: "load "))
    #expect(plan("set 11.se", 4, ["11.seed"]) == .replace(scalarCount: 5, text: "11.seed "))
  }

  @Test func aWordThatGoesOnGetsNoSpace() {
    let completion = Completion(start: 4, candidates: ["11."], appendSpace: false)
    #expect(
      CompletionPlanner.plan(textBeforeCursor: "set 1", completion: completion)
        == .replace(scalarCount: 1, text: "11."))
  }

  @Test func directoryCandidateGetsNoSpace() {
    #expect(plan("load wo", 5, ["workflows/"]) == .replace(scalarCount: 2, text: "workflows/"))
    #expect(plan("load workflows/", 5, ["workflows/"]) == .none)
  }

  @Test func severalCandidatesInsertTheirCommonPrefix() {
    #expect(
      plan("set 11.pr", 4, ["11.prompt", "11.prompt_upsampling"])
        == .replace(scalarCount: 5, text: "11.prompt"))
  }

  @Test func severalCandidatesWithNothingNewAreListed() {
    #expect(
      plan("set 11.prompt", 4, ["11.prompt", "11.prompt_upsampling"])
        == .list(["11.prompt", "11.prompt_upsampling"]))
    #expect(plan("s", 0, ["save", "set", "show"]) == .list(["save", "set", "show"]))
  }

  @Test func aShorterPrefixNeverDeletesTypedText() {
    // A case-insensitive completer: the common prefix is empty.
    #expect(plan("LO", 0, ["load", "LoadImage"]) == .list(["load", "LoadImage"]))
    // Same length but different case is progress.
    #expect(plan("LOA", 0, ["load", "loader"]) == .replace(scalarCount: 3, text: "load"))
  }

  @Test func duplicateAndEmptyCandidatesAreDropped() {
    #expect(plan("sa", 0, ["save", "save", ""]) == .replace(scalarCount: 2, text: "save "))
  }

  @Test func wordLengthIsCountedInScalarsForLibedit() {
    #expect(plan("set 日", 4, ["日本", "日本語"]) == .replace(scalarCount: 1, text: "日本"))
    // One Character, two scalars: both must be deleted.
    #expect(plan("set e\u{301}", 4, ["éclair"]) == .replace(scalarCount: 2, text: "éclair "))
  }

  @Test func columnsFillTopToBottomThenLeftToRight() {
    #expect(
      CompletionPlanner.columns(["a", "b", "c", "d", "e", "f", "g"], width: 7) == ["a  d  g", "b  e", "c  f"])
    #expect(
      CompletionPlanner.columns(["11.prompt", "11.prompt_upsampling"], width: 80)
        == ["11.prompt             11.prompt_upsampling"])
  }

  @Test func columnsUseDisplayWidth() {
    #expect(CompletionPlanner.columns(["日本", "ab", "c"], width: 80) == ["日本  ab    c"])
    #expect(CompletionPlanner.columns(["日本", "ab", "c"], width: 10) == ["日本  c", "ab"])
    #expect(CompletionPlanner.columns(["日本", "ab", "c"], width: 9) == ["日本", "ab", "c"])
  }

  @Test func itemsWiderThanTheTerminalGetOneLineEach() {
    let long = String(repeating: "x", count: 30)
    #expect(CompletionPlanner.columns([long, "y"], width: 20) == [long, "y"])
    #expect(CompletionPlanner.columns([], width: 80) == [])
  }
}
