import TestSupport
import Testing
import Workflow

@testable import ComfyRules

/// Replays every recorded POST /prompt against the validator with the recorded catalog and compares
/// the answer with what the real ComfyUI 0.3.64 said. Fixture-based: skipped when the fixtures are absent.
@Suite struct ValidationConformanceTests {
  /// `example.png` had been uploaded (api-nodes/upload-image.json) before the API-node runs.
  static let recordedInputFolder = ValidationHooks(inputFileExists: { $0 == "example.png" })

  struct Recorded {
    let name: String
    let body: JSONValue
    let status: Int
    let response: JSONValue
  }

  /// The POST /prompt exchanges of a recorded file (one exchange or a list of them).
  static func exchanges(
    in relative: String, of set: FixtureSet = Fixtures.comfyUI_0_3_64
  ) throws -> [Recorded] {
    let value = try set.json(relative)
    let list = value.arrayValue ?? [value]
    return list.compactMap { exchange in
      guard exchange["request"]?["method"] == "POST", exchange["request"]?["path"] == "/prompt",
        let body = exchange["request"]?["body"],
        let status = exchange["response"]?["status"]?.numberValue?.int64Value
      else { return nil }
      return Recorded(
        name: relative, body: body, status: Int(status), response: exchange["response"]?["body"] ?? .null)
    }
  }

  /// Compares the whole answer; an accepted one without the server's `prompt_id` and `number`.
  static func expectSameAnswer(_ result: ValidationResult, _ recorded: Recorded) {
    #expect(result.httpStatus == recorded.status, "\(recorded.name): status")
    var expected = recorded.response.objectValue ?? [:]
    expected.removeValue(forKey: "prompt_id")
    expected.removeValue(forKey: "number")
    let actual = result.responseJSON()
    #expect(actual == .object(expected), "\(recorded.name):\n\(actual.serialized(.indented(1)))")
  }

  @Test(needsFixtures, arguments: CatalogFixtures.Form.allCases)
  func everyRecordedValidationCaseGetsTheServersAnswer(form: CatalogFixtures.Form) throws {
    let catalog = try CatalogFixtures.full(form)
    let index = try Fixtures.json("validation/index.json").arrayValue ?? []
    #expect(index.count == 23)
    var compared = 0
    for entry in index {
      guard let name = entry["case"]?.stringValue else { continue }
      let file = try Fixtures.json("validation/\(name).json")
      let request = file["request"]
      switch name {
      case "g-invalid-json-body":
        // HTTP level: the body is not JSON, so aiohttp's request.json() raises and the server answers 500.
        let raw = request?["body_raw"]?.stringValue ?? ""
        #expect(throws: JSONParseError.self) { try JSONValue.parse(raw) }
        #expect(file["response"]?["status"] == 500)
        continue
      case "x-origin-mismatch-403", "x-origin-match-200":
        // HTTP level: the Origin middleware, not validation (and not a POST /prompt).
        continue
      default:
        break
      }
      let recorded = try #require(try Self.exchanges(in: "validation/\(name).json").first, "\(name)")
      let result = PromptValidation.validateRequestBody(recorded.body, catalog: catalog)
      // The verdict, the error type and the node error types on the same nodes, as index.json lists them.
      #expect(result.httpStatus == entry["status"]?.numberValue?.int64Value.map { Int($0) }, "\(name)")
      #expect(result.error?.type == entry["error_type"]?.stringValue, "\(name)")
      if let types = entry["node_error_types"]?.arrayValue {
        let actual = result.nodeErrors.values.flatMap { $0.errors.map(\.type) }
        #expect(actual == types.compactMap(\.stringValue), "\(name)")
      }
      // Then everything else: messages, details, extra_info (tracebacks included), dependent outputs.
      Self.expectSameAnswer(result, recorded)
      compared += 1
    }
    #expect(compared == 20)
  }

  @Test(needsFixtures, arguments: CatalogFixtures.Form.allCases)
  func everyRecordedSubmissionElsewhereIsJudgedTheSame(form: CatalogFixtures.Form) throws {
    let catalog = try CatalogFixtures.full(form)
    var files = Fixtures.files(endingWith: ".post_prompt.json")
    files += Fixtures.files(endingWith: ".http.json")
    var compared = 0
    for file in files where !file.hasPrefix("validation/") {
      for recorded in try Self.exchanges(in: file) {
        let result = PromptValidation.validateRequestBody(
          recorded.body, catalog: catalog, hooks: Self.recordedInputFolder)
        Self.expectSameAnswer(result, recorded)
        compared += 1
      }
    }
    // exec/ (14 with the runtime errors), api-nodes/ (3), ui-to-api/ (2), and the .http.json sequences.
    #expect(compared >= 19)
  }

  @Test(needsFixtures, arguments: CatalogFixtures.Form.allCases)
  func theRuntimeErrorCasesAreAcceptedWithTheirOutputs(form: CatalogFixtures.Form) throws {
    let catalog = try CatalogFixtures.full(form)
    let v3Combo = try #require(
      try Self.exchanges(in: "exec/runtime-error-v3-combo-value-not-validated.post_prompt.json").first)
    let result = PromptValidation.validateRequestBody(v3Combo.body, catalog: catalog)
    #expect(result.accepted)
    #expect(result.outputsToExecute == ["4"])
    let partial = try #require(
      try Self.exchanges(in: "ui-to-api/edge-cases.submitted.post_prompt.json").first)
    let edge = PromptValidation.validateRequestBody(partial.body, catalog: catalog)
    #expect(edge.accepted)
    #expect(edge.outputsToExecute == ["6", "10"])
    #expect(edge.nodeErrors["8"]?.errors.map(\.type) == ["required_input_missing"])
  }

  @Test(needsFixtures, arguments: CatalogFixtures.Form.allCases)
  func theAcceptedIntCasesAreConvertedAsTheServerStoresThem(form: CatalogFixtures.Form) throws {
    let catalog = try CatalogFixtures.full(form)
    for (name, width) in [("q-float-for-INT", "8"), ("r-string-number-for-INT", "8")] {
      let recorded = try #require(try Self.exchanges(in: "validation/\(name).json").first)
      let result = PromptValidation.validateRequestBody(recorded.body, catalog: catalog)
      #expect(result.accepted)
      #expect(result.validatedPrompt?["1"]?["inputs"]?["width"] == .number(JSONNumber(uncheckedText: width)))
    }
  }

}
