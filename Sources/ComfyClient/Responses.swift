import Workflow

/// POST /prompt accepted: the prompt's id, its queue number, and the errors of outputs that will not run.
public struct QueuedPrompt: Sendable, Equatable {
  public let promptID: String
  /// The server's counter (`number`); it grows with every POST, refused ones too.
  public let number: JSONNumber?
  /// Non-empty when some outputs failed validation and only the others run.
  public let nodeErrors: [NodeErrorReport]
  public let body: JSONValue

  public init(promptID: String, number: JSONNumber?, nodeErrors: [NodeErrorReport], body: JSONValue) {
    self.promptID = promptID
    self.number = number
    self.nodeErrors = nodeErrors
    self.body = body
  }
}

/// A file a node produced or the server stored (`{filename, subfolder, type}`), as `/view` takes it.
public struct OutputFile: Sendable, Hashable {
  public let filename: String
  public let subfolder: String
  /// `output`, `temp` or `input`.
  public let type: String
  /// The ui key it came under (`images`, `gifs`, `audio`…).
  public let kind: String

  public init(filename: String, subfolder: String = "", type: String = "output", kind: String = "images") {
    self.filename = filename
    self.subfolder = subfolder
    self.type = type
    self.kind = kind
  }

  /// `output/comfysh/progress_00001_.png`: where it is on the server, relative to ComfyUI's folders.
  public var path: String {
    type + "/" + (subfolder.isEmpty ? "" : subfolder + "/") + filename
  }

  public var json: JSONValue {
    ["filename": .string(filename), "subfolder": .string(subfolder), "type": .string(type)]
  }

  /// Every file entry of a node's ui output: lists of objects with a `filename`, under any key.
  public static func files(in output: JSONObject) -> [OutputFile] {
    var files: [OutputFile] = []
    for (key, value) in output {
      guard let list = value.arrayValue else { continue }
      for entry in list {
        guard let name = entry["filename"]?.stringValue else { continue }
        files.append(
          OutputFile(
            filename: name, subfolder: entry["subfolder"]?.stringValue ?? "",
            type: entry["type"]?.stringValue ?? "output", kind: key))
      }
    }
    return files
  }
}

/// `GET /queue`: the running prompt(s) and those waiting, in queue order.
public struct QueueSnapshot: Sendable, Equatable {
  public let running: [QueueItem]
  public let pending: [QueueItem]

  public init(running: [QueueItem], pending: [QueueItem]) {
    self.running = running
    self.pending = pending
  }

  public init(json: JSONValue, server: ServerAddress) throws(ComfyClientError) {
    guard json.objectValue != nil else {
      throw .badResponse(
        server: server, route: "GET /queue", problem: .wrongShape(expected: "an object", found: json.typeName)
      )
    }
    running = (json["queue_running"]?.arrayValue ?? []).compactMap(QueueItem.init(tuple:))
    // The server keeps a heap; sort by number so the list reads in the order prompts will run.
    pending = (json["queue_pending"]?.arrayValue ?? []).compactMap(QueueItem.init(tuple:))
      .sorted { ($0.number?.doubleValue ?? 0) < ($1.number?.doubleValue ?? 0) }
  }

  public func contains(_ promptID: String) -> Bool {
    running.contains { $0.promptID == promptID } || pending.contains { $0.promptID == promptID }
  }
}

/// One queue or history item: ComfyUI's 5-tuple `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
public struct QueueItem: Sendable, Equatable {
  public let number: JSONNumber?
  public let promptID: String
  public let prompt: JSONValue
  /// Holds `client_id` and, while queued, `api_key_comfy_org` in clear text: mask it before showing.
  public let extraData: JSONObject
  public let outputsToExecute: [String]

  public init?(tuple: JSONValue) {
    guard let items = tuple.arrayValue, items.count >= 2, let id = items[1].stringValue else { return nil }
    number = items[0].numberValue
    promptID = id
    prompt = items.count > 2 ? items[2] : .null
    extraData = items.count > 3 ? items[3].objectValue ?? [:] : [:]
    outputsToExecute = items.count > 4 ? idList(items[4]) : []
  }

