import TestSupport
import Testing

@testable import Shell
@testable import Workflow

@MainActor
@Suite struct CompletionTests {
  let context: CompletionContext = {
    var context = CompletionContext(
      workflow: try! Workflow(apiJSON: JSONValue.parse(ShellHarness.seedWorkflow)))
    context.variables = ["seed", "prompt"]
    return context
  }()

  func complete(_ text: String) -> CompletionResult { Completer.complete(text, context: context) }

  @Test func commandNames() {
    #expect(complete("").candidates.contains("load"))
    #expect(complete("se").candidates == ["set", "server", "seed"])
    #expect(complete("sa").candidates == ["save"])
    #expect(complete("s").candidates.starts(with: ["save", "show", "set"]))
    #expect(complete("u").candidates == ["unlink", "undo", "upload"])
    #expect(complete("set 11.seed 1; li").candidates == ["link"])
    #expect(complete("set 11.seed 1; li").start == 15)
  }

  @Test func nodeIDsAndTitles() {
    #expect(complete("show 1").candidates == ["11", "12", "14"])
    #expect(
      complete("show @").candidates == [
        "@\"Flux 1.1 [pro] Ultra Image\"", "@\"Save Image\"", "@\"Load Image\"",
      ])
    #expect(complete("show @\"S").candidates == ["@\"Save Image\""])
    #expect(complete("rm --force 1").candidates == ["11", "12", "14"])
  }

  @Test func inputNamesOfTheAddressedNode() {
    let r = complete("set 11.pr")
    #expect(r.candidates == ["11.prompt", "11.prompt_upsampling"])
    #expect(r.start == 4)
    #expect(complete("set 14.").candidates == ["14.image"])
    #expect(
      complete("get @\"Save Image\".").candidates == [
        "@\"Save Image\".filename_prefix", "@\"Save Image\".images",
      ])
    let nodes = complete("set 1")
    #expect(nodes.candidates == ["11.", "12.", "14."])
    #expect(!nodes.appendSpace)
  }

  @Test func outputSlots() {
    #expect(complete("link 12.images 11:").candidates == ["11:0"])
    #expect(complete("link 12.images 1").candidates == ["11:", "12:", "14:"])
    #expect(!complete("link 12.images 1").appendSpace)
  }

  @Test func outputNamesAndChoicesFromACatalog() {
    var context = self.context
    context.classOutputs = { $0 == "LoadImage" ? ["IMAGE", "MASK"] : nil }
    context.inputChoices = { cls, input, _ in
      cls == "FluxProUltraImageNode" && input == "aspect_ratio" ? ["1:1", "16:9", "21:9"] : nil
    }
    context.classInputs = { cls, _ in
      cls == "FluxProUltraImageNode" ? ["prompt", "seed", "output_format"] : nil
    }
    #expect(
      Completer.complete("link 11.image_prompt 14:", context: context).candidates == [
        "14:0", "14:1", "14:IMAGE", "14:MASK",
      ])
    #expect(
      Completer.complete("set 11.aspect_ratio ", context: context).candidates == [
        "\"1:1\"", "\"16:9\"", "\"21:9\"",
      ])
    #expect(Completer.complete("set 11.aspect_ratio \"16", context: context).candidates == ["\"16:9\""])
    #expect(Completer.complete("set 11.ou", context: context).candidates == ["11.output_format"])
  }

  @Test func booleansOfferTrueFalse() {
    #expect(complete("set 11.raw ").candidates == ["true", "false"])
  }

  @Test func keyAndServerNames() {
    var context = self.context
    context.names = ["keys": ["work", "home"], "servers": ["lab"]]
    let candidates = { Completer.complete($0, context: context).candidates }
    #expect(candidates("key use w") == ["work"])
    #expect(candidates("key rm ") == ["work", "home"])
    #expect(candidates("key u") == ["use"])
    #expect(candidates("server l") == ["lab"])
    #expect(candidates("server ") == ["add", "rm", "lab"])
    #expect(candidates("server rm ") == ["lab"])
    #expect(candidates("server add lab2 ") == [])
  }

  @Test func theSessionOffersItsKeyNames() async {
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work])
    #expect(h.session.completionContext().names["keys"] == ["work"])
    let candidates = Completer.complete("key use ", context: h.session.completionContext()).candidates
    #expect(candidates == ["work"])
  }

  @Test func variables() {
    #expect(complete("set 11.seed $s").candidates == ["$seed"])
  }

  @Test func filePaths() throws {
    let folder = TemporaryFolder.make()
    try FileIO.writeAtomically(folder + "/flux.json", text: "{}")
    try FileIO.writeAtomically(folder + "/flat.png", text: "")
    try FileIO.createFolder(folder + "/flows")
    try FileIO.writeAtomically(folder + "/flows/a.json", text: "{}")
    var context = self.context
    context.baseFolder = folder
    #expect(
      Completer.complete("load fl", context: context).candidates == ["flat.png", "flows/", "flux.json"])
    let dir = Completer.complete("load flo", context: context)
    #expect(dir.candidates == ["flows/"])
    #expect(!dir.appendSpace)
    #expect(Completer.complete("save flows/", context: context).candidates == ["flows/a.json"])
    #expect(Completer.complete("load \(folder)/flu", context: context).candidates == ["\(folder)/flux.json"])
  }

  @Test func helpCompletesCommands() {
    #expect(complete("help un").candidates == ["unlink", "undo"])
  }

  @Test func wordSplittingKeepsQuotes() {
    let words = Completer.splitWords("set @\"Save Image\".im")
    #expect(words.map(\.text) == ["set", "@\"Save Image\".im"])
    #expect(words.last?.start == 4)
    #expect(Completer.splitWords("set ").last?.text == "")
  }
}
