import ComfyClient
import Media
import Workflow

/// The lines `trace` prints for the traffic: method, route, status, time and size, and the bodies
/// cut down to what teaches (a prompt by node, a catalog by its count, a binary frame by its type).
/// Keys are masked by the session (`Secrets.masked`) and again by the console.
struct TraceWords {
  var full: Bool
  var json: Bool
  /// Monotonic seconds when tracing began.
  var start: Double

  func lines(_ event: TrafficEvent, at time: Double, mask: (JSONValue) -> JSONValue) -> [String] {
    let clock = "[" + format3(time - start).leftPadded(to: 7) + "]"
    switch event {
    case .request(let id, let method, let route, let body):
      let size = body.map { " " + Self.size($0.count) } ?? ""
      if json {
        return [
          object([
            "type": "trace", "event": "request", "id": .int(id), "method": .string(method),
            "route": .string(route),
            "bytes": .int(body?.count ?? 0),
            "body": body.map { bodyJSON($0, route: route, mask: mask) } ?? .null,
          ])
        ]
      }
      var lines = ["\(clock) → #\(id) \(method) \(route)\(size)"]
      if let body, !body.isEmpty { lines += bodyLines(body, method: method, route: route, mask: mask) }
      return lines
    case .response(let id, let method, let route, let status, let reason, let seconds, let body):
      if json {
        return [
          object([
            "type": "trace", "event": "response", "id": .int(id), "method": .string(method),
            "route": .string(route), "status": .int(status), "ms": .double(rounded(seconds * 1000)),
            "bytes": .int(body.count), "body": bodyJSON(body, route: route, mask: mask),
          ])
        ]
      }
      var lines = [
        "\(clock) ← #\(id) \(status) \(reason)  \(method) \(route.prefix { $0 != "?" })  \(milliseconds(seconds))  \(Self.size(body.count))"
      ]
      if !body.isEmpty { lines += bodyLines(body, method: method, route: route, mask: mask, answer: true) }
      return lines
    case .failed(let id, let method, let route, let seconds, let error):
      if json {
        return [
          object([
            "type": "trace", "event": "failed", "id": .int(id), "method": .string(method),
            "route": .string(route),
            "ms": .double(rounded(seconds * 1000)), "error": .string(error),
          ])
        ]
      }
      return ["\(clock) ← #\(id) \(method) \(route) failed after \(milliseconds(seconds)): \(error)"]
    case .socketOpened(let url):
      return json
        ? [object(["type": "trace", "event": "ws_open", "url": .string(url)])]
        : ["\(clock) ⇄ ws open \(url)"]
    case .socketClosed(let reason):
      return json
        ? [object(["type": "trace", "event": "ws_closed", "reason": .string(reason)])]
        : ["\(clock) ⇄ ws closed: \(reason)"]
    case .socketSent(let text):
      return socketText(text, arrow: "⇠ ws sent", event: "ws_sent", clock: clock, mask: mask)
    case .socketText(let text):
      return socketText(text, arrow: "⇢ ws", event: "ws_message", clock: clock, mask: mask)
    case .socketBinary(let bytes):
      let type =
        bytes.count >= 4 ? Int(BigEndian.readUInt32(bytes, 0)) : -1
      let name = Self.binaryNames[type] ?? "unknown"
      if json {
        return [
          object([
            "type": "trace", "event": "ws_binary", "event_type": .int(type), "name": .string(name),
            "bytes": .int(bytes.count),
          ])
        ]
      }
      var line = "\(clock) ⇢ ws binary \(type) \(name)  \(Self.size(bytes.count))"
      if type == 3, bytes.count >= 8 {
        // TEXT: a node id (length-prefixed) and the text.
        let length = Int(BigEndian.readUInt32(bytes, 4))
        if bytes.count >= 8 + length {
          let node = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
          let text = String(decoding: bytes[(8 + length)...], as: UTF8.self)
          line += "  node \(node): " + Render.short(.string(text), limit: full ? Int.max : 100)
        }
      }
      return [line]
    }
  }

  /// ComfyUI's `BinaryEventTypes` (server.py).
  static let binaryNames: [Int: String] = [
    1: "PREVIEW_IMAGE", 2: "UNENCODED_PREVIEW_IMAGE", 3: "TEXT", 4: "PREVIEW_IMAGE_WITH_METADATA",
  ]

  private func socketText(
    _ text: String, arrow: String, event: String, clock: String, mask: (JSONValue) -> JSONValue
  ) -> [String] {
    let parsed = try? JSONValue.parse(text)
    if json {
      return [
        object([
          "type": "trace", "event": .string(event), "bytes": .int(text.utf8.count),
          "message": parsed.map(mask) ?? .string(text),
        ])
      ]
    }
    guard let parsed, let type = parsed["type"]?.stringValue else {
      return ["\(clock) \(arrow) \(Render.short(.string(text), limit: full ? Int.max : 120))"]
    }
    let data = parsed["data"].map(mask) ?? .null
    return [
      "\(clock) \(arrow) \(type)  " + (full ? data.serialized() : Self.summary(ofMessage: type, data: data))
    ]
  }

