import HTTPTypes
import Hummingbird
import Workflow

/// `POST /prompt`, as server.py's `post_prompt`: number first (so rejected POSTs use one up too),
/// then validation, then the queue.
struct PromptRoute {
  let environment: SimEnvironment

  func post(_ request: Request) async throws -> Response {
    guard let body = try await Routes.jsonBody(request) else { return Reply.serverError }
    let object: JSONObject
    switch body {
    case .object(let members): object = members
    case .array, .string: object = [:]  // `"prompt" in json_data` is False for these in Python
    default: return Reply.serverError
    }

    let number: JSONValue
    let sortKey: Double
    if let given = object["number"] {
      // `float(json_data["number"])`
      let value: Double?
      switch given {
      case .number(let n): value = n.doubleValue
      case .string(let s): value = Double(s.trimmingCharacters())
      case .bool(let b): value = b ? 1 : 0
      default: value = nil
      }
      guard let value, !value.isNaN else { return Reply.serverError }
      number = .number(JSONNumber(uncheckedText: PythonText.floatRepr(value)))
      sortKey = value
    } else {
      var counter = environment.queue.takeNumber()
      if let front = object["front"], Routes.truthy(front) { counter = -counter }
      number = .int(counter)
      sortKey = Double(counter)
    }

    guard let prompt = object["prompt"] else {
      return Reply.json(
        [
          "error": [
            "type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided",
            "extra_info": [:],
          ],
          "node_errors": [:],
        ], status: .badRequest)
    }
    let promptID: String
    switch object["prompt_id"] {
    case nil: promptID = makeUUID()
    case .string(let s)?: promptID = s
    case .number(let n)?: promptID = PythonText.pythonNumberText(n)
    case let other?: promptID = PythonText.str(other)
    }
    var targets: [String]?
    if let list = object["partial_execution_targets"] {
      targets = list.arrayValue?.compactMap { $0.stringValue } ?? []
    }

    let folders = environment.folders
    let verdict = environment.validator.validate(prompt: prompt, partialTargets: targets) { name in
      FileIO.exists(folders.inputPath(for: name))
    }

    var extraData = object["extra_data"]?.objectValue ?? [:]
    if let client = object["client_id"] { extraData["client_id"] = client }
    if case .string(let key)? = extraData["api_key_comfy_org"] { environment.recordKey(key) }

    guard verdict.accepted else {
      return Reply.json(
        ["error": verdict.error ?? .null, "node_errors": verdict.nodeErrors], status: .badRequest)
    }
    environment.queue.put(
      QueueItem(
        sortKey: sortKey, number: number, promptID: promptID, prompt: verdict.prompt, extraData: extraData,
        outputs: verdict.outputs))
    return Reply.json(["prompt_id": .string(promptID), "number": number, "node_errors": verdict.nodeErrors])
  }
}
