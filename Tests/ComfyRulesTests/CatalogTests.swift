import TestSupport
import Testing
import Workflow

@testable import ComfyRules

@Suite struct CatalogTests {
  /// Fixture-based: the full recorded object_info parses entirely.
  @Test(needsFixtures) func theFullRecordedCatalogParses() throws {
    let catalog = try Catalog(objectInfoBytes: try Fixtures.read("object_info.json"))
    #expect(catalog.count == 496)
    #expect(catalog.classes.filter(\.isAPINode).count == 100)
    #expect(catalog.classes.filter(\.isOutputNode).count == 34)
    #expect(catalog.classes.first?.name == "KSampler")
    let flux = try #require(catalog[className: "FluxProUltraImageNode"])
    #expect(flux.isAPINode && flux.isV3Schema)
    #expect(flux.pythonModule == "comfy_api_nodes.nodes_bfl")
    #expect(flux.hiddenInputs.map(\.kind).contains("API_KEY_COMFY_ORG"))
    let seed = try #require(catalog[className: "KSampler"]?.input(named: "seed"))
    #expect(seed.max?.text == "18446744073709551615")
    #expect(seed.controlAfterGenerate)
    // Every input of every class got a kind; v3 COMBOs never validate, v1 lists always do.
    for nodeClass in catalog.classes {
      for input in nodeClass.inputs {
        if case .combo(let combo) = input.kind {
          #expect(
            combo.validatesOptions == (input.rawType.arrayValue != nil), "\(nodeClass.name).\(input.name)")
        }
      }
    }
    // Both hidden syntaxes: v1 `"PROMPT"` (passed as an argument) and v3 `["API_KEY_COMFY_ORG"]`.
    #expect(
      catalog[className: "SaveImage"]?.hiddenInputs == [
        HiddenInput(name: "prompt", kind: "PROMPT", isArgument: true),
        HiddenInput(name: "extra_pnginfo", kind: "EXTRA_PNGINFO", isArgument: true),
      ])
    #expect(
      catalog[className: "GetImageSize"]?.hiddenInputs.first
        == HiddenInput(name: "unique_id", kind: "UNIQUE_ID", isArgument: true))
    #expect(
      catalog[className: "FluxProUltraImageNode"]?.hiddenInputs.first { $0.name == "api_key_comfy_org" }
        == HiddenInput(name: "api_key_comfy_org", kind: "API_KEY_COMFY_ORG", isArgument: false))
  }

  @Test func inputsFollowInputOrderRequiredThenOptional() throws {
    let sampler = try #require(CatalogFixtures.small[className: "KSamplerLike"])
    #expect(
      sampler.inputs.map(\.name) == [
        "model", "seed", "cfg", "sampler_name", "denoise", "add_noise", "note", "mask",
      ])
    #expect(sampler.requiredInputs.count == 4)
    #expect(
      sampler.widgetInputs.map(\.name) == ["seed", "cfg", "sampler_name", "denoise", "add_noise", "note"])
    #expect(sampler.input(named: "mask")?.kind == .link("MASK,IMAGE"))
    #expect(sampler.input(named: "cfg")?.kind == .float)
    #expect(sampler.input(named: "add_noise")?.defaultValue == true)
  }

  @Test func inputsMissingFromInputOrderStillAppearAfterTheListedOnes() throws {
    let catalog = try Catalog(objectInfo: [
      "X": [
        "input": [
          "required": ["a": ["INT"], "b": ["FLOAT"], "c": ["STRING"]], "optional": ["d": ["IMAGE"]],
        ],
        "input_order": ["required": ["c", "c", "a"]],
      ],
      "Y": ["input": ["required": ["p": ["INT"], "q": ["INT"]]]],
    ])
    #expect(catalog[className: "X"]?.inputs.map(\.name) == ["c", "a", "b", "d"])
    #expect(catalog[className: "Y"]?.inputs.map(\.name) == ["p", "q"])
    #expect(catalog[className: "Y"]?.displayName == "Y")
  }

  @Test func bothComboSyntaxes() throws {
    let v1 = try #require(CatalogFixtures.small[className: "ImageScale"]?.input(named: "upscale_method"))
    #expect(v1.combo?.validatesOptions == true)
    #expect(v1.combo?.names == ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"])
    #expect(v1.inputConfig == [["nearest-exact", "bilinear", "area", "bicubic", "lanczos"], [:]])
    let v3 = try #require(CatalogFixtures.small[className: "UpscaleModelLoader"]?.input(named: "model_name"))
    #expect(v3.combo == ComboOptions(options: ["tiny-compact-x2.safetensors"], validatesOptions: false))
    #expect(v3.rawType == "COMBO")
  }

  @Test func outputsCarryNamesListsAndTooltips() throws {
    let size = try #require(CatalogFixtures.small[className: "GetImageSize"])
    #expect(size.outputs.map(\.name) == ["width", "height", "batch_size"])
    #expect(size.outputs.allSatisfy { $0.type == "INT" && !$0.isList && $0.tooltip == nil })
    #expect(CatalogFixtures.small.outputNames(of: "LoadImage") == ["IMAGE", "MASK"])
    #expect(CatalogFixtures.small.outputNames(of: "Nope") == nil)
  }

  @Test func outputNamesServeAddressResolution() throws {
    let workflow = try Workflow(apiJSON: ["4": ["class_type": "GetImageSize", "inputs": [:]]])
    let address = try Address.parseOutput("4:height")
    let resolved = try workflow.resolve(address, outputNames: CatalogFixtures.small.outputNames(of:))
    #expect(resolved.slot == 1)
  }

  @Test func searchPutsExactAndPrefixMatchesFirst() {
    let catalog = CatalogFixtures.small
    #expect(catalog.search("saveimage").map(\.name) == ["SaveImage"])
    #expect(catalog.search("image").prefix(2).map(\.name) == ["ImageInvert", "ImageScale"])
    #expect(catalog.search("Load").map(\.name) == ["LoadImage", "UpscaleModelLoader"])
    #expect(catalog.search("sampling").map(\.name) == ["KSamplerLike"])
    #expect(catalog.search("zzz").isEmpty)
    #expect(catalog.suggestions(for: "ImageInvrt") == ["ImageInvert"])
  }

  @Test func malformedCatalogsAreRefusedWithAReason() {
    #expect(throws: WorkflowError.self) { try Catalog(objectInfo: ["a", "b"]) }
    #expect {
      try Catalog(objectInfo: ["Broken": 5])
    } throws: { error in
      (error as? WorkflowError)?.description.contains("Broken") == true
    }
    #expect(throws: WorkflowError.self) { try Catalog(objectInfoBytes: Array("{".utf8)) }
  }

  @Test func typeCompatibilityFollowsValidateNodeInput() {
    #expect(Catalog.outputType("IMAGE", fits: "IMAGE"))
    #expect(!Catalog.outputType("IMAGE", fits: "MASK"))
    #expect(Catalog.outputType("IMAGE", fits: "*"))
    #expect(Catalog.outputType("*", fits: "LATENT"))
    #expect(Catalog.outputType("MASK", fits: "MASK,IMAGE"))
    #expect(Catalog.outputType("INT, FLOAT", fits: "FLOAT"))
    #expect(!Catalog.outputType("INT,STRING", fits: "FLOAT,BOOLEAN"))
    #expect(!Catalog.outputType("image", fits: "IMAGE"))
    // A v1 COMBO input's type is its list of choices: only an identical list fits it.
    #expect(!Catalog.typesFit(received: "STRING", input: ["a", "b"]))
    #expect(Catalog.typesFit(received: ["a", "b"], input: ["a", "b"]))
    #expect(Catalog.typesFit(received: ["a", "b"], input: "COMBO"))
  }
}