  /// A message's data in a few words: the fields that change, not the ones that repeat.
  static func summary(ofMessage type: String, data: JSONValue) -> String {
    let prompt = data["prompt_id"]?.stringValue.map { " (prompt \($0.prefix(8)))" } ?? ""
    switch type {
    case "status":
      let remaining = data["status"]?["exec_info"]?["queue_remaining"]?.serialized() ?? "?"
      return "queue_remaining \(remaining)" + (data["sid"]?.stringValue.map { ", sid \($0)" } ?? "")
    case "executing":
      let node = data["node"].flatMap { $0.isNull ? nil : $0.stringValue }
      return (node.map { "node \($0)" } ?? "node null: the prompt is done") + prompt
    case "progress":
      return
        "node \(data["node"]?.stringValue ?? "?") \(data["value"]?.serialized() ?? "?")/\(data["max"]?.serialized() ?? "?")"
        + prompt
    case "progress_state":
      let nodes = data["nodes"]?.objectValue ?? [:]
      let states = nodes.map { id, state in
        "\(id) \(state["state"]?.stringValue ?? "?")"
          + (state["state"]?.stringValue == "running"
            ? " \(state["value"]?.serialized() ?? "?")/\(state["max"]?.serialized() ?? "?")" : "")
      }
      return "nodes: " + states.joined(separator: ", ") + prompt
    case "execution_cached":
      let nodes = data["nodes"]?.arrayValue?.compactMap(\.stringValue) ?? []
      return (nodes.isEmpty ? "none cached" : "cached: " + nodes.joined(separator: ", ")) + prompt
    case "executed":
      let output = data["output"].map { Render.short($0, limit: 100) } ?? ""
      return "node \(data["node"]?.stringValue ?? "?") output \(output)" + prompt
    case "execution_error":
      return "node \(data["node_id"]?.stringValue ?? "?") (\(data["node_type"]?.stringValue ?? "?")) "
        + "\(data["exception_type"]?.stringValue ?? "?"): "
        + Render.short(.string(data["exception_message"]?.stringValue ?? ""), limit: 100) + prompt
    default:
      return Render.short(data, limit: 120)
    }
  }

  private func bodyLines(
    _ body: [UInt8], method: String, route: String, mask: (JSONValue) -> JSONValue, answer: Bool = false
  ) -> [String] {
    let path = route.prefix { $0 != "?" }
    guard let value = try? JSONValue.parse(bytes: body) else {
      if PNGChunks.isPNG(body) { return ["    a PNG image"] }
      if path.hasPrefix("/upload") { return ["    a multipart form (the file and its fields)"] }
      let text = String(decoding: body.prefix(200), as: UTF8.self)
      return ["    " + Render.short(.string(text), limit: full ? Int.max : 120)]
    }
    let masked = mask(value)
    if full { return masked.serialized(.indented(2)).split(separator: "\n").map { "    " + $0 } }
    if answer, path.hasPrefix("/object_info"), let classes = masked.objectValue {
      return ["    \(classes.count) node classes (`trace --full` shows them all)"]
    }
    if !answer, path == "/prompt", let prompt = masked["prompt"]?.objectValue {
      var lines = [
        "    prompt: \(Render.plural(prompt.count, "node")): "
          + prompt.prefix(6).map { "\($0.key) \($0.value["class_type"]?.stringValue ?? "?")" }.joined(
            separator: ", ")
          + (prompt.count > 6 ? ", …" : "")
      ]
      if let client = masked["client_id"]?.stringValue { lines.append("    client_id: \(client)") }
      if let extra = masked["extra_data"]?.objectValue, !extra.isEmpty {
        lines.append(
          "    extra_data: "
            + extra.map { key, value in
              key == "extra_pnginfo" ? key : "\(key) \(Render.short(value, limit: 40))"
            }
            .joined(separator: ", "))
      }
      return lines
    }
    return ["    " + Render.short(masked, limit: 160)]
  }

  private func bodyJSON(_ body: [UInt8], route: String, mask: (JSONValue) -> JSONValue) -> JSONValue {
    guard let value = try? JSONValue.parse(bytes: body) else {
      return .string("(\(body.count) bytes, not JSON)")
    }
    if !full, route.hasPrefix("/object_info"), let classes = value.objectValue {
      return .string("(\(classes.count) node classes)")
    }
    return mask(value)
  }

  private func object(_ members: JSONObject) -> String { JSONValue.object(members).serialized() }

  private func milliseconds(_ seconds: Double) -> String {
    seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : ServerFormat.seconds(seconds)
  }

  private func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }

  private func format3(_ seconds: Double) -> String {
    let millis = Int((seconds * 1000).rounded())
    let fraction = String(millis % 1000)
    return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
  }

  static func size(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1 << 20 { return "\((Double(bytes) / 1024 * 10).rounded() / 10) KB" }
    return "\((Double(bytes) / Double(1 << 20) * 10).rounded() / 10) MB"
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
