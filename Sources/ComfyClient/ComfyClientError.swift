import Workflow

/// A failure talking to a ComfyUI server. Each case carries the facts (which server, which route,
/// which prompt, what the system said), so a caller can react to it; `description` states them in
/// plain words, and the shell adds what to type next.
public enum ComfyClientError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The server URL could not be read.
  case invalidAddress(text: String, problem: AddressProblem)
  /// No connection could be made (refused, unreachable, TLS, a timeout while connecting, a WebSocket
  /// upgrade that failed).
  case cannotConnect(server: ServerAddress, reason: String)
  /// The server closed the connection while `route` was being answered.
  case connectionClosed(server: ServerAddress, route: String)
  /// The connection was made, then reset (TCP RST) while `route` was being asked or answered.
  case connectionReset(server: ServerAddress, route: String)
  /// The answer to `route` stopped before its end: the connection closed in the middle of the body.
  case answerCutShort(server: ServerAddress, route: String)
  /// A request failed in a way that has no case of its own.
  case requestFailed(server: ServerAddress, route: String, reason: String)
  /// The server answered `route` with a status it does not answer when all is well.
  case httpStatus(server: ServerAddress, route: String, status: Int, reason: String, body: String)
  /// `GET /view` found no such file (404).
  case fileNotFound(server: ServerAddress, path: String)
  /// `GET /view` refused the name (400, 403).
  case fileRefused(server: ServerAddress, path: String, status: Int)
  /// The upload is larger than the server accepts (413, its `--max-upload-size`).
  case uploadTooLarge(server: ServerAddress, filename: String)
  /// The answer was not what ComfyUI sends.
  case badResponse(server: ServerAddress, route: String, problem: ResponseProblem)
  /// No whole answer to `route` within its deadline `after` (see `RequestDeadlines`), or, with
  /// `idle`, no progress for that long (no byte of the body, or the head still not complete).
  case timeout(server: ServerAddress, route: String, after: Duration, idle: Bool = false)
  /// No message about a running prompt for `quietFor`; `runningNode` is the node last seen running.
  case inactivity(server: ServerAddress, promptID: String, quietFor: Duration, runningNode: RunningNode?)
  /// The WebSocket dropped and could not be opened again while following `promptID`.
  case connectionLost(server: ServerAddress, promptID: String, reason: String)
  /// After the WebSocket dropped, `/history` could not say how `promptID` ended (`cause`), and the
  /// socket had not reported every node done.
  case outcomeUnknown(server: ServerAddress, promptID: String, cause: String)
  /// The connection was closed by its owner (`close()`), so it cannot be used any more.
  case closed(server: ServerAddress)
  /// `follow` was asked about a prompt this connection does not track.
  case notTracked(promptID: String)
  /// The server no longer knows the prompt: not queued, not running, not in history.
  case promptForgotten(server: ServerAddress, promptID: String)

  /// What is wrong with a server URL.
  public enum AddressProblem: Sendable, Equatable {
    case empty
    case unsupportedScheme
    case unclosedIPv6Bracket
    case invalidPort
    case userInfo
    case noHost
  }

  /// How an answer differed from what ComfyUI sends.
  public enum ResponseProblem: Sendable, Equatable {
    /// Not JSON at all; `excerpt` is the start of the body.
    case notJSON(parseError: String, excerpt: String)
    /// JSON of the wrong shape (`an object` expected, `a list` found, say).
    case wrongShape(expected: String, found: String)
    /// A member that must be there is not.
    case missingMember(String, excerpt: String)
    /// The body could not be read (its length did not match, say).
    case unreadable(String)
    /// Larger than comfysh accepts.
    case tooLarge
    /// Not HTTP at all (the HTTP parser's words in `parserError`, for traces; not for messages).
    case notHTTP(parserError: String)
  }

  /// The node a quiet prompt was last seen running.
  public struct RunningNode: Sendable, Equatable {
    public let id: String
    public let classType: String?
    public init(id: String, classType: String?) {
      self.id = id
      self.classType = classType
    }
  }

  /// The server the error is about, when there is one.
  public var server: ServerAddress? {
    switch self {
    case .invalidAddress, .notTracked: nil
    case .cannotConnect(let server, _), .connectionClosed(let server, _), .connectionReset(let server, _),
      .answerCutShort(let server, _), .outcomeUnknown(let server, _, _), .requestFailed(let server, _, _),
      .httpStatus(let server, _, _, _, _), .fileNotFound(let server, _), .fileRefused(let server, _, _),
      .uploadTooLarge(let server, _), .badResponse(let server, _, _), .timeout(let server, _, _, _),
      .inactivity(let server, _, _, _), .connectionLost(let server, _, _), .closed(let server),
      .promptForgotten(let server, _):
      server
    }
  }

  /// The HTTP status, for the cases that have one.
  public var httpStatus: Int? {
    switch self {
    case .httpStatus(_, _, let status, _, _), .fileRefused(_, _, let status): status
    case .fileNotFound: 404
    case .uploadTooLarge: 413
    default: nil
    }
  }

  public var description: String {
    switch self {
    case .invalidAddress(let text, let problem):
      switch problem {
      case .empty: return "the server address is empty"
      case .unsupportedScheme: return "\(text) is not an http or https URL"
      case .unclosedIPv6Bracket: return "\(text): an IPv6 host needs a closing ]"
      case .invalidPort: return "\(text) has an invalid port (1–65535)"
      case .userInfo: return "\(text): user names in server URLs are not supported"
      case .noHost: return "\(text) has no host"
      }
    case .cannotConnect(let server, let reason): return "cannot connect to \(server) (\(reason))"
    case .connectionClosed(let server, let route): return "\(server) closed the connection during \(route)"
    case .connectionReset(let server, let route):
      return "the connection to \(server) was reset during \(route)"
    case .answerCutShort(let server, let route):
      return "the answer of \(server) to \(route) was cut off before its end (the connection closed)"
    case .outcomeUnknown(let server, let promptID, let cause):
      return
        "the WebSocket to \(server) dropped and its history could not say how prompt \(promptID) ended (\(cause))"
    case .requestFailed(let server, let route, let reason): return "\(route) to \(server) failed: \(reason)"
    case .httpStatus(let server, let route, let status, let reason, let body):
      return "\(server) answered \(route) with \(status) \(reason)" + (body.isEmpty ? "" : ": \(body)")
    case .fileNotFound(let server, let path): return "\(server) has no \(path) (GET /view answered 404)"
    case .fileRefused(let server, let path, let status):
      return "\(server) refused to send \(path) (\(status)): the name is not allowed"
    case .uploadTooLarge(let server, let filename):
      return "\(filename) is larger than \(server) accepts (413)"
    case .badResponse(let server, let route, let problem):
      switch problem {
      case .notJSON(let parseError, let excerpt):
        return "\(route) answered something that is not JSON (\(parseError)): \(excerpt)"
      case .wrongShape(let expected, let found): return "\(route) answered \(found), not \(expected)"
      case .missingMember(let member, let excerpt): return "\(route) answered without \(member): \(excerpt)"
      case .unreadable(let reason):
        return "\(server) sent an answer to \(route) that could not be read (\(reason))"
      case .tooLarge: return "\(server) sent a larger answer to \(route) than comfysh accepts"
      case .notHTTP:
        return "\(server) answered \(route) with something that is not HTTP"
      }
    case .timeout(let server, let route, let after, let idle):
      return idle
        ? "the answer of \(server) to \(route) made no progress for \(after.secondsText)"
        : "\(server) did not answer \(route) within \(after.secondsText)"
    case .inactivity(let server, let promptID, let quietFor, let node):
      return "no news from \(server) about prompt \(promptID) for \(quietFor.secondsText)"
        + (node.map { " (node \($0.id)" + ($0.classType.map { " \($0)" } ?? "") + " was running)" } ?? "")
    case .connectionLost(let server, let promptID, let reason):
      return
        "lost the connection to \(server) and could not open it again (\(reason)) while following prompt \(promptID)"
    case .closed(let server): return "the connection to \(server) was closed"
    case .notTracked(let promptID): return "prompt \(promptID) is not tracked by this connection"
    case .promptForgotten(let server, let promptID):
      return "\(server) no longer knows prompt \(promptID) (not queued, not running, not in history)"
    }
  }
}

