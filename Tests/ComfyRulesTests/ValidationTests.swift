import TestSupport
import Testing
import Workflow

@testable import ComfyRules

/// Validation beyond the recorded cases, following execution.py's rules (no fixtures needed).
@Suite struct ValidationTests {
  let catalog = CatalogFixtures.small

  func check(
    _ prompt: JSONValue, hooks: ValidationHooks = .init(), partial: JSONValue? = nil
  ) -> ValidationResult {
    validate(prompt: prompt, catalog: catalog, hooks: hooks, partialExecutionTargets: partial)
  }

  static let image: JSONValue = [
    "class_type": "EmptyImage", "inputs": ["width": 8, "height": 8, "batch_size": 1, "color": 0],
  ]
  static func save(_ from: String) -> JSONValue {
    ["class_type": "SaveImage", "inputs": ["filename_prefix": "x", "images": [.string(from), 0]]]
  }

  @Test func aValidPromptIsAcceptedWithItsOutputsInPromptOrder() {
    let result = check(["1": Self.image, "9": Self.save("1"), "3": Self.save("1")])
    #expect(result.accepted && result.httpStatus == 200)
    #expect(result.outputsToExecute == ["9", "3"])
    #expect(result.responseJSON() == ["node_errors": [:]])
  }

  @Test func partialExecutionTargetsChooseTheOutputs() {
    let prompt: JSONValue = ["1": Self.image, "8": Self.save("1"), "9": Self.save("1")]
    #expect(check(prompt, partial: ["9"]).outputsToExecute == ["9"])
    #expect(check(prompt, partial: []).error?.type == "prompt_no_outputs")
    #expect(check(prompt, partial: 5).httpStatus == 500)
  }

  @Test func everyFailedOutputIsAddedToEveryNodeWithErrorsAsTheServerDoes() {
    var bad1 = Self.image.objectValue ?? [:]
    bad1["inputs"] = ["width": 0, "height": 8, "batch_size": 1, "color": 0]
    var bad2 = bad1
    bad2["inputs"] = ["width": 8, "height": 0, "batch_size": 1, "color": 0]
    let result = check(["1": .object(bad1), "2": .object(bad2), "8": Self.save("1"), "9": Self.save("2")])
    #expect(!result.accepted)
    #expect(result.nodeErrors["1"]?.dependentOutputs == ["8", "9"])
    #expect(result.nodeErrors["2"]?.dependentOutputs == ["9"])
    #expect(result.error?.details == "")
  }

  @Test func theOutputsOwnErrorsBecomeTheDetails() {
    let result = check(["1": Self.image, "9": ["class_type": "SaveImage", "inputs": ["images": ["1", 0]]]])
    #expect(result.error?.details == "Required input is missing: filename_prefix")
  }

