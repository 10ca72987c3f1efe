import TestSupport
import Testing
import Workflow

@testable import ComfyRules

@Suite struct CatalogFileTests {
  static func written(_ bytes: [UInt8]) throws -> String {
    let path = TemporaryFolder.make() + "/test.catalog"
    try FileIO.writeAtomically(path, bytes)
    return path
  }

  @Test(needsFixtures) func aCatalogFileHoldsEveryClassAsTheServerWroteIt() throws {
    let parsed = try CatalogFixtures.full(.parsed)
    let file = try CatalogFile.open(try Self.written(CatalogFile.encode(parsed, facts: ["server": "x"])))
    #expect(file.facts == ["server": "x"])
    let opened = file.catalog(comfyUIVersion: "0.3.64")
    #expect(opened.count == parsed.count)
    #expect(opened.names == parsed.names)
    #expect(opened.summaries == parsed.summaries)
    #expect(opened.parsedCount == 0)
    for original in parsed.classes {
      let copy = try #require(opened[className: original.name])
      #expect(copy.raw == original.raw, "\(original.name)")
      #expect(copy.inputs.map(\.name) == original.inputs.map(\.name), "\(original.name)")
      #expect(copy.inputs.map(\.kind) == original.inputs.map(\.kind), "\(original.name)")
      #expect(copy.outputs.map(\.name) == original.outputs.map(\.name), "\(original.name)")
      #expect(copy.hiddenInputs == original.hiddenInputs, "\(original.name)")
      #expect(copy.isV3Schema == original.isV3Schema, "\(original.name)")
    }
    // The body is object_info itself: the same classes, read as plain JSON.
    let reread = try Catalog(
      objectInfoBytes: Array(
        try FileIO.read(
          try Self.written(
            CatalogFile.encode(parsed))
        ).split(separator: UInt8(ascii: "\n"), maxSplits: 2)[2]))
    #expect(reread.names == parsed.names)
  }

  @Test(needsFixtures) func validationParsesOnlyTheClassesAPromptUses() throws {
    let catalog = try CatalogFixtures.full(.catalogFile)
    #expect(catalog.count == 496)
    #expect(catalog.parsedCount == 0)
    let prompt = try JSONValue.parse(
      #"""
      {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
       "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
       "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}},
       "4": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "y"}}}
      """#)
    let result = validate(prompt: prompt, catalog: catalog)
    #expect(result.accepted)
    #expect(catalog.parsedCount == 3)
    // Names, search and summaries come from the index: nothing more is parsed.
    #expect(catalog.search("upscale").count == (try CatalogFixtures.full(.parsed)).search("upscale").count)
    #expect(catalog.summary(of: "FluxProUltraImageNode")?.isAPINode == true)
    #expect(catalog.suggestions(for: "KSampel").first == "KSampler")
    #expect(catalog.parsedCount == 3)
  }

  @Test func aCutOrForeignFileIsRefusedWithWhatIsWrong() throws {
    let good = CatalogFile.encode(CatalogFixtures.small)
    #expect(
      throws: CatalogFile.OpenError.wrongLength(expected: bodyLength(good), actual: bodyLength(good) - 10)
    ) {
      try CatalogFile.open(try Self.written(Array(good.dropLast(10))))
    }
    #expect(throws: CatalogFile.OpenError.otherFormat(firstLine: #"{"EmptyImage": {}}"#)) {
      try CatalogFile.open(try Self.written(Array(#"{"EmptyImage": {}}"#.utf8)))
    }
    let lines = String(decoding: good, as: UTF8.self).split(separator: "\n", maxSplits: 2)
    let shifted =
      lines[0] + "\n"
      + String(lines[1]).replacingAll("\"classes\":[[", with: "\"classes\":[[\"X\",\"X\",\"\",0,3,4],[")
      + "\n" + lines[2]
    #expect(throws: CatalogFile.OpenError.self) {
      try CatalogFile.open(try Self.written(Array(shifted.utf8)))
    }
    #expect(throws: CatalogFile.OpenError.self) {
      try CatalogFile.open(try Self.written(Array("comfysh-catalog 1\n{\"classes\":[]}\n{}".utf8)))
    }
    let missing = "/tmp/comfysh-no-such-\(UInt64.random(in: 0...UInt64.max)).catalog"
    #expect(throws: CatalogFile.OpenError.self) { try CatalogFile.open(missing) }
  }

  @Test func aClassParsedThroughOneCopyIsParsedForAll() throws {
    let catalog = try CatalogFile.open(try Self.written(CatalogFile.encode(CatalogFixtures.small))).catalog()
    var copy = catalog
    copy.comfyUIVersion = "9.9"
    #expect(copy[className: "ImageInvert"]?.displayName == "Invert Image")
    #expect(catalog.parsedCount == 1)
    #expect(catalog[className: "NoSuchClass"] == nil)
    #expect(catalog.parsedCount == 1)
    #expect(catalog.classes.count == catalog.count)
    #expect(catalog.parsedCount == catalog.count)
  }

  private func bodyLength(_ file: [UInt8]) -> Int {
    let parts = file.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
    return parts[2].count
  }
}
