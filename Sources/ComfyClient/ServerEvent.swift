import Workflow

/// One message from ComfyUI's `/ws` socket, decoded. Unknown types are kept as `.unknown` and ignored.
public enum ServerEvent: Sendable, Equatable {
  /// Queue size; `sid` only in the first message after connecting (the client id the server uses).
  case status(queueRemaining: Int?, sid: String?)
  /// The server's answer to the client's feature_flags hello.
  case featureFlags(JSONObject)
  case executionStart(promptID: String, timestamp: Int64?)
  /// Nodes whose outputs come from the cache; they do not run.
  case executionCached(promptID: String, nodes: [String], timestamp: Int64?)
  /// A node starts (`node` nil: the prompt ended). After a reconnect the server sends it with no prompt id.
  case executing(promptID: String?, node: String?, displayNode: String?)
  case progress(promptID: String?, node: String?, value: Double, max: Double)
  /// Cumulative per-node state, re-sent on every change.
  case progressState(promptID: String, nodes: [NodeProgress])
  /// A node finished with UI output (images and other files).
  case executed(promptID: String, node: String, displayNode: String?, output: JSONObject)
  case executionSuccess(promptID: String, timestamp: Int64?)
  case executionError(ExecutionFailure)
  case executionInterrupted(Interruption)
  /// Server log lines (only to clients that subscribed).
  case logs(entries: [LogEntry])
  /// A render spec some API nodes broadcast.
  case displayComponent(JSONObject)
  /// Binary frames 1 and 4: a preview image, with metadata for type 4.
  case preview(PreviewImage)
  /// Binary frame 3: text a node sends while it runs (broadcast, no prompt id).
  case text(node: String, text: String)
  /// A message type this client does not know; kept for `trace`, otherwise ignored.
  case unknown(type: String)

  /// The prompt the event belongs to, when it says.
  public var promptID: String? {
    switch self {
    case .executionStart(let id, _), .executionCached(let id, _, _), .executionSuccess(let id, _),
      .executed(let id, _, _, _), .progressState(let id, _):
      id
    case .executing(let id, _, _), .progress(let id, _, _, _): id
    case .executionError(let failure): failure.promptID
    case .executionInterrupted(let interruption): interruption.promptID
    case .preview(let preview): preview.metadata?.promptID
    default: nil
    }
  }

  /// The wire name of the event (`executing`, `b:preview`…), for traces and counts.
  public var typeName: String {
    switch self {
    case .status: "status"
    case .featureFlags: "feature_flags"
    case .executionStart: "execution_start"
    case .executionCached: "execution_cached"
    case .executing: "executing"
    case .progress: "progress"
    case .progressState: "progress_state"
    case .executed: "executed"
    case .executionSuccess: "execution_success"
    case .executionError: "execution_error"
    case .executionInterrupted: "execution_interrupted"
    case .logs: "logs"
    case .displayComponent: "display_component"
    case .preview(let p): p.metadata == nil ? "binary:preview" : "binary:preview_with_metadata"
    case .text: "binary:text"
    case .unknown(let type): type
    }
  }
}

/// One node's entry in `progress_state`.
public struct NodeProgress: Sendable, Equatable {
  public let nodeID: String
  public let value: Double
  public let max: Double
  /// `running`, `finished` or `error`.
  public let state: String
  public let displayNodeID: String?
  public let parentNodeID: String?
  public let realNodeID: String?
}

/// `execution_error`: the node that failed, the exception, and what it was given.
public struct ExecutionFailure: Sendable, Equatable {
  public let promptID: String
  public let nodeID: String
  public let nodeType: String
  /// Nodes that had finished before the failure.
  public let executed: [String]
  /// The exception text; ComfyUI ends it with a line break.
  public let exceptionMessage: String
  public let exceptionType: String
  public let traceback: [String]
  /// The failing node's inputs, each a list of `str()`-ed values (may hold keys: mask before showing).
  public let currentInputs: JSONObject
  public let currentOutputs: JSONValue
  /// Absent in the `ExecutionBlocked` variant.
  public let timestamp: Int64?

  public init(
    promptID: String, nodeID: String, nodeType: String, executed: [String], exceptionMessage: String,
    exceptionType: String, traceback: [String], currentInputs: JSONObject, currentOutputs: JSONValue,
    timestamp: Int64?
  ) {
    self.promptID = promptID
    self.nodeID = nodeID
    self.nodeType = nodeType
    self.executed = executed
    self.exceptionMessage = exceptionMessage
    self.exceptionType = exceptionType
    self.traceback = traceback
    self.currentInputs = currentInputs
    self.currentOutputs = currentOutputs
    self.timestamp = timestamp
  }
}

