import Workflow

/// A failure talking to a ComfyUI server, with a message that says what went wrong and what to do.
public struct ComfyClientError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What kind of failure, for callers that react differently (reconnect, report, retry).
  public enum Kind: Sendable, Equatable {
    /// The server URL could not be read.
    case invalidAddress
    /// No connection could be made (refused, unreachable, TLS, timeout while connecting).
    case cannotConnect
    /// The server answered with a status the request does not expect (403, 404, 500…).
    case httpStatus(Int)
    /// The answer was not what ComfyUI sends (not JSON, missing fields).
    case badResponse
    /// No message about the prompt arrived for the inactivity timeout.
    case inactivity
    /// The WebSocket dropped and could not be opened again.
    case connectionLost
    /// The server does not know the prompt (not queued, not running, not in history).
    case unknownPrompt
    /// A request timed out waiting for the answer.
    case timeout
  }

  public let kind: Kind
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
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

  /// One line per error, in words a user can act on: `node 1 (EmptyImage) width: Required input is missing`.
  public var lines: [String] {
    let name = "node \(nodeID)" + (classType.map { " (\($0))" } ?? "")
    return errors.map { item in
      var line = name
      if let input = item.inputName { line += " \(input)" }
      line += ": " + item.explanation
      return line
    }
  }
}

extension NodeErrorReport.Item {
  /// The server's message with the details it left out, and a hint for the common types.
  public var explanation: String {
    var text = message.isEmpty ? type : message
    switch type {
    case "required_input_missing":
      text += inputName.map { " (set it: set NODE.\($0) VALUE, or link it: link NODE.\($0) NODE:SLOT)" } ?? ""
    case "value_not_in_list", "custom_validation_failed", "invalid_input_type", "bad_linked_input",
      "return_type_mismatch":
      if !details.isEmpty && !text.contains(details) { text += " — \(details)" }
    case "exception_during_inner_validation", "exception_during_validation":
      if let exception = extraInfo["exception_type"]?.stringValue {
        let what = extraInfo["exception_message"]?.stringValue ?? details
        text += " (\(exception) \(what))"
        if exception == "KeyError" { text += "; a link points to a node that does not exist" }
        if exception == "IndexError" { text += "; a link uses an output slot the node does not have" }
      } else if !details.isEmpty {
        text += " (\(details))"
      }
    default:
      if !details.isEmpty && !text.contains(details) && details != inputName { text += " (\(details))" }
    }
    return text
  }
}
