import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// The shell with the recorded ComfyUI 0.3.64 catalog: typed set, checked link, add defaults,
/// catalog/info/validate, and completion from the catalog.
@MainActor
@Suite(needsFixtures) struct CatalogCommandTests {
  func harness() async -> ShellHarness {
    let h = ShellHarness()
    h.session.catalog.path = Fixtures.path("object_info.json")
    await h.loadSeed()
    return h
  }

  @Test func typedSetChecksEveryType() async throws {
    let h = await harness()
    // INT keeps its text up to 2^64-1, refuses more, truncates fractions with a note.
    _ = await h.ok("set 11.seed 18446744073709551615")
    #expect(
      h.session.workflow["11"]?.input("seed")
        == .value(.number(JSONNumber(uncheckedText: "18446744073709551615"))))
    #expect(
      await h.fails("set 11.seed 18446744073709551616").contains(
        "bigger than the maximum 18446744073709551615"))
    #expect(await h.fails("set 11.seed -1").contains("smaller than the minimum 0"))
    #expect(await h.ok("set 11.seed 8.5").contains("8.5 → 8"))
    #expect(h.session.workflow["11"]?.input("seed") == .value(8))
    #expect(await h.fails("set 11.seed abc").contains("seed"))
    // FLOAT keeps its text and checks the range.
    _ = await h.ok("set 11.image_prompt_strength 0.4000000000000001")
    #expect(
      h.session.workflow["11"]?.input("image_prompt_strength")
        == .value(.number(JSONNumber(uncheckedText: "0.4000000000000001"))))
    #expect(await h.fails("set 11.image_prompt_strength 1.5").contains("allowed 0.0…1.0"))
    // BOOLEAN
    _ = await h.ok("set 11.raw true")
    #expect(await h.fails("set 11.raw 7").contains("raw"))
    // STRING: a number becomes its text, with a note.
    #expect(await h.ok("set 12.filename_prefix 42").contains("(text)"))
    #expect(h.session.workflow["12"]?.input("filename_prefix") == .value("42"))
    // An unknown input of a known class suggests the closest one.
    #expect(await h.fails("set 11.sed 1").contains("did you mean seed?"))
  }

  @Test func comboValuesSuggestTheClosestChoices() async throws {
    let h = await harness()
    _ = await h.ok("add ImageScale as 30")
    _ = await h.ok("set 30.upscale_method bicubic")
    let error = await h.fails("set 30.upscale_method bicubik")
    #expect(error.contains("bicubic"))
    #expect(await h.fails("set 30.crop middle").contains("disabled"))
  }

  @Test func linksAreTypeChecked() async throws {
    let h = await harness()
    let error = await h.fails("link 12.images 14:1")
    #expect(error.contains("12.images takes IMAGE, but 14:1 is MASK"))
    #expect(error.contains("14:0 (LoadImage \"Load Image\")"))
    _ = await h.ok("link 12.images 14:IMAGE")
    #expect(h.session.workflow["12"]?.input("images") == .link(node: "14", slot: 0))
    #expect(await h.fails("link 12.images 14:2").contains("has no output 2; its outputs are 0 IMAGE, 1 MASK"))
    #expect(await h.fails("link 12.images 14:LATENT").contains("has no output named LATENT"))
    #expect(await h.fails("set 12.images 5").contains("takes a link"))
  }

  @Test func addFillsDefaultsAndSaysWhatNeedsALink() async throws {
    let h = await harness()
    let out = await h.ok("add KSampler as 40")
    #expect(out.contains("added 40  KSampler  \"KSampler\""))
    #expect(
      out.contains(
        "needs links: model (MODEL), positive (CONDITIONING), negative (CONDITIONING), latent_image (LATENT)")
    )
    let node = try #require(h.session.workflow["40"])
    #expect(node.input("steps") == .value(20))
    #expect(node.input("sampler_name") != nil)
    #expect(node.input("denoise") != nil)
    #expect(await h.fails("add KSamplr").contains("did you mean KSampler"))
    #expect(await h.fails("add KSampler steps=0").contains("smaller than the minimum 1"))
    _ = await h.ok("add SaveImage as 41 images=[\"14\", 0]")
    #expect(h.session.workflow["41"]?.input("filename_prefix") == .value("ComfyUI"))
    #expect(h.session.workflow["41"]?.title == "Save Image")
  }

  @Test func unlinkRestoresAWidgetDefault() async throws {
    let h = await harness()
    _ = await h.ok("add PrimitiveInt as 50; add EmptyImage as 51")
    _ = await h.ok("link 51.width 50:0")
    #expect(await h.ok("unlink 51.width") == "51.width = 512 (its default)\n")
    #expect(h.session.workflow["51"]?.input("width") == .value(512))
  }

  @Test func nodesMarksPaidNodes() async throws {
    let h = await harness()
    #expect(await h.ok("nodes").contains("\"Flux 1.1 [pro] Ultra Image\"  paid"))
  }

  @Test func infoDescribesAClass() async throws {
    let h = await harness()
    let out = await h.ok("info KSampler")
    #expect(out.hasPrefix("KSampler  \"KSampler\"  sampling"))
    #expect(out.contains("seed"))
    #expect(out.contains("0…18446744073709551615"))
    #expect(out.contains("0  LATENT"))
    #expect(await h.ok("info 11").contains("paid API node"))
    #expect(await h.fails("info KSamplr").contains("did you mean KSampler"))
  }

  @Test func catalogSearches() async throws {
    let h = await harness()
    #expect(
      await h.ok("catalog").hasPrefix("catalog: 496 node classes (100 paid API nodes) from object_info.json"))
    let out = await h.ok("catalog upscale")
    #expect(out.contains("ImageScale"))
    #expect(out.contains("UpscaleModelLoader"))
    #expect(await h.ok("catalog zzzz-nothing") == "no node class matches zzzz-nothing\n")
  }

  @Test func validateExplainsAndAnswersAsTheServer() async throws {
    let h = await harness()
    // example.png is not in the recorded server's input folder.
    let text = await h.fails("validate")
    #expect(text.contains("the server would reject this workflow (prompt_outputs_failed_validation)"))
    #expect(h.output.stdout.contains("example.png"))
    _ = await h.fails("validate --json")
    let body = try JSONValue.parse(h.output.stdout.trimmingTrailingBlanks())
    #expect(body["error"]?["type"] == "prompt_outputs_failed_validation")
    #expect(body["node_errors"]?["14"]?["errors"]?.arrayValue?.first?["type"] == "custom_validation_failed")
    _ = await h.ok("rm --force 14")
    #expect(await h.ok("validate --json") == "{\"node_errors\":{}}\n")
    #expect(await h.ok("validate").hasPrefix("valid: the server would accept it (1 output node to run)"))
  }

  @Test func uiFilesAreConvertedOnLoad() async throws {
    let h = await harness()
    let out = await h.ok("load \(Fixtures.path("ui-to-api/basic.ui.json"))")
    #expect(out.contains("UI format"))
    let expected = try Workflow(apiJSON: Fixtures.json("ui-to-api/basic.api.json"))
    #expect(h.session.workflow == expected)
    #expect(h.session.document.current.uiWorkflow != nil)
    #expect(await h.fails("save").contains("basic.api.json"))
  }

  @Test func withoutACatalogTheShellSaysSoOnce() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("set 11.seed 1")
    #expect(h.output.stderr.contains("no node catalog"))
    _ = await h.ok("set 11.seed 2")
    #expect(!h.output.stderr.contains("no node catalog"))
    #expect(await h.fails("validate").contains("validating needs the node catalog"))
  }

  @Test func completionUsesTheCatalog() async throws {
    let h = await harness()
    _ = await h.session.catalog.load()
    let context = h.session.completionContext()
    #expect(Completer.complete("add KSam", context: context).candidates.contains("KSampler"))
    #expect(Completer.complete("set 11.prompt_u", context: context).candidates == ["11.prompt_upsampling"])
    #expect(
      Completer.complete("link 12.images 14:", context: context).candidates == [
        "14:0", "14:1", "14:IMAGE", "14:MASK",
      ])
    _ = await h.ok("add ImageScale as 30")
    let choices = Completer.complete("set 30.upscale_method ", context: h.session.completionContext())
      .candidates
    #expect(choices == ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"])
    #expect(
      Completer.complete("set 11.prompt_upsampling ", context: context).candidates == ["true", "false"])
  }
}
