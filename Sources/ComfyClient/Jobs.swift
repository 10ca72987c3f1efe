import Workflow

/// One job of ComfyUI 0.33's jobs API (`/api/jobs`): a queued, running or finished prompt.
public struct Job: Sendable, Equatable {
  public enum Status: String, Sendable, CaseIterable {
    case pending
    case inProgress = "in_progress"
    case completed, failed, cancelled
  }

  public var id: String
  /// The status as the server wrote it; nil for a word this client does not know.
  public var status: Status?
  public var statusText: String
  /// The prompt's `number`.
  public var priority: JSONNumber?
  /// Milliseconds since 1970.
  public var createTime: Int64?
  public var executionStartTime: Int64?
  public var executionEndTime: Int64?
  public var outputsCount: Int
  public var workflowID: String?
  /// The `execution_error` message of a failed job.
  public var executionError: JSONObject?
  /// Only in the full form (`GET /api/jobs/{id}` of a finished job): history's outputs.
  public var outputs: JSONObject?
  public var json: JSONObject

  public init?(json value: JSONValue) {
    guard case .object(let json) = value, let id = json["id"]?.stringValue else { return nil }
    self.id = id
    statusText = json["status"]?.stringValue ?? "?"
    status = Status(rawValue: statusText)
    priority = json["priority"]?.numberValue
    createTime = json["create_time"]?.numberValue?.int64Value
    executionStartTime = json["execution_start_time"]?.numberValue?.int64Value
    executionEndTime = json["execution_end_time"]?.numberValue?.int64Value
    outputsCount = json["outputs_count"]?.numberValue?.int64Value.map { Int(clamping: $0) } ?? 0
    workflowID = json["workflow_id"]?.stringValue
    executionError = json["execution_error"]?.objectValue
    outputs = json["outputs"]?.objectValue
    self.json = json
  }

  /// How long it ran, in milliseconds, when it has started and ended.
  public var durationMilliseconds: Int64? {
    guard let start = executionStartTime, let end = executionEndTime else { return nil }
    return end - start
  }
}

/// A page of `GET /api/jobs`.
public struct JobsPage: Sendable, Equatable {
  public var jobs: [Job]
  public var offset: Int
  public var total: Int
  public var hasMore: Bool
}

/// What to ask `GET /api/jobs` for.
public struct JobsQuery: Sendable, Equatable {
  public var statuses: [Job.Status] = []
  public var workflowID: String?
  public var byDuration = false
  public var ascending = false
  public var limit: Int?
  public var offset: Int?

  public init(
    statuses: [Job.Status] = [], workflowID: String? = nil, byDuration: Bool = false, ascending: Bool = false,
    limit: Int? = nil, offset: Int? = nil
  ) {
    self.statuses = statuses
    self.workflowID = workflowID
    self.byDuration = byDuration
    self.ascending = ascending
    self.limit = limit
    self.offset = offset
  }

  var route: String {
    var query: [String] = []
    if !statuses.isEmpty { query.append("status=" + statuses.map(\.rawValue).joined(separator: ",")) }
    if let workflowID { query.append("workflow_id=" + percentEncode(workflowID)) }
    if byDuration { query.append("sort_by=execution_duration") }
    if ascending { query.append("sort_order=asc") }
    if let limit { query.append("limit=\(limit)") }
    if let offset { query.append("offset=\(offset)") }
    return "/api/jobs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
  }
}

extension ComfyClient {
  /// Whether the server has the jobs API (ComfyUI 0.33 and later); older servers answer 404.
  public func hasJobsAPI() async throws -> Bool {
    let response = try await send("GET", "/api/jobs?limit=1", json: nil)
    return response.status == 200
  }

  public func jobs(_ query: JobsQuery = .init()) async throws -> JobsPage {
    let json = try await getJSON(query.route)
    guard let list = json["jobs"]?.arrayValue else {
      throw ComfyClientError.badResponse(
        server: server, route: "GET /api/jobs",
        problem: .wrongShape(expected: "{jobs, pagination}", found: json.typeName))
    }
    let pagination = json["pagination"]
    return JobsPage(
      jobs: list.compactMap(Job.init(json:)),
      offset: pagination?["offset"]?.numberValue?.int64Value.map { Int(clamping: $0) } ?? 0,
      total: pagination?["total"]?.numberValue?.int64Value.map { Int(clamping: $0) } ?? list.count,
      hasMore: pagination?["has_more"]?.boolValue ?? false)
  }

