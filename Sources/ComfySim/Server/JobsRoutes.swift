import ComfyRules
import HTTPTypes
import Hummingbird
import Workflow

/// ComfyUI 0.33's jobs API (`comfy_execution/jobs.py`), only under `/api`: one view of the queue and
/// the history, with filters, sorting and pagination, and cancelling by id.
struct JobsRoutes {
  let environment: SimEnvironment
  let executor: Executor

  static let statuses = ["pending", "in_progress", "completed", "failed", "cancelled"]

  func add(to router: Router<SimRequestContext>) {
    let routes = self
    router.get("/api/jobs") { request, _ in routes.list(Query(request.uri.query)) }
    router.post("/api/jobs/cancel") { request, _ in
      guard let body = try await Routes.jsonBody(request) else { return Reply.serverError }
      return routes.cancel(batch: body)
    }
    router.get("/api/jobs/:job_id") { _, context in routes.job(context.parameters.get("job_id") ?? "") }
    router.post("/api/jobs/:job_id/cancel") { _, context in
      Reply.json(["cancelled": .bool(routes.cancel(context.parameters.get("job_id") ?? ""))])
    }
  }

  /// One job in the short form (lists, queue items) or, for a finished job, the full form.
  struct Job {
    var json: JSONObject
    var createTime: Int
    var duration: Int?
    /// The prompt's number as an int (0 for a client's float number), to order ties.
    var number: Int { json["priority"]?.numberValue?.int64Value.map { Int(clamping: $0) } ?? 0 }
  }

  func jobs() -> [Job] {
    let (running, pending, history) = environment.queue.jobsSnapshot()
    var result: [Job] = []
    for item in pending { result.append(Self.queued(item, status: "pending")) }
    for item in running { result.append(Self.queued(item, status: "in_progress")) }
    for (id, entry) in history { result.append(Self.finished(id, entry, full: false)) }
    return result
  }

  static func queued(_ item: QueueItem, status: String) -> Job {
    var json: JSONObject = ["id": .string(item.promptID), "status": .string(status), "priority": item.number]
    let created = item.extraData["create_time"]?.numberValue?.int64Value.map { Int($0) }
    if let created { json["create_time"] = .int(created) }
    json["outputs_count"] = 0
    json["previewable_outputs_count"] = 0
    if let workflow = item.extraData["extra_pnginfo"]?["workflow"]?["id"] { json["workflow_id"] = workflow }
    return Job(json: json, createTime: created ?? 0, duration: nil)
  }

  /// A history entry as a job: its status from the history status, times from its messages.
  static func finished(_ id: String, _ entry: JSONValue, full: Bool) -> Job {
    let tuple = entry["prompt"]?.arrayValue ?? []
    let extraData = tuple.count > 3 ? tuple[3].objectValue ?? [:] : [:]
    let status = entry["status"]
    let messages = status?["messages"]?.arrayValue ?? []
    func time(of type: String) -> Int? {
      for message in messages where message.arrayValue?.first?.stringValue == type {
        return message.arrayValue?.last?["timestamp"]?.numberValue?.int64Value.map { Int($0) }
      }
      return nil
    }
    let interrupted = messages.contains { $0.arrayValue?.first?.stringValue == "execution_interrupted" }
    let state: String
    switch status?["status_str"]?.stringValue {
    case "success"?: state = "completed"
    case "error"?: state = interrupted ? "cancelled" : "failed"
    default: state = "completed"
    }
    var json: JSONObject = ["id": .string(id), "status": .string(state)]
    if let number = tuple.first { json["priority"] = number }
    let created = extraData["create_time"]?.numberValue?.int64Value.map { Int($0) }
    if let created { json["create_time"] = .int(created) }
    let start = time(of: "execution_start")
    let end =
      time(of: "execution_success") ?? time(of: "execution_error") ?? time(of: "execution_interrupted")
    if let start { json["execution_start_time"] = .int(start) }
    if let end { json["execution_end_time"] = .int(end) }
    if state == "failed",
      let error = messages.first(where: { $0.arrayValue?.first?.stringValue == "execution_error" })?
        .arrayValue?
        .last
    {
      var details = error.objectValue ?? [:]
      details.removeValue(forKey: "timestamp")
      json["execution_error"] = .object(details)
    }
    let outputs = entry["outputs"]?.objectValue ?? [:]
    let (count, previewable, preview) = Self.outputSummary(outputs)
    json["outputs_count"] = .int(count)
    json["previewable_outputs_count"] = .int(previewable)
    if let preview { json["preview_output"] = .object(preview) }
    if let workflow = extraData["extra_pnginfo"]?["workflow"]?["id"] { json["workflow_id"] = workflow }
    if full {
      json["outputs"] = .object(outputs)
      if let status { json["execution_status"] = status }
      var shownExtra = extraData
      for key in QueueItem.sensitiveKeys { shownExtra.removeValue(forKey: key) }
      json["workflow"] = ["prompt": tuple.count > 2 ? tuple[2] : .null, "extra_data": .object(shownExtra)]
    }
    let duration = start.flatMap { s in end.map { $0 - s } }
    return Job(json: json, createTime: created ?? 0, duration: duration)
  }

