import ComfySim
import Foundation
import TestSupport
import Testing

@testable import Workflow

/// The catalog cache across processes: each run is a new comfysh with the same cache folder.
@Suite(.timeLimit(.minutes(5))) struct CatalogCacheTests {
  func catalogs(in folder: String) -> [String] {
    FileIO.names(in: folder + "/.cache/comfysh/catalogs").filter { $0.hasSuffix(".catalog") }.sorted()
  }

  @Test(needsFixtures) func aServersCatalogIsReadOnceAndThenOpenedFromTheCache() async throws {
    let recorded = try JSONValue.parse(bytes: TestSupport.Fixtures.read("object_info.json"))
    let simulator = try ComfySimulator(SimulatorConfiguration(catalogJSON: recorded))
    try await simulator.start()
    let builtin = try ComfySimulator(SimulatorConfiguration())
    try await builtin.start()
    defer {
      Task {
        await simulator.stop()
        await builtin.stop()
      }
    }
    let folder = Binary.temporaryFolder()
    func catalogLine(_ server: String, _ command: String = "catalog") async throws -> String {
      let result = try await Binary.run(["--no-init", "--server", server, "-c", command], in: folder)
      #expect(result.status == 0, "\(result.stderr)")
      return result.stdout
    }

    let first = try await catalogLine(simulator.baseURL)
    #expect(
      first.contains("496 node classes (100 paid API nodes) from server \(simulator.baseURL) ·"), "\(first)")
    #expect(catalogs(in: folder).count == 1)
    let second = try await catalogLine(simulator.baseURL)
    #expect(
      second.contains("496 node classes (100 paid API nodes) from server \(simulator.baseURL) (cached)"),
      "\(second)")
    // A run checks the workflow against the cached catalog, and what it finds is the server's verdict.
    try #"{"1": {"class_type": "KSampler", "inputs": {"seed": -1}}}"#.write(
      toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
    let run = try await Binary.run(
      ["--no-init", "--server", simulator.baseURL, "-c", "load bad.json; run"], in: folder)
    #expect(run.status != 0)
    #expect(
      (run.stdout + run.stderr).contains("not sent: the server would reject this workflow"),
      "\(run.stdout)\(run.stderr)")
    #expect(!(try await catalogLine(simulator.baseURL, "catalog --refresh")).contains("(cached)"))

    // Another catalog behind a simulator is another digest, so it is read, not taken from the cache.
    let other = try await catalogLine(builtin.baseURL)
    #expect(!other.contains("(cached)") && !other.contains("496 node classes"), "\(other)")
    #expect(catalogs(in: folder).count == 2)
    #expect((try await catalogLine(builtin.baseURL)).contains("(cached)"))
  }

  @Test func aCatalogFileIsReadAgainWhenItChangesOrItsCacheIsDamaged() async throws {
    let folder = Binary.temporaryFolder()
    func write(classes: [String]) throws {
      let entries = classes.map {
        #""\#($0)": {"input": {"required": {"image": ["IMAGE"]}}, "output": ["IMAGE"], "output_name": ["IMAGE"], "display_name": "\#($0)", "category": "image"}"#
      }
      try ("{" + entries.joined(separator: ",") + "}").write(
        toFile: folder + "/object_info.json", atomically: true, encoding: .utf8)
    }
    func count() async throws -> String {
      let result = try await Binary.run(
        ["--no-init", "--catalog", "object_info.json", "-c", "catalog"], in: folder)
      #expect(result.status == 0, "\(result.stderr)")
      return result.stdout
    }
    try write(classes: ["A", "B"])
    #expect(try await count().contains("2 node classes"))
    let cached = catalogs(in: folder)
    #expect(cached.count == 1 && cached[0].hasPrefix("file-"))
    #expect(try await count().contains("2 node classes"))
    try write(classes: ["A", "B", "Third"])
    #expect(try await count().contains("3 node classes"))
    // A cut cache file is noticed and made again.
    let cachePath = folder + "/.cache/comfysh/catalogs/" + cached[0]
    let whole = try Data(contentsOf: URL(fileURLWithPath: cachePath))
    try whole.prefix(whole.count - 5).write(to: URL(fileURLWithPath: cachePath))
    #expect(try await count().contains("3 node classes"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: cachePath)).count == whole.count)
  }
}
