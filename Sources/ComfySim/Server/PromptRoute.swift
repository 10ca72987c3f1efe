import ComfyRules
import HTTPTypes
import Hummingbird
import Workflow

/// `POST /prompt`, as server.py's `post_prompt`: the number is taken first (so rejected POSTs use
/// one up too), then the body is validated, then the prompt is queued.
struct PromptRoute {
  let environment: SimEnvironment

  func post(_ request: Request) async throws -> Response {
    guard let body = try await Routes.jsonBody(request) else { return Reply.serverError }

    // `"number" in json_data` — a member of an object, an element of a list, a substring of a
    // string; anything else makes Python raise before the counter moves.
    let hasNumber: Bool
    switch body {
    case .object(let members): hasNumber = members["number"] != nil
    case .array(let elements): hasNumber = elements.contains(.string("number"))
    case .string(let text): hasNumber = text.contains("number")
    default: return Reply.serverError
    }
    var counter: Int?
    if !hasNumber {
      var value = environment.queue.takeNumber()
      if let front = body.objectValue?["front"], Routes.truthy(front) { value = -value }
      counter = value
    }

    let folders = environment.folders
    let verdict = environment.validator.validate(body: body) { name in
      FileIO.exists(folders.inputPath(for: name))
    }
    let object = body.objectValue ?? [:]
    var extraData = object["extra_data"]?.objectValue ?? [:]
    if let client = object["client_id"] { extraData["client_id"] = client }
    if case .string(let key)? = extraData["api_key_comfy_org"] { environment.recordKey(key) }
    if environment.comfyUI.isCurrent {
      // 0.33 stamps the time it queued the prompt (ms), which the jobs API reports as create_time.
      extraData["create_time"] = .int(currentMilliseconds())
      if extraData["auth_token_comfy_org"] == .null { extraData.removeValue(forKey: "auth_token_comfy_org") }
    }

    switch verdict.outcome {
    case .serverFault:
      return Reply.serverError
    case .rejected:
      return Reply.json(["error": verdict.error, "node_errors": verdict.nodeErrors], status: .badRequest)
    case .accepted:
      break
    }

    let number: JSONValue
    let sortKey: Double
    if let counter {
      number = .int(counter)
      sortKey = Double(counter)
    } else {
      // `float(json_data["number"])`; the validator has already refused what float() refuses.
      let value: Double
      switch object["number"] {
      case .number(let n)?: value = n.doubleValue
      case .string(let s)?: value = Double(s.trimmingCharacters()) ?? 0
      case .bool(let b)?: value = b ? 1 : 0
      default: value = 0
      }
      number = .number(JSONNumber(uncheckedText: Py.floatRepr(value)))
      sortKey = value
    }
    let promptID: String
    switch object["prompt_id"] {
    case nil: promptID = makeUUID()
    case .string(let s)?: promptID = s
    case let other?: promptID = Py.str(other)
    }
    environment.queue.put(
      QueueItem(
        sortKey: sortKey, number: number, promptID: promptID, prompt: verdict.prompt, extraData: extraData,
        outputs: verdict.outputs, hidesSecrets: environment.comfyUI.isCurrent))
    return Reply.json(["prompt_id": .string(promptID), "number": number, "node_errors": verdict.nodeErrors])
  }
}
