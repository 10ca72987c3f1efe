import TestSupport
import Testing
import Workflow

@testable import ComfyRules

/// A JSON number with exactly this text.
func num(_ text: String) -> JSONValue { .number(JSONNumber(uncheckedText: text)) }

@Suite struct UIConversionTests {
  static let fixedOptions = UIConversionOptions(
    random: { 0 }, now: LocalDateTime(year: 2026, month: 3, day: 4, hour: 5, minute: 6, second: 7))

  /// Fixture-based: each `ui-to-api/*.ui.json` converts to the byte-identical `*.api.json` the real
  /// frontend 1.27.10 produced (2-space JSON, as the fixtures are written).
  @Test(needsFixtures, arguments: ["basic", "seed-equivalent", "edge-cases"])
  func recordedPairsConvertByteForByte(_ name: String) throws {
    let catalog = try CatalogFixtures.full
    let ui = try Fixtures.json("ui-to-api/\(name).ui.json")
    let expected = String(decoding: try Fixtures.read("ui-to-api/\(name).api.json"), as: UTF8.self)
    let workflow = try convertUIWorkflow(ui, catalog: catalog)
    let text = workflow.json.serialized(.indented(2))
    #expect(text == expected || text + "\n" == expected, "\(name):\n\(text)")
  }

  /// Fixture-based: the converted edge cases are what the server then accepted, with node 8 reported.
  @Test(needsFixtures) func convertedEdgeCasesValidateLikeTheSubmission() throws {
    let catalog = try CatalogFixtures.full
    let workflow = try convertUIWorkflow(try Fixtures.json("ui-to-api/edge-cases.ui.json"), catalog: catalog)
    let result = validate(prompt: workflow.json, catalog: catalog)
    #expect(result.accepted)
    #expect(Array(result.nodeErrors.keys) == ["8"])
  }

