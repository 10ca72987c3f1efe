import Media
import TestSupport
import Testing
import Workflow

@testable import ComfySim

/// A recorded prompt replayed: the POST's answer and what the client's socket received.
struct Replay {
  var answer: HTTPResult
  var frames: [ReceivedFrame]
  var promptID: String { answer.json?["prompt_id"]?.stringValue ?? "" }
}

extension SimHarness {
  /// Opens the recording's socket (its client id, the hello if it sent one), waits for the
  /// greeting, POSTs the recorded body and collects frames to the end of the prompt.
  func replay(
    _ postFile: String, hello: Bool = false, edit: (inout JSONObject) -> Void = { _ in }
  ) async throws
    -> Replay
  {
    var body = try #require(try Fixtures.requestBody(postFile).objectValue)
    edit(&body)
    let socket = try await socket(clientID: body["client_id"]?.stringValue ?? "replay-observer", hello: hello)
    var frames = await socket.collect(timeout: .seconds(5)) {
      $0.kind == (hello ? "feature_flags" : "status")
    }
    let answer = try await post("/prompt", json: .object(body))
    frames += await socket.collectPrompt()
    await socket.close()
    return Replay(answer: answer, frames: frames)
  }
}

@Suite("Execution conformance with the recordings", needsFixtures)
struct ExecutionConformanceTests {
  @Test(
    "basic run: message order, outputs, history; the identical re-run is served from the cache", .simulator)
  func basicRunAndCachedRerun() async throws {
    let sim = try SimHarness.require()
    let first = try await sim.replay("exec/basic-run1.post_prompt.json")
    #expect(first.answer.status == 200)
    #expect(first.answer.json?["number"] == 0)
    #expect(kinds(first.frames) == (try Fixtures.messageKinds("exec/basic-run1.ws.jsonl")))
    let recordedExecuted = try Fixtures.messages("exec/basic-run1.ws.jsonl").first {
      $0["type"] == "executed"
    }
    let executed = first.frames.first { $0.kind == "executed" }
    #expect(executed?.data?["output"] == recordedExecuted?["data"]?["output"])

    let recordedHistory = try #require(
      onlyValue(try Fixtures.json("exec/basic-run1.history.json")["response"]?["body"]))
    let history = try #require(onlyValue(try await sim.get("/history/\(first.promptID)").json))
    #expect(shapeDifferences(recordedHistory, history) == [])
    for index in [0, 2, 3, 4] {
      #expect(history["prompt"]?[index] == recordedHistory["prompt"]?[index], "prompt[\(index)]")
    }
    #expect(history["outputs"] == recordedHistory["outputs"])
    #expect(history["meta"] == recordedHistory["meta"])
    #expect(history["status"]?["status_str"] == "success" && history["status"]?["completed"] == true)

