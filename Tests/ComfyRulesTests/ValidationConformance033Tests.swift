import TestSupport
import Testing
import Workflow

@testable import ComfyRules

/// Replays every POST /prompt recorded from ComfyUI 0.33.0 against the validator with that server's
/// catalog and node replacements, and compares the whole answer with the recorded one.
@Suite struct ValidationConformance033Tests {
  static let set = Fixtures.comfyUI_0_33

  static func hooks() throws -> ValidationHooks {
    let replacements = try set.responseBody("version/node_replacements.json")
    return ValidationHooks(
      tracebackRoot: "/opt/ComfyUI", rules: .comfyUI0_33,
      nodeReplacements: NodeReplacements(json: replacements))
  }

  typealias Recorded = ValidationConformanceTests.Recorded

  static func exchanges(in relative: String) throws -> [Recorded] {
    try ValidationConformanceTests.exchanges(in: relative, of: set)
  }

  /// Within one node the server lists missing inputs in Python set order, which changes from run to run
  /// (g5 has crop, width, height); errors are compared in a fixed order, everything else exactly.
  static func normalized(_ answer: JSONValue) -> JSONValue {
    guard case .object(var members) = answer else { return answer }
    members.removeValue(forKey: "prompt_id")
    members.removeValue(forKey: "number")
    if case .object(var nodes)? = members["node_errors"] {
      for (id, entry) in nodes {
        guard case .object(var fields) = entry, case .array(let errors)? = fields["errors"] else { continue }
        fields["errors"] = .array(errors.sorted { $0.serialized() < $1.serialized() })
        nodes[id] = .object(fields)
      }
      members["node_errors"] = .object(nodes)
    }
    return .object(members)
  }

  static func expectSameAnswer(_ result: ValidationResult, _ recorded: Recorded) {
    #expect(result.httpStatus == recorded.status, "\(recorded.name): status")
    let actual = normalized(result.responseJSON())
    #expect(
      actual == normalized(recorded.response),
      "\(recorded.name):\n\(result.responseJSON().serialized(.indented(1)))")
  }

  @Test(needsFixtures033)
  func everyRecordedValidationCaseGetsTheServersAnswer() throws {
    let catalog = try CatalogFixtures.full033
    let hooks = try Self.hooks()
    let index = try Self.set.json("validation/index.json").arrayValue ?? []
    #expect(index.count == 39)
    var compared = 0
    for entry in index {
      guard let name = entry["case"]?.stringValue else { continue }
      let file = try Self.set.json("validation/\(name).json")
      if name == "k5-invalid-json-body" {
        // HTTP level: aiohttp's request.json() raises on a body that is not JSON: a 500.
        let raw = file["request"]?["body_raw"]?.stringValue ?? ""
        #expect(throws: JSONParseError.self) { try JSONValue.parse(raw) }
        #expect(file["response"]?["status"] == 500)
        continue
      }
      let recorded = try #require(try Self.exchanges(in: "validation/\(name).json").first, "\(name)")
      let result = PromptValidation.validateRequestBody(recorded.body, catalog: catalog, hooks: hooks)
      #expect(result.httpStatus == entry["status"]?.numberValue?.int64Value.map { Int($0) }, "\(name)")
      #expect(result.error?.type == entry["error_type"]?.stringValue, "\(name)")
      if let types = entry["node_error_types"]?.arrayValue {
        let actual = Set(result.nodeErrors.values.flatMap { $0.errors.map(\.type) })
        #expect(actual == Set(types.compactMap(\.stringValue)), "\(name)")
      }
      if let classes = entry["node_error_class_types"]?.arrayValue {
        #expect(
          Set(result.nodeErrors.values.map(\.classType)) == Set(classes.compactMap(\.stringValue)), "\(name)")
      }
      Self.expectSameAnswer(result, recorded)
      compared += 1
    }
    #expect(compared == 38)
  }

  @Test(needsFixtures033)
  func everyRecordedSubmissionElsewhereIsJudgedTheSame() throws {
    let catalog = try CatalogFixtures.full033
    let hooks = try Self.hooks()
    var files = Self.set.files(in: "exec", endingWith: ".post_prompt.json")
    files += Self.set.files(in: "api-nodes", endingWith: ".post_prompt.json")
    files += Self.set.files(in: "exec", endingWith: ".http.json")
    files += Self.set.files(in: "api-nodes", endingWith: ".http.json")
    var compared = 0
    for file in files {
      for recorded in try Self.exchanges(in: file) {
        let result = PromptValidation.validateRequestBody(recorded.body, catalog: catalog, hooks: hooks)
        Self.expectSameAnswer(result, recorded)
        compared += 1
      }
    }
    #expect(compared >= 12)
  }

  @Test(needsFixtures033)
  func theRecordedReplacementsAreReportedAndKept() throws {
    let catalog = try CatalogFixtures.full033
    let recorded = try #require(
      try Self.exchanges(in: "validation/j1b-node-replacement-T2IAdapterLoader.json").first)
    let result = PromptValidation.validateRequestBody(
      recorded.body, catalog: catalog, hooks: try Self.hooks())
    #expect(
      result.replacements == [.init(node: "1", oldClass: "T2IAdapterLoader", newClass: "ControlNetLoader")])
    #expect(result.originalPrompt?["1"]?["inputs"] == ["control_net_name": "x.safetensors"])
    #expect(result.originalPrompt?["1"]?["_meta"]?["title"] == "Load T2I Adapter")
  }

  @Test(needsFixtures033)
  func theVersionDecidesTheRules() throws {
    #expect(ValidationRules(comfyUIVersion: "0.3.64") == .comfyUI0_3)
    #expect(ValidationRules(comfyUIVersion: "0.33.0") == .comfyUI0_33)
    #expect(ValidationRules(comfyUIVersion: "v0.4.1") == .comfyUI0_33)
    #expect(ValidationRules(comfyUIVersion: "1.0.0") == .comfyUI0_33)
    #expect(ValidationRules(comfyUIVersion: "nightly") == nil)
    // Without a version, the file says which: 0.33's object_info has search_aliases on every class.
    let unversioned = try Catalog(objectInfoBytes: Self.set.read("object_info.subset.json"))
    #expect(ValidationRules(for: unversioned) == .comfyUI0_33)
    let old = try Catalog(objectInfoBytes: Fixtures.comfyUI_0_3_64.read("object_info.subset.json"))
    #expect(ValidationRules(for: old) == .comfyUI0_3)
  }

  @Test func canonicalUUIDsAreLowercaseAndHyphenated() {
    #expect(ValidationRules.isCanonicalUUID("231d3674-df49-4f97-a8d4-acb846dc203d"))
    #expect(!ValidationRules.isCanonicalUUID("2733BB72-F851-4506-9233-FD7163A70447"))
    #expect(!ValidationRules.isCanonicalUUID("231d3674df494f97a8d4acb846dc203d"))
    #expect(!ValidationRules.isCanonicalUUID("comfysh-my-prompt-1"))
  }
}

