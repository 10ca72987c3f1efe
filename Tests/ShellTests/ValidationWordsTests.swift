import ComfyRules
import TestSupport
import Testing
import Workflow

@testable import Shell

/// Validation verdicts in the shell's words: what is wrong with which node and input, and the fix.
@Suite struct ValidationWordsTests {
  let catalog = CatalogFixtures.small

  func check(_ prompt: JSONValue) -> ValidationResult { validate(prompt: prompt, catalog: catalog) }

  static func save(_ from: String) -> JSONValue {
    ["class_type": "SaveImage", "inputs": ["filename_prefix": "x", "images": [.string(from), 0]]]
  }

  @Test func anAcceptedPromptNeedsNoWords() {
    let image: JSONValue = [
      "class_type": "EmptyImage", "inputs": ["width": 8, "height": 8, "batch_size": 1, "color": 0],
    ]
    #expect(check(["1": image, "9": Self.save("1")]).describeForUser(catalog: catalog).isEmpty)
  }

  @Test func aLoopIsNamed() {
    let prompt: JSONValue = [
      "1": ["class_type": "ImageInvert", "inputs": ["image": ["2", 0]]],
      "2": ["class_type": "ImageInvert", "inputs": ["image": ["1", 0]]],
      "9": Self.save("1"),
    ]
    #expect(check(prompt).describeForUser(catalog: catalog).last?.contains("1 → 2 → 1") == true)
  }

  @Test func theUserDescriptionPointsAtOutputsOfTheWantedType() {
    let prompt: JSONValue = [
      "14": ["class_type": "LoadImage", "inputs": ["image": "cat.png"]],
      "2": ["class_type": "GetImageSize", "inputs": ["image": ["14", 0]]],
      "11": ["class_type": "ImageInvert", "inputs": ["image": ["2", 0]]],
      "12": Self.save("11"),
    ]
    let lines = check(prompt).describeForUser(catalog: catalog)
    #expect(lines.first == "no output node can run:")
    #expect(
      lines.last
        == "  node 11 (ImageInvert): 11.image wants IMAGE but 2:0 gives INT; node 14 (LoadImage) has IMAGE at 14:0"
    )
    let missing = check(["1": ["class_type": "ImageInvert", "inputs": [:]], "12": Self.save("1")])
      .describeForUser(catalog: catalog)
    #expect(
      missing.last?.contains(
        "image is missing (required IMAGE); no node in the workflow has an output of type IMAGE") == true)
  }

  @Test(needsFixtures) func theDescriptionOfEachRejectionNamesTheFix() throws {
    let catalog = try CatalogFixtures.full
    func describe(_ name: String) throws -> [String] {
      let recorded = try #require(Fixtures.json("validation/\(name).json")["request"]?["body"])
      return PromptValidation.validateRequestBody(recorded, catalog: catalog).describeForUser(
        catalog: catalog)
    }
    #expect(try describe("a-unknown-class_type").first?.contains("no node class NoSuchNode") == true)
    #expect(
      try describe("b-missing-required-input").last?.contains("width is missing (required INT, default 512)")
        == true)
    #expect(
      try describe("c-link-to-nonexistent-node").last?.contains(
        "image links to node 99, which is not in the workflow") == true)
    #expect(try describe("c2-output-node-links-to-nonexistent-node").last?.contains("node 99") == true)
    #expect(
      try describe("d-wrong-type-string-for-INT").last?.contains(
        "width takes a whole number (INT); \"wide\" is not one") == true)
    #expect(try describe("e-value-out-of-range-max").last?.contains("allowed 1…16384") == true)
    #expect(try describe("e2-value-out-of-range-min").last?.contains("smaller than the minimum 1") == true)
    #expect(try describe("f-no-output-node").first?.contains("no output node") == true)
    #expect(try describe("j-bad-linked-input-length").last?.contains("__value__") == true)
    let mismatch = try describe("k-return-type-mismatch").last ?? ""
    #expect(mismatch.contains("1.width wants INT but 2:0 gives IMAGE"), "\(mismatch)")
    let choice = try describe("l-value-not-in-list-v1-combo").last ?? ""
    #expect(choice.contains("\"bogus\" is not one of the 5 choices"), "\(choice)")
    #expect(try describe("m-loadimage-missing-file").last?.contains("no input file no-such-file.png") == true)
    let slot = try describe("n-output-slot-out-of-range").last ?? ""
    #expect(
      slot.contains("image links to output 5 of node 2 (EmptyImage), whose outputs are 0 IMAGE"), "\(slot)")
    let partial = try describe("p-partial-one-output-ok-one-bad")
    #expect(partial.first == "accepted, but output 9 will not run:", "\(partial)")
  }

  @Test func valueProblemsNameTheCommandThatHelps() {
    let link = ValueProblem.takesLink(input: "images", type: "IMAGE")
    #expect(
      link.shellMessage
        == "images takes a link from an output of type IMAGE, not a value; use `link NODE.images NODE:SLOT`")
    let many = (1...9).map { "c\($0)" }
    let choice = ValueProblem.notAChoice(
      input: "mode", value: "c0", choices: many, suggestions: ["c1"], checkedByServer: true)
    #expect(
      choice.shellMessage
        == "mode: \"c0\" is not one of the 9 choices; did you mean \"c1\"? (`info CLASS` lists them)")
    #expect(choice.description == "mode: \"c0\" is not one of the 9 choices; did you mean \"c1\"?")
  }
}