/// The server refused a prompt (POST /prompt answered 400): the prompt-level error and the errors per node.
public struct PromptRejection: Error, Sendable, Equatable, CustomStringConvertible {
  /// `error.type`: `invalid_prompt`, `prompt_no_outputs`, `prompt_outputs_failed_validation`, `no_prompt`…
  public let type: String
  public let message: String
  public let details: String
  /// Per node id, in the order the server listed them.
  public let nodeErrors: [NodeErrorReport]
  /// The whole answer body, for `--json` and for anything not modelled here.
  public let body: JSONValue

  public init(type: String, message: String, details: String, nodeErrors: [NodeErrorReport], body: JSONValue)
  {
    self.type = type
    self.message = message
    self.details = details
    self.nodeErrors = nodeErrors
    self.body = body
  }

  /// Reads a 400 answer; nil when it is not ComfyUI's `{"error": {...}, "node_errors": {...}}` shape.
  public init?(json: JSONValue) {
    guard let error = json["error"] else { return nil }
    if let text = error.stringValue {
      // Older servers and proxies answer {"error": "text"}.
      self.init(type: "error", message: text, details: "", nodeErrors: [], body: json)
      return
    }
    guard error.objectValue != nil else { return nil }
    self.init(
      type: error["type"]?.stringValue ?? "error",
      message: error["message"]?.stringValue ?? "",
      details: error["details"]?.stringValue ?? "",
      nodeErrors: NodeErrorReport.list(json["node_errors"]),
      body: json)
  }