@Suite struct CoercionTests {
  static func spec(_ className: String, _ name: String) -> InputSpec {
    CatalogFixtures.small[className: className]?.input(named: name)
      ?? InputSpec(name: name, isRequired: true, kind: .link("?"))
  }

  static func coerced(
    _ value: JSONValue, _ className: String, _ name: String
  ) -> Result<JSONValue, ValueProblem> {
    CatalogFixtures.small.coerce(value, for: spec(className, name))
  }

  @Test func intKeepsTextIncludingTheLargestSeed() {
    #expect(
      Self.coerced(num("18446744073709551615"), "KSamplerLike", "seed")
        == .success(num("18446744073709551615")))
    #expect(Self.coerced(42, "EmptyImage", "width") == .success(42))
    #expect(Self.coerced("8", "EmptyImage", "width") == .success(8))
    #expect(Self.coerced(" 1_024 ", "EmptyImage", "width") == .success(1024))
  }

  @Test func intTruncatesAFractionAndSaysSo() throws {
    let result = try Self.spec("EmptyImage", "width").coerce(num("8.5")).get()
    #expect(result.value == 8)
    #expect(result.note?.contains("truncates") == true)
    #expect(try Self.spec("EmptyImage", "color").coerce(num("-0.5")).get().value == num("0"))
  }

  @Test func boundsNameTheAllowedRange() {
    guard case .failure(let big) = Self.coerced(999_999, "EmptyImage", "width") else {
      Issue.record("999999 was accepted")
      return
    }
    #expect(big.description == "width = 999999 is bigger than the maximum 16384 (allowed 1…16384)")
    guard case .failure(let small) = Self.coerced(0, "EmptyImage", "batch_size") else {
      Issue.record("0 was accepted")
      return
    }
    #expect(small.description == "batch_size = 0 is smaller than the minimum 1 (allowed 1…4096)")
    guard case .failure(let seed) = Self.coerced(num("18446744073709551616"), "KSamplerLike", "seed") else {
      Issue.record("2^64 was accepted")
      return
    }
    #expect(seed.description.contains("allowed 0…18446744073709551615"))
    guard case .failure(let cfg) = Self.coerced(num("100.5"), "KSamplerLike", "cfg") else {
      Issue.record("100.5 was accepted")
      return
    }
    #expect(cfg.description == "cfg = 100.5 is bigger than the maximum 100.0 (allowed 0.0…100.0)")
  }

  @Test func intRefusesWhatTheServerRefuses() {
    for bad: JSONValue in ["wide", "8.5", .null, [1], true] {
      guard case .failure(let error) = Self.coerced(bad, "EmptyImage", "width") else {
        Issue.record("\(bad) was accepted")
        continue
      }
      #expect(error.description.contains("width takes a whole number (INT)"))
    }
  }

  @Test func floatKeepsTextAsWrittenAndDoesNotRound() {
    #expect(
      Self.coerced(num("0.4000000000000001"), "KSamplerLike", "denoise")
        == .success(num("0.4000000000000001")))
    #expect(Self.coerced(7, "KSamplerLike", "cfg") == .success(7))
    #expect(Self.coerced("7.25", "KSamplerLike", "cfg") == .success(num("7.25")))
    #expect(Self.coerced("nan", "KSamplerLike", "cfg").isFailure)
    #expect(Self.coerced("abc", "KSamplerLike", "cfg").isFailure)
  }

  @Test func booleanReadsMeaningNotPythonTruthiness() {
    #expect(Self.coerced(true, "KSamplerLike", "add_noise") == .success(true))
    #expect(Self.coerced("false", "KSamplerLike", "add_noise") == .success(false))
    #expect(Self.coerced(1, "KSamplerLike", "add_noise") == .success(true))
    #expect(Self.coerced("yes", "KSamplerLike", "add_noise").isFailure)
  }

  @Test func stringTakesTextAndNumbersAsWritten() {
    #expect(Self.coerced("a cat", "SaveImage", "filename_prefix") == .success("a cat"))
    #expect(Self.coerced(num("1.50"), "SaveImage", "filename_prefix") == .success("1.50"))
    #expect(Self.coerced(true, "SaveImage", "filename_prefix").isFailure)
  }

  @Test func comboNearMissesSuggestTheClosestChoices() throws {
    #expect(Self.coerced("bicubic", "ImageScale", "upscale_method") == .success("bicubic"))
    let result = Self.spec("ImageScale", "upscale_method").coerce("bicubc")
    guard case .failure(let error) = result else {
      Issue.record("bicubc was accepted")
      return
    }
    #expect(error.suggestions == ["bicubic"])
    #expect(
      error.description
        == "upscale_method: \"bicubc\" is not one of the 5 choices; did you mean \"bicubic\"? (choices: nearest-exact, bilinear, area, bicubic, lanczos)"
    )
    guard case .failure(let caseError) = Self.coerced("Euler", "KSamplerLike", "sampler_name") else {
      Issue.record("Euler was accepted")
      return
    }
    #expect(caseError.suggestions == ["euler"])
    guard case .failure(let v3) = Self.coerced("nope.pth", "UpscaleModelLoader", "model_name") else {
      Issue.record("nope.pth was accepted")
      return
    }
    #expect(v3.description.contains("ComfyUI would accept it and fail when the node runs"))
  }

  @Test func uploadCombosAcceptAnyFileName() {
    #expect(Self.coerced("just-uploaded.png", "LoadImage", "image") == .success("just-uploaded.png"))
    #expect(Self.coerced(5, "LoadImage", "image").isFailure)
  }

  @Test func linkTypesTakeLinksAndStarTakesAnything() {
    guard case .failure(let error) = Self.coerced("x", "SaveImage", "images") else {
      Issue.record("a value for IMAGE was accepted")
      return
    }
    #expect(error == .takesLink(input: "images", type: "IMAGE"))
    #expect(Self.coerced(["a": 1], "PreviewAny", "source") == .success(["a": 1]))
  }

  @Test func wrappedListsAreUnwrappedFirst() {
    #expect(Self.coerced(["__value__": "12"], "EmptyImage", "width") == .success(12))
  }
}

extension Result {
  var isFailure: Bool {
    if case .failure = self { return true }
    return false
  }
}
