import ComfyClient
import Workflow

/// `comfysh-bench ws-decode [ROUNDS]`: how many WebSocket messages per second ComfyClient decodes,
/// and how many it decodes and applies to a prompt tracker (what `watch` does per message).
/// The stream is a typical run of a 7-node text-to-image prompt with a 30-step sampler, in
/// ComfyUI 0.3.64's message order and shapes (see fixtures/comfyui/exec/*.ws.jsonl).
/// `ws-decode --dump` prints the frames, one per line, so another client can decode the same stream.
func wsDecodeBenchmark(_ arguments: [String]) throws {
  let frames = typicalRun(promptID: "0c0ffee0-0000-4000-8000-00000000a11a", steps: 30)
  if arguments.first == "--dump" {
    for frame in frames { print(frame) }
    return
  }
  let rounds = arguments.first.flatMap(Int.init) ?? 2000
  let bytes = frames.reduce(0) { $0 + $1.utf8.count }
  var decoded = 0

  let decodeMS = medianMilliseconds(runs: 11, warmup: 2) {
    for _ in 0..<rounds {
      for frame in frames where ServerEvent.decode(text: frame) != nil { decoded += 1 }
    }
  }
  let trackMS = medianMilliseconds(runs: 11, warmup: 2) {
    for _ in 0..<rounds {
      var tracker = PromptTracker(promptID: "0c0ffee0-0000-4000-8000-00000000a11a", at: 0)
      for (i, frame) in frames.enumerated() {
        if let event = ServerEvent.decode(text: frame) { tracker.apply(event, at: Double(i)) }
      }
      if tracker.outcome != .success { decoded = -1 }
    }
  }
  let messages = Double(frames.count * rounds)
  print("messages per run\t\(frames.count) (\(bytes) bytes)")
  print(
    "decode\t\(Int(messages / (decodeMS / 1000))) messages/s\t\(format3(Double(bytes * rounds) / (decodeMS / 1000) / 1e6)) MB/s"
  )
  print("decode + track\t\(Int(messages / (trackMS / 1000))) messages/s")
  let preview = [0, 0, 0, 1, 0, 0, 0, 2] + [UInt8](repeating: 0x42, count: 64 * 1024)
  let binaryMS = medianMilliseconds(runs: 11, warmup: 2) {
    for _ in 0..<rounds where ServerEvent.decode(binary: preview) != nil { decoded += 1 }
  }
  print("binary preview (64 KiB)\t\(Int(Double(rounds) / (binaryMS / 1000))) frames/s")
  if decoded < 0 { print("error: the tracker did not reach success") }
}

/// The text frames of one run, as ComfyUI sends them to the client that queued it.
func typicalRun(promptID: String, steps: Int) -> [String] {
  let p = "\"prompt_id\": \"\(promptID)\""
  let nodes = ["4", "5", "6", "7", "3", "8", "9"]
  var frames = [
    #"{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 1}}}}"#,
    #"{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 1}}}}"#,
    "{\"type\": \"execution_start\", \"data\": {\(p), \"timestamp\": 1795670262916}}",
    "{\"type\": \"execution_cached\", \"data\": {\"nodes\": [], \(p), \"timestamp\": 1795670262918}}",
  ]
  var states: [String] = []
  func state(_ id: String, value: Double, max: Double, _ word: String) -> String {
    "\"\(id)\": {\"value\": \(value), \"max\": \(max), \"state\": \"\(word)\", \"node_id\": \"\(id)\", \(p), \"display_node_id\": \"\(id)\", \"parent_node_id\": null, \"real_node_id\": \"\(id)\"}"
  }
  func progressState(_ current: String) -> String {
    "{\"type\": \"progress_state\", \"data\": {\(p), \"nodes\": {\((states + [current]).joined(separator: ", "))}}}"
  }
  for id in nodes {
    frames.append(progressState(state(id, value: 0, max: 1, "running")))
    frames.append(
      "{\"type\": \"executing\", \"data\": {\"node\": \"\(id)\", \"display_node\": \"\(id)\", \(p)}}")
    if id == "3" {
      for step in 1...steps {
        frames.append(
          "{\"type\": \"progress\", \"data\": {\"value\": \(step), \"max\": \(steps), \(p), \"node\": \"3\"}}"
        )
        frames.append(progressState(state(id, value: Double(step), max: Double(steps), "running")))
      }
    }
    if id == "9" {
      frames.append(
        "{\"type\": \"executed\", \"data\": {\"node\": \"9\", \"display_node\": \"9\", \"output\": {\"images\": [{\"filename\": \"ComfyUI_00001_.png\", \"subfolder\": \"\", \"type\": \"output\"}]}, \(p)}}"
      )
    }
    states.append(state(id, value: 1, max: 1, "finished"))
    frames.append(
      "{\"type\": \"progress_state\", \"data\": {\(p), \"nodes\": {\(states.joined(separator: ", "))}}}")
  }
  frames.append("{\"type\": \"execution_success\", \"data\": {\(p), \"timestamp\": 1795670262945}}")
  frames.append(#"{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}}"#)
  frames.append("{\"type\": \"executing\", \"data\": {\"node\": null, \(p)}}")
  return frames
}