  /// Fixture-based (catalog): ComfyUI's default text-to-image graph converts to the well-known export,
  /// widget values first in catalog order, then links; the seed's "randomize" stays in the UI.
  @Test(needsFixtures) func theDefaultGraphConvertsToTheFamiliarExport() throws {
    let catalog = try CatalogFixtures.full
    let ui = Self.ui(
      nodes: [
        Self.node(
          3, "KSampler",
          inputs: [
            Self.input("model", "MODEL", link: 1), Self.input("positive", "CONDITIONING", link: 4),
            Self.input("negative", "CONDITIONING", link: 6), Self.input("latent_image", "LATENT", link: 2),
          ], outputs: [Self.output("LATENT", links: [7])],
          widgets: [156_680_208_700_286, "randomize", 20, 8, "euler", "normal", 1]),
        Self.node(
          4, "CheckpointLoaderSimple",
          outputs: [
            Self.output("MODEL", links: [1]), Self.output("CLIP", links: [3, 5]),
            Self.output("VAE", links: [8]),
          ],
          widgets: ["v1-5-pruned-emaonly.safetensors"]),
        Self.node(
          5, "EmptyLatentImage", outputs: [Self.output("LATENT", links: [2])], widgets: [512, 512, 1]),
        Self.node(
          6, "CLIPTextEncode", inputs: [Self.input("clip", "CLIP", link: 3)],
          outputs: [Self.output("CONDITIONING", links: [4])], widgets: ["beautiful scenery"]),
        Self.node(
          7, "CLIPTextEncode", inputs: [Self.input("clip", "CLIP", link: 5)],
          outputs: [Self.output("CONDITIONING", links: [6])], widgets: ["text, watermark"]),
        Self.node(
          8, "VAEDecode",
          inputs: [Self.input("samples", "LATENT", link: 7), Self.input("vae", "VAE", link: 8)],
          outputs: [Self.output("IMAGE", links: [9])]),
        Self.node(
          9, "SaveImage", inputs: [Self.input("images", "IMAGE", link: 9)], widgets: ["ComfyUI", ""]),
      ],
      links: [
        Self.link(1, 4, 0, 3, 0, "MODEL"), Self.link(2, 5, 0, 3, 3, "LATENT"),
        Self.link(3, 4, 1, 6, 0, "CLIP"),
        Self.link(4, 6, 0, 3, 1, "CONDITIONING"), Self.link(5, 4, 1, 7, 0, "CLIP"),
        Self.link(6, 7, 0, 3, 2, "CONDITIONING"), Self.link(7, 3, 0, 8, 0, "LATENT"),
        Self.link(8, 4, 2, 8, 1, "VAE"),
        Self.link(9, 8, 0, 9, 0, "IMAGE"),
      ])
    let workflow = try convertUIWorkflow(ui, catalog: catalog, options: Self.fixedOptions)
    let expected = try JSONValue.parse(
      #"""
      {"3":{"inputs":{"seed":156680208700286,"steps":20,"cfg":8,"sampler_name":"euler","scheduler":"normal","denoise":1,"model":["4",0],"positive":["6",0],"negative":["7",0],"latent_image":["5",0]},"class_type":"KSampler","_meta":{"title":"KSampler"}},
       "4":{"inputs":{"ckpt_name":"v1-5-pruned-emaonly.safetensors"},"class_type":"CheckpointLoaderSimple","_meta":{"title":"Load Checkpoint"}},
       "5":{"inputs":{"width":512,"height":512,"batch_size":1},"class_type":"EmptyLatentImage","_meta":{"title":"Empty Latent Image"}},
       "6":{"inputs":{"text":"beautiful scenery","clip":["4",1]},"class_type":"CLIPTextEncode","_meta":{"title":"CLIP Text Encode (Prompt)"}},
       "7":{"inputs":{"text":"text, watermark","clip":["4",1]},"class_type":"CLIPTextEncode","_meta":{"title":"CLIP Text Encode (Prompt)"}},
       "8":{"inputs":{"samples":["3",0],"vae":["4",2]},"class_type":"VAEDecode","_meta":{"title":"VAE Decode"}},
       "9":{"inputs":{"filename_prefix":"ComfyUI","images":["8",0]},"class_type":"SaveImage","_meta":{"title":"Save Image"}}}
      """#)
    #expect(workflow.json.serialized() == expected.serialized())
  }

  static func ui(nodes: [JSONValue], links: [JSONValue] = []) -> JSONValue {
    [
      "last_node_id": 99, "last_link_id": 99, "nodes": .array(nodes), "links": .array(links),
      "version": num("0.4"),
    ]
  }

  static func node(
    _ id: Int, _ type: String, mode: Int = 0, title: String? = nil, inputs: [JSONValue] = [],
    outputs: [JSONValue] = [], widgets: [JSONValue]? = nil
  ) -> JSONValue {
    var fields: JSONObject = [
      "id": .int(id), "type": .string(type), "mode": .int(mode), "inputs": .array(inputs),
      "outputs": .array(outputs),
    ]
    if let title { fields["title"] = .string(title) }
    if let widgets { fields["widgets_values"] = .array(widgets) }
    return .object(fields)
  }

  static func input(_ name: String, _ type: String, link: Int?, widget: Bool = false) -> JSONValue {
    var fields: JSONObject = [
      "name": .string(name), "type": .string(type), "link": link.map { .int($0) } ?? .null,
    ]
    if widget { fields["widget"] = ["name": .string(name)] }
    return .object(fields)
  }

  static func output(_ type: String, links: [Int]) -> JSONValue {
    ["name": .string(type), "type": .string(type), "links": .array(links.map { .int($0) })]
  }

  static func link(
    _ id: Int, _ from: Int, _ fromSlot: Int, _ to: Int, _ toSlot: Int, _ type: String
  ) -> JSONValue {
    [.int(id), .int(from), .int(fromSlot), .int(to), .int(toSlot), .string(type)]
  }

  @Test func seedControlValuesAreSkippedAndWidgetsMapInCatalogOrder() throws {
    let ui = Self.ui(
      nodes: [
        Self.node(
          5, "KSamplerLike", inputs: [Self.input("model", "MODEL", link: nil)],
          widgets: [
            589_991_183_902_375, "randomize", num("7.5"), "euler", num("0.6"), false, "text", "extra",
          ])
      ])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small, options: Self.fixedOptions)
    let inputs = try #require(workflow["5"]?.inputs)
    #expect(Array(inputs.keys) == ["seed", "cfg", "sampler_name", "denoise", "add_noise", "note"])
    #expect(inputs["seed"] == 589_991_183_902_375)
    #expect(inputs["cfg"] == num("7.5"))
    #expect(inputs["note"] == "text")
    #expect(workflow["5"]?.title == "KSampler Like")
  }

  @Test func aSeedWithoutItsControlValueStillMaps() throws {
    // Files from frontends that wrote no control mode: the next value is not a mode, so nothing is skipped.
    let ui = Self.ui(nodes: [Self.node(5, "KSamplerLike", widgets: [42, 3, "heun", 1, true, ""])])
    let inputs = try #require(try convertUIWorkflow(ui, catalog: CatalogFixtures.small)["5"]?.inputs)
    #expect(inputs["seed"] == 42)
    #expect(inputs["cfg"] == 3)
    #expect(inputs["sampler_name"] == "heun")
  }

  @Test func missingWidgetValuesTakeTheDefaults() throws {
    let ui = Self.ui(nodes: [Self.node(1, "EmptyImage", widgets: [64])])
    let inputs = try #require(try convertUIWorkflow(ui, catalog: CatalogFixtures.small)["1"]?.inputs)
    #expect(inputs == ["width": 64, "height": 512, "batch_size": 1, "color": 0])
  }

  @Test func uploadButtonValueIsNotSent() throws {
    let ui = Self.ui(
      nodes: [
        Self.node(
          1, "LoadImage", outputs: [Self.output("IMAGE", links: [1])], widgets: ["dog.png", "image"]),
        Self.node(2, "SaveImage", inputs: [Self.input("images", "IMAGE", link: 1)], widgets: ["out"]),
      ], links: [Self.link(1, 1, 0, 2, 0, "IMAGE")])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small, options: Self.fixedOptions)
    #expect(workflow["1"]?.inputs == ["image": "dog.png"])
    #expect(workflow["2"]?.inputs == ["filename_prefix": "out", "images": ["1", 0]])
  }

  @Test func listValuesAreWrapped() throws {
    let ui = Self.ui(nodes: [
      Self.node(3, "PreviewAny", widgets: []), Self.node(4, "SaveImage", widgets: [["a", "b"]]),
    ])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small)
    #expect(workflow["4"]?.inputs["filename_prefix"] == ["__value__": ["a", "b"]])
  }

  @Test func rerouteBypassAndMuteAreResolvedLikeTheFrontend() throws {
    // 1 EmptyImage → 2 ImageInvert (bypassed) → 3 Reroute → 4 SaveImage; 1 → 5 ImageInvert (muted) → 6 SaveImage.
    let ui = Self.ui(
      nodes: [
        Self.node(1, "EmptyImage", outputs: [Self.output("IMAGE", links: [1, 4])], widgets: [8, 8, 1, 0]),
        Self.node(
          2, "ImageInvert", mode: 4, inputs: [Self.input("image", "IMAGE", link: 1)],
          outputs: [Self.output("IMAGE", links: [2])]),
        Self.node(
          3, "Reroute", inputs: [Self.input("", "*", link: 2)], outputs: [Self.output("IMAGE", links: [3])]),
        Self.node(4, "SaveImage", inputs: [Self.input("images", "IMAGE", link: 3)], widgets: ["a"]),
        Self.node(
          5, "ImageInvert", mode: 2, inputs: [Self.input("image", "IMAGE", link: 4)],
          outputs: [Self.output("IMAGE", links: [5])]),
        Self.node(6, "SaveImage", inputs: [Self.input("images", "IMAGE", link: 5)], widgets: ["b"]),
        Self.node(7, "Note", widgets: ["just a note"]),
      ],
      links: [
        Self.link(1, 1, 0, 2, 0, "IMAGE"), Self.link(2, 2, 0, 3, 0, "IMAGE"),
        Self.link(3, 3, 0, 4, 0, "IMAGE"),
        Self.link(4, 1, 0, 5, 0, "IMAGE"), Self.link(5, 5, 0, 6, 0, "IMAGE"),
      ])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small, options: Self.fixedOptions)
    #expect(Array(workflow.nodes.keys) == ["1", "4", "6"])
    #expect(workflow["4"]?.inputs["images"] == ["1", 0])
    #expect(workflow["6"]?.inputs == ["filename_prefix": "b"])
  }

  @Test func aLinkedWidgetBecomesALinkInPlace() throws {
    let ui = Self.ui(
      nodes: [
        Self.node(
          2, "GetImageSize", inputs: [Self.input("image", "IMAGE", link: nil)],
          outputs: [Self.output("INT", links: [1])]),
        Self.node(
          3, "EmptyImage", inputs: [Self.input("width", "INT", link: 1, widget: true)],
          widgets: [512, 64, 1, 0]),
      ], links: [Self.link(1, 2, 0, 3, 0, "INT")])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small)
    let inputs = try #require(workflow["3"]?.inputs)
    #expect(Array(inputs.keys) == ["width", "height", "batch_size", "color"])
    #expect(inputs["width"] == ["2", 0])
  }

  @Test func primitiveNodeValuesReachTheirWidgetsRoundedByTheWidget() throws {
    let ui = Self.ui(
      nodes: [
        Self.node(
          1, "PrimitiveNode", outputs: [Self.output("FLOAT", links: [1])],
          widgets: [num("0.4000000000000001"), "fixed"]),
        Self.node(
          2, "KSamplerLike", inputs: [Self.input("cfg", "FLOAT", link: 1, widget: true)],
          widgets: [1, "fixed", 8, "euler", 1, true, ""]),
      ], links: [Self.link(1, 1, 0, 2, 0, "FLOAT")])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small)
    #expect(workflow["2"]?.inputs["cfg"]?.numberValue?.text == "0.4")
    #expect(workflow["1"] == nil)
  }

  @Test func dynamicPromptsAndFileNamePatternsAreProcessedAsTheBrowserDoes() throws {
    let ui = Self.ui(
      nodes: [
        Self.node(
          1, "KSamplerLike", title: "Sampler",
          widgets: [7, "fixed", 8, "euler", 1, true, "a {red|blue} car // note"]),
        Self.node(2, "SaveImage", widgets: ["%date:yyyy-MM-dd%/s%Sampler.seed%_%width%"]),
      ])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small, options: Self.fixedOptions)
    #expect(workflow["1"]?.inputs["note"] == "a red car ")
    #expect(workflow["2"]?.inputs["filename_prefix"] == "2026-03-04/s7_%width%")
    let untouched = try convertUIWorkflow(
      ui, catalog: CatalogFixtures.small,
      options: UIConversionOptions(processDynamicPrompts: false, applyTextReplacements: false))
    #expect(untouched["1"]?.inputs["note"] == "a {red|blue} car // note")
  }

  @Test func unknownClassesAndSubgraphsAreClearErrors() throws {
    let unknown = Self.ui(nodes: [Self.node(1, "ImageInvrt")])
    #expect {
      try convertUIWorkflow(unknown, catalog: CatalogFixtures.small)
    } throws: { error in
      (error as? WorkflowError)?.message.contains("did you mean ImageInvert?") == true
    }
    var withSubgraph = Self.ui(nodes: [Self.node(1, "0f3a-subgraph-id")]).objectValue ?? [:]
    withSubgraph["definitions"] = ["subgraphs": [["id": "0f3a-subgraph-id", "nodes": []]]]
    #expect {
      try convertUIWorkflow(.object(withSubgraph), catalog: CatalogFixtures.small)
    } throws: { error in
      (error as? WorkflowError)?.message.contains("subgraph") == true
    }
    #expect(throws: WorkflowError.self) {
      try convertUIWorkflow(["nodes": 3], catalog: CatalogFixtures.small)
    }
  }

  @Test func integerIDsComeFirstInAscendingOrderAsInAJavaScriptObject() throws {
    let ui = Self.ui(nodes: [
      Self.node(10, "SaveImage", widgets: ["x"]), Self.node(9, "SaveImage", widgets: ["y"]),
      Self.node(2, "SaveImage", widgets: ["z"]),
    ])
    let workflow = try convertUIWorkflow(ui, catalog: CatalogFixtures.small)
    #expect(Array(workflow.nodes.keys) == ["2", "9", "10"])
  }
}

@Suite struct FrontendTextTests {
  @Test func dynamicPromptChoicesNestingEscapesAndComments() {
    var picks: [Double] = [0.9, 0.0]
    let text = FrontendText.processDynamicPrompt(#"x {a|b|{c|d}} \{y\} /* gone */ z // tail"#) {
      picks.removeFirst()
    }
    #expect(text == "x c {y}  z ")
    #expect(FrontendText.processDynamicPrompt("no choices here", random: { 0.5 }) == "no choices here")
    #expect(FrontendText.processDynamicPrompt("line // a\nnext", random: { 0 }) == "line \nnext")
  }

  @Test func dateFormatsLikeTheFrontend() {
    let t = LocalDateTime(year: 2026, month: 3, day: 4, hour: 5, minute: 6, second: 7)
    #expect(FrontendText.formatDate("yyyy-MM-dd hh:mm:ss", t) == "2026-03-04 05:06:07")
    #expect(FrontendText.formatDate("yy M d h m s", t) == "26 3 4 5 6 7")
    #expect(FrontendText.formatDate("yyy y", t) == "yyy y")
  }

  @Test func javaScriptNumberText() {
    #expect(JSNumber.text(0.4) == "0.4")
    #expect(JSNumber.text(1) == "1")
    #expect(JSNumber.text(1e21) == "1e+21")
    #expect(JSNumber.text(123_456_789_012_345_680_000) == "123456789012345680000")
    #expect(JSNumber.text(0.000001) == "0.000001")
    #expect(JSNumber.text(1e-7) == "1e-7")
    #expect(JSNumber.text(-2.5) == "-2.5")
  }
}
