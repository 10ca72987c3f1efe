import Testing

@testable import Workflow

/// Every address form of Docs/guide.md, Addresses.
@Suite struct AddressTests {
  let workflow = try! Workflow(
    apiJSON: JSONValue.parse(
      #"""
      {"11": {"inputs": {"seed": 1}, "class_type": "KSampler", "_meta": {"title": "Sampler"}},
       "194:45": {"inputs": {}, "class_type": "VAEDecode", "_meta": {"title": "Decode"}},
       "54:62:174": {"inputs": {}, "class_type": "X"},
       "a.b": {"inputs": {}, "class_type": "Y", "_meta": {"title": "Save Image"}},
       "7": {"inputs": {}, "class_type": "Z", "_meta": {"title": "save image"}},
       "8": {"inputs": {}, "class_type": "Z", "_meta": {"title": "Twin"}},
       "9": {"inputs": {}, "class_type": "Z", "_meta": {"title": "Twin"}}}
      """#))

  @Test func bareIDs() throws {
    #expect(try Address.parseNode("11") == .id("11"))
    #expect(try Address.parseNode("194:45") == .id("194:45"))
    #expect(try Address.parseNode("54:62:174") == .id("54:62:174"))
  }

  @Test func quotedIDs() throws {
    #expect(try Address.parseNode("\"a.b\"") == .id("a.b"))
    #expect(try Address.parseInput("\"a.b\".images") == InputAddress(node: .id("a.b"), name: "images"))
    #expect(try Address.parseNode("'a.b'") == .id("a.b"))
  }

  @Test func titles() throws {
    #expect(try Address.parseNode("@Sampler") == .title("Sampler"))
    #expect(try Address.parseNode("@\"Save Image\"") == .title("Save Image"))
    #expect(
      try Address.parseInput("@\"Save Image\".images")
        == InputAddress(node: .title("Save Image"), name: "images"))
    #expect(try Address.parseOutput("@Decode:0") == OutputAddress(node: .title("Decode"), slot: .index(0)))
  }

  @Test func inputNamesKeepTheirDots() throws {
    #expect(
      try Address.parseInput("11.model.temperature")
        == InputAddress(node: .id("11"), name: "model.temperature"))
    #expect(try Address.parseInput("194:45.samples") == InputAddress(node: .id("194:45"), name: "samples"))
  }

  @Test func outputsSplitAtTheLastColon() throws {
    #expect(try Address.parseOutput("11:0") == OutputAddress(node: .id("11"), slot: .index(0)))
    #expect(try Address.parseOutput("194:45:0") == OutputAddress(node: .id("194:45"), slot: .index(0)))
    #expect(try Address.parseOutput("54:62:174:2") == OutputAddress(node: .id("54:62:174"), slot: .index(2)))
    #expect(try Address.parseOutput("4:MODEL") == OutputAddress(node: .id("4"), slot: .name("MODEL")))
    #expect(try Address.parseOutput("\"a:b\":1") == OutputAddress(node: .id("a:b"), slot: .index(1)))
  }

  @Test(arguments: ["11", "11.", ".seed", "@.x", "1 1.x", "@\"open.x"])
  func badInputAddressesAreRejected(_ text: String) {
    #expect(throws: WorkflowError.self) { try Address.parseInput(text) }
  }

  @Test(arguments: ["11", "11:", ":0", "11:-1"])
  func badOutputAddressesAreRejected(_ text: String) {
    #expect(throws: WorkflowError.self) { try Address.parseOutput(text) }
  }

  @Test func titlesMatchExactlyThenIgnoringCase() throws {
    #expect(try workflow.resolve(.title("Save Image")) == "a.b")
    #expect(try workflow.resolve(.title("save image")) == "7")
    #expect(try workflow.resolve(.title("SAMPLER")) == "11")
  }

  @Test func ambiguityListsTheCandidates() {
    #expect {
      try workflow.resolve(.title("Twin"))
    } throws: {
      ($0 as? WorkflowError)?.message
        == "@Twin is ambiguous: nodes 8 (Z), 9 (Z) have that title; use the node id instead"
    }
  }

  @Test func missingNodesSuggest() {
    #expect {
      try workflow.resolve(.id("12"))
    } throws: { ($0 as? WorkflowError)?.message.contains("there is no node 12 (did you mean 11?)") == true }
    #expect {
      try workflow.resolve(.title("Samplr"))
    } throws: { ($0 as? WorkflowError)?.message.contains("did you mean @Sampler?") == true }
  }

  @Test func subgraphOutputsExplainTheMistake() throws {
    #expect {
      try workflow.resolve(Address.parseOutput("194:45"))
    } throws: { ($0 as? WorkflowError)?.message == "node 194 has no output 45 (did you mean 194:45:0?)" }
    #expect(try workflow.resolve(Address.parseOutput("194:45:0")) == ("194:45", 0))
  }

  @Test func outputNamesUseTheCatalog() throws {
    let names: (String) -> [String]? = { $0 == "KSampler" ? ["LATENT"] : nil }
    #expect(try workflow.resolve(Address.parseOutput("11:LATENT"), outputNames: names) == ("11", 0))
    #expect(throws: WorkflowError.self) {
      try workflow.resolve(Address.parseOutput("11:IMAGE"), outputNames: names)
    }
    #expect(throws: WorkflowError.self) {
      try workflow.resolve(Address.parseOutput("11:1"), outputNames: names)
    }
    #expect(throws: WorkflowError.self) { try workflow.resolve(Address.parseOutput("11:LATENT")) }
  }

  @Test func renderingQuotesWhenNeeded() {
    #expect(NodeRef.id("a.b").description == "\"a.b\"")
    #expect(NodeRef.id("194:45").description == "194:45")
    #expect(NodeRef.title("Save Image").description == "@\"Save Image\"")
    #expect(NodeRef.title("Decode").description == "@Decode")
  }
}