  /// Media items per output node (`images`, `audio`, `video`…); text previews count as none but can
  /// still be the preview.
  static func outputSummary(_ outputs: JSONObject) -> (Int, Int, JSONObject?) {
    var count = 0
    var previewable = 0
    var preview: JSONObject?
    var textPreview: JSONObject?
    for (node, ui) in outputs {
      for (kind, items) in ui.objectValue ?? [:] {
        for item in items.arrayValue ?? [] {
          if case .object(var file) = item, file["filename"] != nil {
            count += 1
            let type = file["type"]?.stringValue
            guard type == "output" || type == "temp" else { continue }
            previewable += 1
            if preview == nil {
              file["nodeId"] = .string(node)
              file["mediaType"] = .string(kind)
              preview = file
            }
          } else if kind == "text", textPreview == nil {
            textPreview = [
              "content": .string(item.stringValue ?? Py.str(item)), "nodeId": .string(node),
              "mediaType": "text",
            ]
          }
        }
      }
    }
    return (count, previewable, preview ?? textPreview)
  }

  func list(_ query: Query) -> Response {
    var all = jobs()
    if let text = query["status"] {
      let wanted = text.split(separator: ",").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
      let unknown = wanted.filter { !Self.statuses.contains($0) }
      if !unknown.isEmpty {
        return Reply.json(
          [
            "error": .string(
              "Invalid status value(s): \(unknown.joined(separator: ", ")). Valid values: \(Self.statuses.joined(separator: ", "))"
            )
          ], status: .badRequest)
      }
      all = all.filter { wanted.contains($0.json["status"]?.stringValue ?? "") }
    }
    if let workflow = query["workflow_id"] {
      all = all.filter { $0.json["workflow_id"]?.stringValue == workflow }
    }
    let byDuration = query["sort_by"] == "execution_duration"
    let ascending = query["sort_order"] == "asc"
    // Prompts queued within the same millisecond keep the order of their numbers.
    all.sort { a, b in
      var (x, y) = byDuration ? (a.duration ?? 0, b.duration ?? 0) : (a.createTime, b.createTime)
      if x == y { (x, y) = (a.number, b.number) }
      return ascending ? x < y : x > y
    }
    var limit: Int?
    if let text = query["limit"] {
      guard let value = Int(text.trimmingCharacters()), value > 0 else {
        return Reply.json(["error": "limit must be a positive integer"], status: .badRequest)
      }
      limit = value
    }
    var offset = 0
    if let text = query["offset"] {
      guard let value = Int(text.trimmingCharacters()) else {
        return Reply.json(["error": "offset must be an integer"], status: .badRequest)
      }
      offset = max(0, value)
    }
    let total = all.count
    let page = all.dropFirst(offset).prefix(limit ?? Int.max)
    return Reply.json([
      "jobs": .array(page.map { .object($0.json) }),
      "pagination": [
        "offset": .int(offset), "limit": limit.map { .int($0) } ?? .null, "total": .int(total),
        "has_more": .bool(offset + page.count < total),
      ],
    ])
  }

  func job(_ id: String) -> Response {
    let (running, pending, history) = environment.queue.jobsSnapshot()
    if let item = running.first(where: { $0.promptID == id }) {
      return Reply.json(.object(Self.queued(item, status: "in_progress").json))
    }
    if let item = pending.first(where: { $0.promptID == id }) {
      return Reply.json(.object(Self.queued(item, status: "pending").json))
    }
    if let entry = history[id] { return Reply.json(.object(Self.finished(id, entry, full: true).json)) }
    return Reply.json(["error": "Job not found"], status: .notFound)
  }

  /// Interrupts a running job or takes a pending one off the queue; false when it is neither.
  func cancel(_ id: String) -> Bool {
    if environment.queue.isRunning(promptID: id) {
      executor.interrupt(promptID: id)
      return true
    }
    if environment.queue.isPending(promptID: id) {
      environment.queue.delete(promptID: id)
      return true
    }
    return false
  }

  func cancel(batch body: JSONValue) -> Response {
    guard case .array(let ids)? = body["job_ids"] else {
      return Reply.json(["error": "job_ids must be a list"], status: .badRequest)
    }
    let invalid = ids.filter { id in
      guard case .string(let text) = id else { return true }
      return !ValidationRules.isCanonicalUUID(text.lowercased())
    }
    if !invalid.isEmpty {
      return Reply.json(
        [
          "error": "job_ids contains invalid id(s)",
          "invalid_ids": .array(invalid.map { .string(Py.str($0)) }),
        ],
        status: .badRequest)
    }
    var any = false
    for case .string(let id) in ids where cancel(id) { any = true }
    return Reply.json(["cancelled": .bool(any)])
  }
}