  public var clientID: String? { extraData["client_id"]?.stringValue }
  /// How many nodes the prompt has.
  public var nodeCount: Int { prompt.objectValue?.count ?? 0 }
}

/// `GET /history/{id}`: what a finished prompt produced and how it ended.
public struct HistoryEntry: Sendable, Equatable {
  public let promptID: String
  public let item: QueueItem?
  /// Per output node, its ui (`{"images": [...]}`), in the server's order.
  public let outputs: JSONObject
  /// `success` or `error` (an interrupted prompt is `error` too; its messages say which).
  public let statusText: String?
  public let completed: Bool
  /// The lifecycle messages the server kept (`execution_start`, `execution_cached`, and the end).
  public let messages: [ServerEvent]

  public init?(promptID: String, json: JSONValue) {
    guard json.objectValue != nil else { return nil }
    self.promptID = promptID
    item = json["prompt"].flatMap(QueueItem.init(tuple:))
    outputs = json["outputs"]?.objectValue ?? [:]
    statusText = json["status"]?["status_str"]?.stringValue
    completed = json["status"]?["completed"]?.boolValue ?? false
    messages = (json["status"]?["messages"]?.arrayValue ?? []).compactMap { pair in
      guard let parts = pair.arrayValue, parts.count == 2, let type = parts[0].stringValue else { return nil }
      return ServerEvent.decode(type: type, data: parts[1])
    }
  }

  /// Every output file, node by node.
  public var files: [(node: String, file: OutputFile)] {
    outputs.flatMap { node, ui in OutputFile.files(in: ui.objectValue ?? [:]).map { (node, $0) } }
  }

  /// How the prompt ended, from its messages.
  public var outcome: PromptOutcome {
    for message in messages.reversed() {
      switch message {
      case .executionSuccess: return .success
      case .executionError(let failure): return .failed(failure)
      case .executionInterrupted(let interruption): return .interrupted(interruption)
      default: continue
      }
    }
    return statusText == "success" ? .success : .ended
  }

  /// Milliseconds from `execution_start` to the end message, by the server's clock.
  public var serverMilliseconds: Int64? {
    var start: Int64?
    var end: Int64?
    for message in messages {
      switch message {
      case .executionStart(_, let t): start = t
      case .executionSuccess(_, let t): end = t
      case .executionError(let f): end = f.timestamp
      case .executionInterrupted(let i): end = i.timestamp
      default: break
      }
    }
    guard let start, let end else { return nil }
    return end - start
  }
}

/// `POST /upload/image` answer: the name the server stored the file under.
public struct UploadedFile: Sendable, Equatable {
  /// May differ from the name sent (`example (1).png` when another file had the name).
  public let name: String
  public let subfolder: String
  public let type: String

  public init(name: String, subfolder: String, type: String) {
    self.name = name
    self.subfolder = subfolder
    self.type = type
  }

  /// The value a LoadImage `image` input takes: `sub/name.png`, with ` [output]`/` [temp]` outside input/.
  public var inputValue: String {
    let path = subfolder.isEmpty ? name : subfolder + "/" + name
    return type == "input" ? path : path + " [\(type)]"
  }
}

/// `GET /system_stats`, the parts comfysh shows.
public struct SystemStats: Sendable, Equatable {
  public let comfyUIVersion: String?
  public let pythonVersion: String?
  public let devices: [String]
  public let json: JSONValue

  public init(json: JSONValue) {
    self.json = json
    comfyUIVersion = json["system"]?["comfyui_version"]?.stringValue
    pythonVersion = json["system"]?["python_version"]?.stringValue
    devices = (json["devices"]?.arrayValue ?? []).compactMap {
      $0["name"]?.stringValue ?? $0["type"]?.stringValue
    }
  }
}
