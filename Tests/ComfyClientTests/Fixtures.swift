import ComfyClient
import TestSupport
import Workflow

/// One line of a recorded `.ws.jsonl` log.
struct RecordedFrame {
  let index: Int
  let socket: Int?
  let direction: String
  let kind: String?
  let message: JSONValue?
  let binaryEventType: Int?

  /// The frame as this client decodes it: text frames from the log; binary frames from the `.bin` file
  /// beside the log when there is one.
  func event(log: String) -> ServerEvent? {
    if kind == "text", let message {
      return ServerEvent.decode(text: message.serialized())
    }
    if kind == "binary" {
      let stem = log.replacingSuffix(".ws.jsonl", with: "")
      let path = "\(stem).frame\(index).type\(binaryEventType ?? 0).bin"
      guard let bytes = try? Fixtures.read(path) else { return nil }
      return ServerEvent.decode(binary: bytes)
    }
    return nil
  }
}

extension Fixtures {
  /// The frames of a `.ws.jsonl` log, server to client only, in order.
  static func frames(_ log: String) throws -> [RecordedFrame] {
    let text = try FileIO.readText(path(log))
    return try text.split(separator: "\n").compactMap { line in
      let json = try JSONValue.parse(String(line))
      guard json["dir"]?.stringValue == "server->client" else { return nil }
      return RecordedFrame(
        index: json["i"]?.numberValue?.int64Value.map(Int.init) ?? -1,
        socket: json["socket"]?.numberValue?.int64Value.map(Int.init),
        direction: "server->client", kind: json["kind"]?.stringValue, message: json["msg"],
        binaryEventType: json["event_type"]?.numberValue?.int64Value.map(Int.init))
    }
  }

  /// Decoded events of a log (binary frames without a `.bin` file are skipped).
  static func events(_ log: String, socket: Int? = nil) throws -> [ServerEvent] {
    try frames(log).filter { socket == nil || $0.socket == socket }.compactMap { $0.event(log: log) }
  }
}

extension String {
  func replacingSuffix(_ suffix: String, with replacement: String) -> String {
    hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
  }
}