    let second = try await sim.replay("exec/basic-run2-cached.post_prompt.json")
    #expect(kinds(second.frames) == (try Fixtures.messageKinds("exec/basic-run2-cached.ws.jsonl")))
    let cached = second.frames.first { $0.kind == "execution_cached" }
    #expect(cached?.data?["nodes"] == ["1", "2", "3"])
    #expect(
      second.frames.first { $0.kind == "executed" }?.data?["output"] == recordedExecuted?["data"]?["output"])
    let finished = second.frames.first { $0.kind == "progress_state" }?.data?["nodes"]?["3"]
    #expect(finished?["value"] == 1 && finished?["state"] == "finished")
    let rerun = try #require(onlyValue(try await sim.get("/history/\(second.promptID)").json))
    #expect(rerun["outputs"] == recordedHistory["outputs"])
    #expect(rerun["prompt"]?[0] == 1)
  }

  @Test("the saved PNG carries the prompt and workflow text chunks as json.dumps writes them", .simulator)
  func pngMetadata() async throws {
    let sim = try SimHarness.require()
    _ = try await sim.replay("exec/basic-run1.post_prompt.json")
    let view = try await sim.get("/view?filename=comfysh_basic_00001_.png&subfolder=&type=output")
    let recorded = try Fixtures.json("exec/basic-view.json")["response"]?["headers"]
    #expect(view.status == 200)
    for header in ["Content-Type", "Content-Disposition", "Accept-Ranges"] {
      #expect(view.header(header) == recorded?[header]?.stringValue, "\(header)")
    }
    #expect(view.header("ETag") != nil && view.header("Last-Modified")?.hasSuffix(" GMT") == true)
    let chunks = try PNGChunks.read(view.body)
    let expected = try Fixtures.json("exec/basic-output.png-text-chunks.json")
    #expect(chunks.map(\.type) == expected["chunk_order"]?.arrayValue?.compactMap { $0["type"]?.stringValue })
    let text = Dictionary(
      PNGChunks.textEntries(chunks).map { ($0.key, $0.text) }, uniquingKeysWith: { a, _ in a })
    #expect(text["prompt"] == expected["tEXt_raw"]?["prompt"]?.stringValue)
    #expect(text["workflow"] == expected["tEXt_raw"]?["workflow"]?.stringValue)
    #expect(ImageFiles.decodePNG(view.body)?.width == 64)
  }

  @Test("PreviewImage writes ComfyUI_temp_xxxxx_00001_.png to temp, served with type=temp", .simulator)
  func preview() async throws {
    let sim = try SimHarness.require()
    let run = try await sim.replay("exec/preview.post_prompt.json")
    #expect(kinds(run.frames) == (try Fixtures.messageKinds("exec/preview.ws.jsonl")))
    let image = try #require(run.frames.first { $0.kind == "executed" }?.data?["output"]?["images"]?[0])
    let name = try #require(image["filename"]?.stringValue)
    #expect(name.hasPrefix("ComfyUI_temp_") && name.hasSuffix("_00001_.png") && name.count == 29)
    #expect(image["type"] == "temp" && image["subfolder"] == "")
    let view = try await sim.get("/view?filename=\(name)&subfolder=&type=temp")
    #expect(view.status == 200 && view.header("Content-Type") == "image/png")
    #expect(try await sim.get("/view?filename=\(name)").status == 404)  // type defaults to output
  }

  @Test(
    "feature_flags hello, client-chosen prompt_id, upscale progress, a text frame, a subfolder prefix",
    .simulator)
  func progressWithFeatureFlags() async throws {
    let sim = try SimHarness.require()
    let run = try await sim.replay("exec/progress-with-feature-flags.post_prompt.json", hello: true)
    #expect(kinds(run.frames) == (try Fixtures.messageKinds("exec/progress-with-feature-flags.ws.jsonl")))
    #expect(run.promptID == "0c0ffee0-0000-4000-8000-00000000a11a")
    let flags = run.frames.first { $0.kind == "feature_flags" }?.data
    #expect(
      flags == ["supports_preview_metadata": true, "max_upload_size": .number(JSONNumber(104_857_600))])
    let progress = run.frames.filter { $0.kind == "progress" }.map { [$0.data?["value"], $0.data?["max"]] }
    #expect(progress == [[1, 3], [2, 3], [3, 3]])
    let text = try #require(run.frames.first { $0.kind == "binary:3" }?.bytes)
    #expect(Array(text[4..<8]) == [0, 0, 0, 1] && text[8] == UInt8(ascii: "5"))
    #expect(String(decoding: text[9...], as: UTF8.self) == "width: 128, height: 128\n batch size: 3")
    let saved = run.frames.last { $0.kind == "executed" }?.data?["output"]?["images"]?[0]
    #expect(saved == ["filename": "progress_00001_.png", "subfolder": "comfysh", "type": "output"])
    #expect(try await sim.get("/view?filename=progress_00001_.png&subfolder=comfysh").status == 200)
    let history = try #require(onlyValue(try await sim.get("/history/\(run.promptID)").json))
    let recorded = try #require(
      onlyValue(try Fixtures.json("exec/progress-with-feature-flags.history.json")["response"]?["body"]))
    #expect(shapeDifferences(recorded, history) == [])
    // ComfyUI lists meta in Python set order; compare regardless of member order.
    #expect(history["meta"]?.numericallyEqual(to: recorded["meta"] ?? .null) == true)
  }

  @Test(
    "SaveImageWebsocket without the hello: type-1 PNG frames after each progress", .timeLimit(.minutes(1)),
    .simulator)
  func binaryFramesLegacy() async throws {
    let sim = try SimHarness.require()
    let run = try await sim.replay("exec/ws-binary-legacy.post_prompt.json")
    #expect(kinds(run.frames) == (try Fixtures.messageKinds("exec/ws-binary-legacy.ws.jsonl")))
    let frames = run.frames.compactMap { $0.kind == "binary:1" ? $0.bytes : nil }
    #expect(frames.count == 3)
    for frame in frames {
      #expect(Array(frame[0..<8]) == [0, 0, 0, 1, 0, 0, 0, 2])
      #expect(PNGChunks.isPNG(Array(frame[8...])))
    }
    #expect(ImageFiles.decodePNG(Array(frames[0][8...]))?.width == 8)
    let history = try #require(onlyValue(try await sim.get("/history/\(run.promptID)").json))
    #expect(history["outputs"] == [:] && history["meta"] == [:])
  }

  @Test(
    "SaveImageWebsocket after a hello with supports_preview_metadata: type-4 frames before progress",
    .simulator)
  func binaryFramesWithMetadata() async throws {
    let sim = try SimHarness.require()
    let run = try await sim.replay("exec/ws-binary-with-metadata.post_prompt.json", hello: true)
    #expect(kinds(run.frames) == (try Fixtures.messageKinds("exec/ws-binary-with-metadata.ws.jsonl")))
    let recorded = try Fixtures.lines("exec/ws-binary-with-metadata.ws.jsonl").first { $0["event_type"] == 4 }
    let frame = try #require(run.frames.first { $0.kind == "binary:4" }?.bytes)
    let length = Int(frame[4]) << 24 | Int(frame[5]) << 16 | Int(frame[6]) << 8 | Int(frame[7])
    let metadata = try JSONValue.parse(bytes: Array(frame[8..<(8 + length)]))
    let expected = try #require(recorded?["decoded"]?["metadata"])
    #expect(metadata.objectValue?.keys.elements == expected.objectValue?.keys.elements)
    #expect(metadata["node_id"] == "2" && metadata["prompt_id"]?.stringValue == run.promptID)
    #expect(metadata["image_type"] == "image/png")
    #expect(String(decoding: frame[8..<20], as: UTF8.self) == "{\"node_id\": ")
    #expect(PNGChunks.isPNG(Array(frame[(8 + length)...])))
  }

  @Test(
    "without client_id: no lifecycle messages, progress and progress_state broadcast to everyone", .simulator)
  func noClientID() async throws {
    let sim = try SimHarness.require()
    // The recording had UpscaleModelLoader cached from earlier prompts; run one first.
    _ = try await sim.replay("exec/progress-with-feature-flags.post_prompt.json")
    let observer = try await sim.socket(clientID: "comfysh-observer-b340d0f6")
    var frames = await observer.collect(timeout: .seconds(5)) { $0.kind == "status" }
    let body = try Fixtures.requestBody("exec/no-client-id.post_prompt.json")
    let answer = try await sim.post("/prompt", json: body)
    let id = try #require(answer.json?["prompt_id"]?.stringValue)
    frames += await observer.collect {
      $0.kind == "status" && $0.data?["status"]?["exec_info"]?["queue_remaining"] == 0
    }
    frames += await observer.drain(for: .milliseconds(300))
    await observer.close()
    #expect(kinds(frames) == (try Fixtures.messageKinds("exec/no-client-id.observer-ws.jsonl")))
    let history = try #require(onlyValue(try await sim.get("/history/\(id)").json))
    let recorded = try #require(
      onlyValue(try Fixtures.json("exec/no-client-id.history.json")["response"]?["body"]))
    #expect(shapeDifferences(recorded, history) == [])
    #expect(history["prompt"]?[3] == [:])
    #expect(history["status"]?["messages"]?[1]?[1]?["nodes"] == ["2"])
  }

  @Test(
    "execution errors: SaveImage outside output, then a v3 COMBO value that fails at run time", .simulator)
  func runtimeErrors() async throws {
    let sim = try SimHarness.require()
    let outside = try await sim.replay("exec/runtime-error-saveimage-outside-output.post_prompt.json")
    #expect(outside.answer.status == 200)
    #expect(
      kinds(outside.frames)
        == (try Fixtures.messageKinds("exec/runtime-error-saveimage-outside-output.ws.jsonl")))
    let recordedError = try #require(
      try Fixtures.messages("exec/runtime-error-saveimage-outside-output.ws.jsonl").first {
        $0["type"] == "execution_error"
      }?["data"])
    let error = try #require(outside.frames.first { $0.kind == "execution_error" }?.data)
    #expect(shapeDifferences(recordedError, error) == [])
    let message = error["exception_message"]?.stringValue ?? ""
    #expect(
      message.hasPrefix(
        "**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: "))
    #expect(message.hasSuffix("\n"))
    #expect(error["exception_type"] == "Exception" && error["executed"] == ["1"] && error["node_id"] == "2")
    #expect(error["current_inputs"]?["filename_prefix"] == ["../../outside/comfysh"])
    #expect(error["current_inputs"]?["extra_pnginfo"] == [nil])
    let history = try #require(onlyValue(try await sim.get("/history/\(outside.promptID)").json))
    #expect(history["status"]?["status_str"] == "error" && history["status"]?["completed"] == false)

    let combo = try await sim.replay("exec/runtime-error-v3-combo-value-not-validated.post_prompt.json")
    #expect(
      kinds(combo.frames)
        == (try Fixtures.messageKinds("exec/runtime-error-v3-combo-value-not-validated.ws.jsonl")))
    let recordedCombo = try #require(
      try Fixtures.messages("exec/runtime-error-v3-combo-value-not-validated.ws.jsonl").first {
        $0["type"] == "execution_error"
      }?["data"])
    let comboError = try #require(combo.frames.first { $0.kind == "execution_error" }?.data)
    #expect(shapeDifferences(recordedCombo, comboError) == [])
    for key in ["exception_message", "exception_type", "node_id", "node_type", "executed", "current_inputs"] {
      #expect(comboError[key] == recordedCombo[key], "\(key)")
    }
    #expect(combo.frames.first { $0.kind == "execution_cached" }?.data?["nodes"] == ["2"])
  }
}