/// `execution_interrupted`: where the prompt stopped.
public struct Interruption: Sendable, Equatable {
  public let promptID: String
  public let nodeID: String?
  public let nodeType: String?
  public let executed: [String]
  public let timestamp: Int64?
}

public struct LogEntry: Sendable, Equatable {
  public let time: String
  public let message: String

  public init(time: String, message: String) {
    self.time = time
    self.message = message
  }
}

/// A preview image from a binary frame.
public struct PreviewImage: Sendable, Equatable {
  public enum Format: Sendable, Equatable {
    case jpeg
    case png
    case other(String)

    /// The file extension a saved preview gets.
    public var fileExtension: String {
      switch self {
      case .jpeg: "jpg"
      case .png: "png"
      case .other(let mime): mime.split(separator: "/").last.map(String.init) ?? "bin"
      }
    }

    public var name: String {
      switch self {
      case .jpeg: "jpeg"
      case .png: "png"
      case .other(let mime): mime
      }
    }
  }

  /// Type 4's JSON header: which node of which prompt sent it.
  public struct Metadata: Sendable, Equatable {
    public let nodeID: String?
    public let promptID: String?
    public let displayNodeID: String?
    public let parentNodeID: String?
    public let realNodeID: String?
    public let imageType: String?
  }

  public let format: Format
  public let bytes: [UInt8]
  /// Present for binary type 4; type 1 says nothing about its node.
  public let metadata: Metadata?
}

// MARK: - Decoding

extension ServerEvent {
  /// Decodes a text frame `{"type": T, "data": {...}}`; nil when it is not JSON of that shape.
  public static func decode(text: String) -> ServerEvent? {
    guard let json = try? JSONValue.parse(text) else { return nil }
    guard let type = json["type"]?.stringValue else { return nil }
    return decode(type: type, data: json["data"] ?? .null)
  }

  /// Decodes a message from its type and data (also used for history's `[event, data]` pairs).
  public static func decode(type: String, data: JSONValue) -> ServerEvent {
    switch type {
    case "status":
      let remaining = data["status"]?["exec_info"]?["queue_remaining"]?.numberValue.flatMap(intValue)
      return .status(queueRemaining: remaining, sid: data["sid"]?.stringValue)
    case "feature_flags":
      return .featureFlags(data.objectValue ?? [:])
    case "execution_start":
      guard let id = data["prompt_id"]?.stringValue else { return .unknown(type: type) }
      return .executionStart(promptID: id, timestamp: timestamp(data))
    case "execution_cached":
      guard let id = data["prompt_id"]?.stringValue else { return .unknown(type: type) }
      return .executionCached(promptID: id, nodes: idList(data["nodes"]), timestamp: timestamp(data))
    case "executing":
      return .executing(
        promptID: data["prompt_id"]?.stringValue, node: idString(data["node"]),
        displayNode: idString(data["display_node"]))
    case "progress":
      return .progress(
        promptID: data["prompt_id"]?.stringValue, node: idString(data["node"]),
        value: data["value"]?.numberValue?.doubleValue ?? 0, max: data["max"]?.numberValue?.doubleValue ?? 0)
    case "progress_state":
      guard let id = data["prompt_id"]?.stringValue else { return .unknown(type: type) }
      let nodes: [NodeProgress] = (data["nodes"]?.objectValue ?? [:]).map { key, entry in
        NodeProgress(
          nodeID: idString(entry["node_id"]) ?? key,
          value: entry["value"]?.numberValue?.doubleValue ?? 0,
          max: entry["max"]?.numberValue?.doubleValue ?? 0,
          state: entry["state"]?.stringValue ?? "",
          displayNodeID: idString(entry["display_node_id"]),
          parentNodeID: idString(entry["parent_node_id"]),
          realNodeID: idString(entry["real_node_id"]))
      }
      return .progressState(promptID: id, nodes: nodes)
    case "executed":
      guard let id = data["prompt_id"]?.stringValue, let node = idString(data["node"]) else {
        return .unknown(type: type)
      }
      return .executed(
        promptID: id, node: node, displayNode: idString(data["display_node"]),
        output: data["output"]?.objectValue ?? [:])
    case "execution_success":
      guard let id = data["prompt_id"]?.stringValue else { return .unknown(type: type) }
      return .executionSuccess(promptID: id, timestamp: timestamp(data))
    case "execution_error":
      guard let id = data["prompt_id"]?.stringValue else { return .unknown(type: type) }
      return .executionError(
        ExecutionFailure(
          promptID: id, nodeID: idString(data["node_id"]) ?? "?",
          nodeType: data["node_type"]?.stringValue ?? "?",
          executed: idList(data["executed"]), exceptionMessage: data["exception_message"]?.stringValue ?? "",
          exceptionType: data["exception_type"]?.stringValue ?? "",
          traceback: (data["traceback"]?.arrayValue ?? []).compactMap(\.stringValue),
          currentInputs: data["current_inputs"]?.objectValue ?? [:],
          currentOutputs: data["current_outputs"] ?? .null, timestamp: timestamp(data)))
    case "execution_interrupted":
      guard let id = data["prompt_id"]?.stringValue else { return .unknown(type: type) }
      return .executionInterrupted(
        Interruption(
          promptID: id, nodeID: idString(data["node_id"]), nodeType: data["node_type"]?.stringValue,
          executed: idList(data["executed"]), timestamp: timestamp(data)))
    case "logs":
      let entries = (data["entries"]?.arrayValue ?? []).map { entry in
        LogEntry(time: entry["t"]?.stringValue ?? "", message: entry["m"]?.stringValue ?? "")
      }
      return .logs(entries: entries)
    case "display_component":
      return .displayComponent(data.objectValue ?? [:])
    default:
      return .unknown(type: type)
    }
  }