  public var description: String {
    var text = "the server refused the prompt: \(message.isEmpty ? type : message)"
    if !details.isEmpty { text += " (\(details))" }
    for node in nodeErrors {
      for line in node.lines { text += "\n  " + line }
    }
    return text
  }
}

/// The validation errors of one node, from `node_errors` in a POST /prompt answer.
public struct NodeErrorReport: Sendable, Equatable {
  public struct Item: Sendable, Equatable {
    /// `required_input_missing`, `value_bigger_than_max`…
    public let type: String
    public let message: String
    public let details: String
    /// `extra_info.input_name`, when the error is about one input.
    public let inputName: String?
    /// `extra_info.received_value`, when there is one.
    public let receivedValue: JSONValue?
    public let extraInfo: JSONObject
  }

  public let nodeID: String
  public let classType: String?
  public let errors: [Item]
  /// The output nodes that could not run because of this node.
  public let dependentOutputs: [String]

  public init(nodeID: String, classType: String?, errors: [Item], dependentOutputs: [String]) {
    self.nodeID = nodeID
    self.classType = classType
    self.errors = errors
    self.dependentOutputs = dependentOutputs
  }

  /// Reads a `node_errors` object (empty for anything else).
  public static func list(_ value: JSONValue?) -> [NodeErrorReport] {
    guard let members = value?.objectValue else { return [] }
    return members.map { id, entry in
      let items: [Item] = (entry["errors"]?.arrayValue ?? []).map { error in
        let extra = error["extra_info"]?.objectValue ?? [:]
        return Item(
          type: error["type"]?.stringValue ?? "error",
          message: error["message"]?.stringValue ?? "",
          details: error["details"]?.stringValue ?? "",
          inputName: extra["input_name"]?.stringValue,
          receivedValue: extra["received_value"],
          extraInfo: extra)
      }
      return NodeErrorReport(
        nodeID: id, classType: entry["class_type"]?.stringValue, errors: items,
        dependentOutputs: (entry["dependent_outputs"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
  }

  /// One line per error, as the server put it: `node 1 (EmptyImage) width: Required input is missing`.
  public var lines: [String] {
    let name = "node \(nodeID)" + (classType.map { " (\($0))" } ?? "")
    return errors.map { item in
      var line = name
      if let input = item.inputName { line += " \(input)" }
      line += ": " + (item.message.isEmpty ? item.type : item.message)
      if !item.details.isEmpty && item.details != item.inputName { line += " (\(item.details))" }
      return line
    }
  }
}