/// What the recordings cannot show (no recorded class has one): a multiselect COMBO under 0.33's rules.
@Suite struct MultiselectValidationTests {
  static let catalog: Catalog = {
    let info: JSONValue = [
      "TagPicker": [
        "input": [
          "required": ["tags": ["COMBO", ["multiselect": true, "options": ["red", "green", "blue"]]]]
        ],
        "output": [], "output_node": true, "name": "TagPicker", "deprecated": false, "experimental": false,
        "api_node": false,
      ]
    ]
    return (try? Catalog(objectInfo: info, comfyUIVersion: "0.33.0")) ?? Catalog(classes: [])
  }()

  static func verdict(_ tags: JSONValue) -> ValidationResult {
    validate(prompt: ["1": ["class_type": "TagPicker", "inputs": ["tags": tags]]], catalog: catalog)
  }

  @Test func everyPickMustBeAnOption() {
    #expect(Self.verdict(["__value__": ["red", "blue"]]).accepted)
    #expect(Self.verdict("green").accepted)
    let bad = Self.verdict(["__value__": ["red", "pink"]])
    #expect(!bad.accepted)
    let error = bad.nodeErrors["1"]?.errors.first
    #expect(error?.type == "value_not_in_list")
    #expect(error?.details == "tags: ['red', 'pink'] not in ['red', 'green', 'blue']")
    // The same catalog as 0.3.64 would read it: v3 COMBOs are not checked there.
    let old = validate(
      prompt: ["1": ["class_type": "TagPicker", "inputs": ["tags": ["__value__": ["pink"]]]]],
      catalog: Self.catalog,
      hooks: ValidationHooks(rules: .comfyUI0_3))
    #expect(old.accepted)
  }
}