  /// `GET /api/jobs/{id}`; nil when the server has no such job (404).
  public func job(_ id: String) async throws -> Job? {
    let route = "/api/jobs/" + percentEncode(id)
    let response = try await send("GET", route, json: nil)
    if response.status == 404 { return nil }
    guard response.status == 200 else {
      throw response.unexpected(route: "GET /api/jobs/{id}", server: server)
    }
    return Job(json: try response.json(route: "GET /api/jobs/{id}", server: server))
  }

  /// `POST /api/jobs/{id}/cancel`: interrupts it if running, dequeues it if pending; false when it was neither.
  public func cancelJob(_ id: String) async throws -> Bool {
    let route = "/api/jobs/" + percentEncode(id) + "/cancel"
    let response = try await send("POST", route, json: .object([:]))
    guard response.status == 200 else {
      throw response.unexpected(route: "POST /api/jobs/{id}/cancel", server: server)
    }
    return try response.json(route: "POST /api/jobs/{id}/cancel", server: server)["cancelled"]?.boolValue
      ?? false
  }
}

extension Job {
  /// Completed, failed or cancelled: it is in the server's history.
  public var hasEnded: Bool { status == .completed || status == .failed || status == .cancelled }
}

extension HistoryEntry {
  /// The history entry a finished job's full form carries (`outputs`, `execution_status`, `workflow`);
  /// nil for the short form.
  public init?(job: Job) {
    guard let status = job.json["execution_status"], status.objectValue != nil else { return nil }
    let workflow = job.json["workflow"]
    let tuple: JSONValue = .array([
      job.priority.map(JSONValue.number) ?? .null, .string(job.id), workflow?["prompt"] ?? .null,
      workflow?["extra_data"] ?? .object([:]), .array([]),
    ])
    self.init(
      promptID: job.id,
      json: .object(["prompt": tuple, "outputs": .object(job.outputs ?? [:]), "status": status]))
  }
}

/// Where a prompt stands on the server: ended (with its history), waiting its turn, running, or unknown.
public enum PromptStanding: Sendable, Equatable {
  case ended(HistoryEntry)
  /// `position` 1 runs next after the running ones; `prompt` is known from `/queue`, not from the jobs API.
  case waiting(position: Int, number: JSONNumber?, prompt: JSONValue?)
  case running(number: JSONNumber?, prompt: JSONValue?)
  case unknown
}

extension ComfyClient {
  /// Asks how `promptID` stands: through the jobs API when the server has it (one request for a
  /// running or ended prompt), else through `/history/{id}` and `/queue`.
  public func standing(of promptID: String, jobsAPI: Bool) async throws -> PromptStanding {
    jobsAPI ? try await standingFromJobs(promptID) : try await standingFromQueue(promptID)
  }

  private func standingFromQueue(_ promptID: String) async throws -> PromptStanding {
    if let entry = try await history(promptID: promptID) { return .ended(entry) }
    let queue = try await queue()
    if let index = queue.pending.firstIndex(where: { $0.promptID == promptID }) {
      let item = queue.pending[index]
      return .waiting(position: index + 1 + queue.running.count, number: item.number, prompt: item.prompt)
    }
    if let item = queue.running.first(where: { $0.promptID == promptID }) {
      return .running(number: item.number, prompt: item.prompt)
    }
    // It may have ended in the instant between the two asks.
    if let entry = try await history(promptID: promptID) { return .ended(entry) }
    return .unknown
  }

  private func standingFromJobs(_ promptID: String) async throws -> PromptStanding {
    // The server reads its queue and its history under separate locks: a prompt ending between the
    // two reads is in neither, so a 404 is asked once more.
    var found = try await job(promptID)
    if found == nil { found = try await job(promptID) }
    guard let job = found else { return .unknown }
    if job.hasEnded {
      if let entry = HistoryEntry(job: job) { return .ended(entry) }
      if let entry = try await history(promptID: promptID) { return .ended(entry) }
      return .unknown
    }
    if job.status == .inProgress { return .running(number: job.priority, prompt: nil) }
    let active = try await jobs(JobsQuery(statuses: [.pending, .inProgress])).jobs
    let mine = job.priority?.doubleValue ?? .infinity
    let ahead = active.filter {
      $0.status == .inProgress || ($0.status == .pending && ($0.priority?.doubleValue ?? .infinity) < mine)
    }
    return .waiting(position: ahead.count + 1, number: job.priority, prompt: nil)
  }
}