  @Test func conversionsAndTheirMessages() throws {
    let prompt: JSONValue = [
      "1": Self.image,
      "2": [
        "class_type": "KSamplerLike",
        "inputs": [
          "model": ["1", 0], "seed": ["__value__": [1, 2]], "cfg": 200, "sampler_name": "euler",
          "denoise": "0.5",
          "note": 12,
        ],
      ],
      "9": ["class_type": "PreviewAny", "inputs": ["source": ["2", 0]]],
    ]
    let result = check(prompt)
    let errors = try #require(result.nodeErrors["2"]?.errors)
    #expect(errors.map(\.type) == ["return_type_mismatch", "invalid_input_type", "value_bigger_than_max"])
    #expect(errors[0].details == "model, received_type(IMAGE) mismatch input_type(MODEL)")
    #expect(
      errors[1].details
        == "seed, [1, 2], int() argument must be a string, a bytes-like object or a real number, not 'list'")
    #expect(errors[1].extraInfo["received_value"] == [1, 2])
    #expect(errors[2].message == "Value 200.0 bigger than max of 100.0")
    #expect(errors[2].extraInfo["received_value"] == num("200.0"))
  }

  @Test func longChoiceListsAreNotEchoed() throws {
    let many = (0..<25).map { JSONValue.string("c\($0)") }
    let picker = NodeClass(
      name: "Picker", isOutputNode: true,
      inputs: [
        InputSpec(
          name: "choice", isRequired: true, kind: .combo(ComboOptions(options: many, validatesOptions: true)))
      ])
    let result = validate(
      prompt: ["1": ["class_type": "Picker", "inputs": ["choice": "zz"]]], catalog: Catalog(classes: [picker])
    )
    let error = try #require(result.nodeErrors["1"]?.errors.first)
    #expect(error.details == "choice: 'zz' not in (list of length 25)")
    #expect(error.extraInfo["input_config"] == .null)
    #expect(result.error?.details == "Value not in list: choice: 'zz' not in (list of length 25)")
  }

  @Test func linkProblemsRaiseWhereTheServerRaises() throws {
    // An integer id is looked up as the int 1, which no prompt key equals.
    let direct = check([
      "1": Self.image,
      "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": "x", "images": [1, 0]]],
    ])
    let error = try #require(direct.nodeErrors["9"]?.errors.first)
    #expect(error.type == "exception_during_validation")
    #expect(error.details == "1")
    #expect(direct.error?.details == "Exception when validating node: 1")
    let unhashable = check([
      "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": "x", "images": [["1"], 0]]]
    ])
    #expect(unhashable.nodeErrors["9"]?.errors.first?.details == "unhashable type: 'list'")
    // Python indexes from the end, so -1 is the last output; a float index is a TypeError.
    #expect(
      check([
        "1": Self.image,
        "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": "x", "images": ["1", -1]]],
      ]).accepted)
    let float = check([
      "1": Self.image,
      "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": "x", "images": ["1", num("0.0")]]],
    ])
    #expect(
      float.nodeErrors["9"]?.errors.first?.details == "tuple indices must be integers or slices, not float")
    // v3 classes keep RETURN_TYPES in a list.
    let v3 = check([
      "1": Self.image, "2": ["class_type": "GetImageSize", "inputs": ["image": ["1", 0]]],
      "9": ["class_type": "PreviewAny", "inputs": ["source": ["2", 7]]],
    ])
    #expect(v3.nodeErrors["9"]?.errors.first?.details == "list index out of range")
  }

  @Test func aNodeWithoutInputsIsAKeyError() throws {
    let result = check(["1": ["class_type": "EmptyImage"], "9": Self.save("1")])
    let error = try #require(result.nodeErrors["1"]?.errors.first)
    #expect(error.type == "exception_during_inner_validation")
    #expect(error.details == "'inputs'")
    #expect(error.extraInfo["input_name"] == "images")
    #expect(
      error.extraInfo["traceback"]?.arrayValue?.last
        == "  File \"/srv/ComfyUI/execution.py\", line 730, in validate_inputs\n    inputs = prompt[unique_id]['inputs']\n             ~~~~~~~~~~~~~~~~~^^^^^^^^^^\n"
    )
  }

  @Test func linksInACircleEndInARecursionError() throws {
    let prompt: JSONValue = [
      "1": ["class_type": "ImageInvert", "inputs": ["image": ["2", 0]]],
      "2": ["class_type": "ImageInvert", "inputs": ["image": ["1", 0]]],
      "9": Self.save("1"),
    ]
    // Python overflows its stack; every frame of the loop then overwrites the error it caught, so the
    // server rejects the prompt without naming a node.
    let result = check(prompt)
    #expect(result.error?.type == "prompt_outputs_failed_validation")
    #expect(result.nodeErrors.isEmpty)
  }

  @Test func loadImageChecksTheInputFolder() throws {
    let prompt: JSONValue = [
      "1": ["class_type": "LoadImage", "inputs": ["image": "bird.png"]], "9": Self.save("1"),
    ]
    // Client side: the catalog's list is what the server had.
    #expect(check(prompt).nodeErrors["1"]?.errors.first?.details == "image - Invalid image file: bird.png")
    // Simulator side: its own folder decides.
    #expect(check(prompt, hooks: ValidationHooks(inputFileExists: { $0 == "bird.png" })).accepted)
    // A linked file name reaches VALIDATE_INPUTS as None.
    let linked = check([
      "1": ["class_type": "LoadImage", "inputs": ["image": ["2", 0]]],
      "2": ["class_type": "PaidNode", "inputs": ["prompt": "x"]],
      "9": Self.save("1"),
    ])
    let error = try #require(linked.nodeErrors["1"]?.errors.first)
    #expect(error.details == "'NoneType' object has no attribute 'endswith'")
  }

  @Test func valuesForLinkTypesAndStarAreNotChecked() {
    #expect(
      check(["9": ["class_type": "PreviewAny", "inputs": ["source": ["__value__": [1, 2, 3]]]]]).accepted)
    #expect(
      check([
        "1": Self.image,
        "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": 7, "images": ["1", 0]]],
      ]).accepted)
  }

  @Test func theServerKeepsConvertedValues() throws {
    let prompt: JSONValue = [
      "1": [
        "class_type": "EmptyImage",
        "inputs": ["width": "64", "height": num("8.9"), "batch_size": true, "color": num("1E1")],
      ],
      "9": ["class_type": "SaveImage", "inputs": ["filename_prefix": 12, "images": ["1", 0]]],
    ]
    let result = check(prompt)
    let stored = try #require(result.validatedPrompt)
    #expect(stored["1"]?["inputs"] == ["width": 64, "height": 8, "batch_size": 1, "color": 10])
    #expect(stored["9"]?["inputs"]?["filename_prefix"] == "12")
  }

  @Test func malformedPromptsAndBodies() {
    #expect(check(5).serverFault != nil)
    #expect(check([]).error?.type == "prompt_no_outputs")
    #expect(check(["1": 5]).httpStatus == 500)
    #expect(
      check(["1": ["inputs": [:]]]).error?.message
        == "Cannot execute because a node is missing the class_type property.")
    #expect(check(["1": ["class_type": ["x"]]]).httpStatus == 500)
    #expect(
      check(["1": ["class_type": .null]]).error?.message == "Cannot execute because node None does not exist."
    )
    let noPrompt = PromptValidation.validateRequestBody(["client_id": "x"], catalog: catalog)
    #expect(noPrompt.responseJSON()["error"]?["type"] == "no_prompt")
    #expect(
      PromptValidation.validateRequestBody(["number": "x", "prompt": [:]], catalog: catalog).httpStatus == 500
    )
    #expect(PromptValidation.validateRequestBody(.null, catalog: catalog).httpStatus == 500)
    #expect(PromptValidation.validateRequestBody(["a"], catalog: catalog).error?.type == "no_prompt")
    let body: JSONValue = [
      "prompt": ["1": Self.image, "9": Self.save("1")], "client_id": "c", "extra_data": "oops",
    ]
    #expect(PromptValidation.validateRequestBody(body, catalog: catalog).httpStatus == 500)
    #expect(ValidationResult.serverFaultBody.hasPrefix("500 Internal Server Error"))
  }
}
