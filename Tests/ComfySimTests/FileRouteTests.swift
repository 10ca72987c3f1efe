import ComfySim
import TestSupport
import Testing
import Workflow

@Suite("Upload and view")
struct FileRouteTests {
  @Test(
    "the recorded uploads: same bytes keep the name, other bytes get (1), overwrite replaces", needsFixtures,
    .simulator)
  func recordedUploadNaming() async throws {
    let sim = try SimHarness.require()
    let exchanges = try #require(try Fixtures.json("api-nodes/upload-image.json").arrayValue)
    let example = try Fixtures.read("api-nodes/example.png")
    let other = SmallPrompts.pngBytes(seed: 9)
    for exchange in exchanges {
      let fields = (exchange["request"]?["form_fields"]?.arrayValue ?? []).compactMap {
        field -> (String, String)? in
        guard let name = field["name"]?.stringValue, let value = field["value"]?.stringValue else {
          return nil
        }
        return (name, value)
      }
      let size = exchange["request"]?["form_fields"]?[0]?["bytes"]?.numberValue?.int64Value
      let answer = try await sim.upload(
        size == Int64(example.count) ? example : other, filename: "example.png", fields: fields)
      #expect(answer.status == 200)
      #expect(answer.json == exchange["response"]?["body"], "\(exchange["note"]?.stringValue ?? "")")
    }
    let replaced = try await sim.upload(other, filename: "example.png", fields: [("overwrite", "1")])
    #expect(replaced.json?["name"] == "example.png")
    #expect(try await sim.get("/view?filename=example.png&type=input").body == other)
  }

  @Test("uploads: numbering continues, subfolders, temp and output types, escapes refused", .simulator)
  func uploadRules() async throws {
    let sim = try SimHarness.require()
    for seed in 1...3 {
      _ = try await sim.upload(SmallPrompts.pngBytes(seed: UInt64(seed)), filename: "pic.png")
    }
    #expect(try await sim.get("/view?filename=pic (2).png&type=input").status == 200)
    let nested = try await sim.upload(
      SmallPrompts.pngBytes(), filename: "n.png", fields: [("type", "temp"), ("subfolder", "a/b")])
    #expect(nested.json == ["name": "n.png", "subfolder": "a/b", "type": "temp"])
    #expect(try await sim.get("/view?filename=n.png&subfolder=a/b&type=temp").status == 200)
    #expect(try await sim.get("/view?filename=n.png%20%5Btemp%5D&subfolder=a/b").status == 200)
    let escape = try await sim.upload(
      SmallPrompts.pngBytes(), filename: "x.png", fields: [("subfolder", "../..")])
    #expect(escape.status == 400)
    let noName = try await sim.upload(SmallPrompts.pngBytes(), filename: "")
    #expect(noName.status == 400)
    let noParts = try await sim.request(
      .POST, "/upload/image", body: Array("--b--\r\n".utf8),
      headers: [("Content-Type", "multipart/form-data; boundary=b")])
    #expect(noParts.status == 400)
  }

  @Test(
    "view: 404 missing, 400 for .. and absolute names and unknown types, 403 for subfolder escapes",
    .simulator, needsFixtures)
  func viewErrors() async throws {
    let sim = try SimHarness.require()
    _ = try await sim.upload(SmallPrompts.pngBytes(), filename: "here.png", fields: [("type", "output")])
    let cases: [(String, Int)] = [
      ("/view?filename=does-not-exist.png&type=output", 404),
      ("/view?filename=../secret.png&type=output", 400),
      ("/view?filename=%2Fetc%2Fpasswd", 400),
      ("/view?filename=here.png&type=nope", 400),
      ("/view?filename=here.png&subfolder=../../", 403),
      ("/view?type=output", 404),
      ("/view?filename=here.png", 200),
      ("/api/view?filename=here.png&type=output&subfolder=", 200),
      ("/view?filename=here.png [output]&type=input", 200),
    ]
    for (path, status) in cases {
      let answer = try await sim.get(
        path.replacingAll(" ", with: "%20").replacingAll("[", with: "%5B")
          .replacingAll("]", with: "%5D"))
      #expect(answer.status == status, "\(path)")
      if status != 200 { #expect(answer.body.isEmpty, "\(path)") }
    }
    for file in ["exec/view-missing-404.json", "exec/view-dotdot-400.json"] {
      let recorded = try Fixtures.json(file)
      let query = (recorded["request"]?["query"]?.objectValue ?? [:]).map {
        "\($0.key)=\($0.value.stringValue ?? "")"
      }
      let answer = try await sim.get("/view?" + query.joined(separator: "&"))
      #expect(
        answer.status == Int(recorded["response"]?["status"]?.numberValue?.int64Value ?? 0), "\(file)")
    }
  }
}