  /// Decodes a binary frame: a big-endian u32 event type, then its payload (protocol.py BinaryEventTypes).
  public static func decode(binary bytes: some Collection<UInt8>) -> ServerEvent? {
    let frame = Array(bytes)
    guard let type = readUInt32(frame, at: 0) else { return nil }
    switch type {
    case 1, 2:
      guard let format = readUInt32(frame, at: 4) else { return nil }
      let kind: PreviewImage.Format =
        format == 1 ? .jpeg : format == 2 ? .png : .other("image/unknown-\(format)")
      return .preview(PreviewImage(format: kind, bytes: Array(frame[8...]), metadata: nil))
    case 3:
      guard let length = readUInt32(frame, at: 4), frame.count >= 8 + Int(length) else { return nil }
      let node = String(decoding: frame[8..<(8 + Int(length))], as: UTF8.self)
      let text = String(decoding: frame[(8 + Int(length))...], as: UTF8.self)
      return .text(node: node, text: text)
    case 4:
      guard let length = readUInt32(frame, at: 4), frame.count >= 8 + Int(length) else { return nil }
      let header = try? JSONValue.parse(bytes: Array(frame[8..<(8 + Int(length))]))
      let imageType = header?["image_type"]?.stringValue
      let metadata = PreviewImage.Metadata(
        nodeID: idString(header?["node_id"]), promptID: header?["prompt_id"]?.stringValue,
        displayNodeID: idString(header?["display_node_id"]),
        parentNodeID: idString(header?["parent_node_id"]),
        realNodeID: idString(header?["real_node_id"]), imageType: imageType)
      let format: PreviewImage.Format =
        switch imageType {
        case "image/png": .png
        case "image/jpeg", nil: .jpeg
        case let other?: .other(other)
        }
      return .preview(
        PreviewImage(format: format, bytes: Array(frame[(8 + Int(length))...]), metadata: metadata))
    default:
      return .unknown(type: "binary:\(type)")
    }
  }
}

/// A node id: a string, or a number some custom nodes send.
func idString(_ value: JSONValue?) -> String? {
  switch value {
  case .string(let s)?: s
  case .number(let n)?: n.text
  default: nil
  }
}

func idList(_ value: JSONValue?) -> [String] {
  (value?.arrayValue ?? []).compactMap(idString)
}

func timestamp(_ data: JSONValue) -> Int64? {
  guard let number = data["timestamp"]?.numberValue else { return nil }
  return number.int64Value ?? Int64(exactly: number.doubleValue.rounded())
}

func intValue(_ number: JSONNumber) -> Int? {
  if let i = number.int64Value { return Int(exactly: i) }
  let d = number.doubleValue
  return d.isFinite && d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
}

private func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32? {
  guard bytes.count >= offset + 4 else { return nil }
  return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
    | UInt32(bytes[offset + 3])
}
