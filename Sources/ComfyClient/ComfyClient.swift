import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// ComfyUI's HTTP API for one server: prompts, queue, history, interrupt, uploads, files, node info.
/// Stateless and Sendable; the WebSocket side is `ComfyConnection`.
public final class ComfyClient: Sendable {
  public let server: ServerAddress
  /// How long a whole request may take, by route (object_info and /view may be large).
  public let deadlines: RequestDeadlines
  /// Sees every request and answer, and the connection's WebSocket frames, while `trace` is on.
  public let tap: TrafficTap
  private let http: HTTPClient

  /// Uses a process-wide HTTP client that fails at once when nothing listens (no connect retries).
  public init(server: ServerAddress, deadlines: RequestDeadlines = .standard, tap: TrafficTap = TrafficTap())
  {
    self.server = server
    self.deadlines = deadlines
    self.tap = tap
    self.http = ComfyHTTP.client
  }

  // MARK: - Prompts

  /// POST /prompt. Throws `PromptRejection` for a 400 with ComfyUI's error shape.
  public func queuePrompt(body: JSONObject) async throws -> QueuedPrompt {
    let response = try await send("POST", "/prompt", json: .object(body))
    switch response.status {
    case 200:
      let json = try response.json(route: "POST /prompt", server: server)
      guard let id = json["prompt_id"]?.stringValue else {
        throw ComfyClientError.badResponse(
          server: server, route: "POST /prompt",
          problem: .missingMember("a prompt_id", excerpt: response.excerpt))
      }
      return QueuedPrompt(
        promptID: id, number: json["number"]?.numberValue,
        nodeErrors: NodeErrorReport.list(json["node_errors"]),
        body: json)
    case 400:
      if let json = try? response.json(route: "POST /prompt", server: server),
        let rejection = PromptRejection(json: json)
      {
        throw rejection
      }
      throw response.unexpected(route: "POST /prompt", server: server)
    default:
      throw response.unexpected(route: "POST /prompt", server: server)
    }
  }

  /// GET /prompt: how many prompts are queued or running.
  public func queueRemaining() async throws -> Int? {
    let json = try await getJSON("/prompt")
    return json["exec_info"]?["queue_remaining"]?.numberValue.flatMap(intValue)
  }

  /// GET /queue.
  public func queue() async throws -> QueueSnapshot {
    try QueueSnapshot(json: try await getJSON("/queue"), server: server)
  }

  /// POST /queue {"delete": [...]}: removes pending prompts (a running one is not touched).
  public func deleteFromQueue(_ promptIDs: [String]) async throws {
    try await postExpectingOK("/queue", ["delete": .array(promptIDs.map(JSONValue.string))])
  }

  /// POST /queue {"clear": true}: removes every pending prompt.
  public func clearQueue() async throws {
    try await postExpectingOK("/queue", ["clear": true])
  }

  /// POST /interrupt: stops the running prompt; with an id, only if that prompt is the one running.
  public func interrupt(promptID: String? = nil) async throws {
    if let promptID {
      try await postExpectingOK("/interrupt", ["prompt_id": .string(promptID)])
    } else {
      let response = try await send("POST", "/interrupt", json: nil)
      guard response.status == 200 else {
        throw response.unexpected(route: "POST /interrupt", server: server)
      }
    }
  }

  // MARK: - History

  /// GET /history/{id}; nil while the prompt is queued or running, or when the server never saw it.
  public func history(promptID: String) async throws -> HistoryEntry? {
    let json = try await getJSON("/history/" + percentEncode(promptID))
    guard let entry = json[promptID] else { return nil }
    return HistoryEntry(promptID: promptID, json: entry)
  }

  /// GET /history[?max_items=N]: the newest entries last, as the server keeps them.
  public func history(maxItems: Int? = nil, offset: Int? = nil) async throws -> [HistoryEntry] {
    var query: [String] = []
    if let maxItems { query.append("max_items=\(maxItems)") }
    if let offset { query.append("offset=\(offset)") }
    let json = try await getJSON("/history" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
    guard let members = json.objectValue else {
      throw ComfyClientError.badResponse(
        server: server, route: "GET /history",
        problem: .wrongShape(expected: "an object", found: json.typeName))
    }
    return members.compactMap { id, entry in HistoryEntry(promptID: id, json: entry) }
  }

  // MARK: - Server information

  /// GET /object_info: every node class (about 0.5 MB on a stock server).
  public func objectInfo() async throws -> JSONValue { try await getJSON("/object_info") }

  /// GET /object_info/{class}: `{}` when the class is unknown.
  public func objectInfo(classType: String) async throws -> JSONValue {
    try await getJSON("/object_info/" + percentEncode(classType))
  }

  public func systemStats() async throws -> SystemStats {
    SystemStats(json: try await getJSON("/system_stats"))
  }

  /// GET /features: `supports_preview_metadata`, `max_upload_size`.
  public func features() async throws -> JSONValue { try await getJSON("/features") }

  /// `GET /node_replacements` (ComfyUI 0.4 and later): old class → the class that replaced it.
  public func nodeReplacements() async throws -> JSONValue { try await getJSON("/node_replacements") }

  // MARK: - Files

  /// POST /upload/image (multipart `image`, `type`, `subfolder`, `overwrite`); returns the stored name.
  public func uploadImage(
    _ bytes: [UInt8], filename: String, type: String = "input", subfolder: String = "",
    overwrite: Bool = false
  ) async throws -> UploadedFile {
    var form = MultipartForm()
    form.addFile(
      name: "image", filename: filename, contentType: MultipartForm.contentType(for: filename), bytes: bytes)
    form.addField(name: "type", value: type)
    if !subfolder.isEmpty { form.addField(name: "subfolder", value: subfolder) }
    if overwrite { form.addField(name: "overwrite", value: "true") }
    let response = try await send(
      "POST", "/upload/image", body: form.finished,
      contentType: "multipart/form-data; boundary=\(form.boundary)")
    guard response.status == 200 else {
      if response.status == 413 { throw ComfyClientError.uploadTooLarge(server: server, filename: filename) }
      throw response.unexpected(route: "POST /upload/image", server: server)
    }
    let json = try response.json(route: "POST /upload/image", server: server)
    guard let name = json["name"]?.stringValue else {
      throw ComfyClientError.badResponse(
        server: server, route: "POST /upload/image",
        problem: .missingMember("a name", excerpt: response.excerpt))
    }
    return UploadedFile(
      name: name, subfolder: json["subfolder"]?.stringValue ?? subfolder,
      type: json["type"]?.stringValue ?? type)
  }

  /// GET /view: a file's bytes.
  public func view(_ file: OutputFile) async throws -> [UInt8] {
    let query =
      "filename=\(percentEncode(file.filename))&subfolder=\(percentEncode(file.subfolder))&type=\(percentEncode(file.type))"
    let response = try await send("GET", "/view?" + query, json: nil, limit: 1 << 30)
    switch response.status {
    case 200: return response.bytes
    case 404: throw ComfyClientError.fileNotFound(server: server, path: file.path)
    case 400, 403:
      throw ComfyClientError.fileRefused(server: server, path: file.path, status: response.status)
    default:
      throw response.unexpected(route: "GET /view", server: server)
    }
  }

  // MARK: - Transport

  /// GET a route and parse its JSON answer; any status but 200 is an error.
  public func getJSON(_ route: String) async throws -> JSONValue {
    let response = try await send("GET", route, json: nil)
    guard response.status == 200 else {
      throw response.unexpected(route: "GET " + route.prefix { $0 != "?" }, server: server)
    }
    return try response.json(route: "GET " + route, server: server)
  }

  private func postExpectingOK(_ route: String, _ body: JSONObject) async throws {
    let response = try await send("POST", route, json: .object(body))
    guard response.status == 200 else { throw response.unexpected(route: "POST " + route, server: server) }
  }

  func send(
    _ method: String, _ route: String, json: JSONValue?, limit: Int = 256 << 20
  ) async throws
    -> RawResponse
  {
    try await send(
      method, route, body: json.map { Array($0.serialized().utf8) },
      contentType: json == nil ? nil : "application/json", limit: limit)
  }

  /// Sends one request and collects the answer; connection failures become `cannotConnect` errors.
  func send(
    _ method: String, _ route: String, body: [UInt8]?, contentType: String?, limit: Int = 256 << 20
  )
    async throws -> RawResponse
  {
    var request = HTTPClientRequest(url: server.url(route))
    request.method = method == "POST" ? .POST : .GET
    if let body {
      request.body = .bytes(body)
      if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
    }
    request.headers.add(name: "Accept", value: "application/json")
    let name = "\(method) \(route.prefix { $0 != "?" })"
    let deadline = deadlines.overall(for: name)
    let http = self.http
    let server = self.server
    let prepared = request
    let traced = tap.isOn ? tap.nextID() : 0
    let started = Monotonic.now()
    if traced > 0 { tap.record { .request(id: traced, method: method, route: route, body: body) } }
    do {
      let answer = try await exchange(
        prepared, http: http, server: server, name: name, deadline: deadline, limit: limit)
      if traced > 0 {
        tap.record {
          .response(
            id: traced, method: method, route: route, status: answer.status, reason: answer.reason,
            seconds: Monotonic.now() - started, body: answer.bytes)
        }
      }
      return answer
    } catch {
      if traced > 0 {
        tap.record {
          .failed(
            id: traced, method: method, route: route, seconds: Monotonic.now() - started, error: "\(error)")
        }
      }
      throw error
    }
  }

  private func exchange(
    _ prepared: HTTPClientRequest, http: HTTPClient, server: ServerAddress, name: String, deadline: Duration,
    limit: Int
  ) async throws -> RawResponse {
    do {
      // The whole answer, body included, within the route's deadline (`RequestDeadlines`): the HTTP
      // client's idle timeout never fires on a body that drips a byte at a time, so a task beside the
      // request ends it at the deadline whatever the client does.
      return try await withThrowingTaskGroup(of: RawResponse?.self) { group in
        group.addTask {
          let response = try await http.execute(prepared, timeout: .nanoseconds(deadline.nanoseconds))
          let buffer = try await response.body.collect(upTo: limit)
          return RawResponse(
            status: Int(response.status.code), reason: response.status.reasonPhrase,
            contentType: response.headers.first(name: "Content-Type"), bytes: Array(buffer.readableBytesView))
        }
        group.addTask {
          try await Task.sleep(for: deadline)
          return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let answer = first else {
          throw ComfyClientError.timeout(server: server, route: name, after: deadline)
        }
        return answer
      }
    } catch let error as ComfyClientError {
      throw error
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      throw ComfyHTTP.describe(error, server: server, route: name, timeout: deadline)
    }
  }
}

/// An HTTP answer, collected.
struct RawResponse: Sendable {
  let status: Int
  let reason: String
  let contentType: String?
  let bytes: [UInt8]

  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// The first 200 characters of the body, on one line, for messages.
  var excerpt: String {
    let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return flat.count > 200 ? String(flat.prefix(200)) + "…" : flat
  }

  func json(route: String, server: ServerAddress) throws(ComfyClientError) -> JSONValue {
    do {
      return try JSONValue.parse(bytes: bytes)
    } catch {
      throw .badResponse(
        server: server, route: route, problem: .notJSON(parseError: "\(error)", excerpt: excerpt))
    }
  }

  /// The error for a status the caller did not expect, naming the route and what usually causes it.
  func unexpected(route: String, server: ServerAddress) -> ComfyClientError {
    .httpStatus(server: server, route: route, status: status, reason: reason, body: excerpt)
  }
}

/// The HTTP client all ComfyClients share, and how its errors read.
enum ComfyHTTP {
  /// One per process, like `HTTPClient.shared`, but failing at once on a refused connection instead of
  /// retrying until the deadline (a server that is down should be reported now, not in a minute).
  static let client: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .nanoseconds(RequestDeadlines.connect.nanoseconds)
    configuration.timeout.read = .nanoseconds(RequestDeadlines.idle.nanoseconds)
    configuration.decompression = .disabled
    configuration.redirectConfiguration = .disallow
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }()

  static func describe(
    _ error: any Error, server: ServerAddress, route: String, timeout: Duration
  ) -> ComfyClientError {
    if isReset(error) { return .connectionReset(server: server, route: route) }
    if let reason = connectionFailureReason(error) { return .cannotConnect(server: server, reason: reason) }
    if let http = error as? HTTPClientError {
      if http == .deadlineExceeded { return .timeout(server: server, route: route, after: timeout) }
      if http == .readTimeout {
        return .timeout(server: server, route: route, after: RequestDeadlines.idle, idle: true)
      }
      if http == .remoteConnectionClosed { return .connectionClosed(server: server, route: route) }
      if http == .bodyLengthMismatch { return .answerCutShort(server: server, route: route) }
    }
    if let parser = error as? HTTPParserError {
      // The connection closed inside the answer's head or body (a cut download, a server that died).
      if parser == .invalidEOFState { return .answerCutShort(server: server, route: route) }
      return .badResponse(
        server: server, route: route, problem: .notHTTP(parserError: parser.debugDescription))
    }
    if error is NIOTooManyBytesError { return .badResponse(server: server, route: route, problem: .tooLarge) }
    return .requestFailed(server: server, route: route, reason: "\(error)")
  }

  /// True for a connection that was made and then reset by the peer (ECONNRESET, or a broken pipe).
  static func isReset(_ error: any Error) -> Bool {
    if let io = error as? IOError { return io.errnoCode == ECONNRESET || io.errnoCode == EPIPE }
    return false
  }

  /// The reason a connection could not be made, in words (`connection refused`), or nil for other errors.
  static func connectionFailureReason(_ error: any Error) -> String? {
    if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
    if let connection = error as? NIOConnectionError {
      if let inner = connection.connectionErrors.first?.error {
        return connectionFailureReason(inner) ?? "\(inner)"
      }
      if connection.dnsAAAAError != nil || connection.dnsAError != nil {
        return "the host name does not resolve"
      }
      return "no address to connect to"
    }
    if let channel = error as? ChannelError, case .connectTimeout = channel {
      return "timed out while connecting"
    }
    if let http = error as? HTTPClientError {
      if http == .connectTimeout { return "timed out while connecting" }
      if http == .tlsHandshakeTimeout { return "the TLS handshake timed out" }
    }
    let text = String(describing: error)
    if text.contains("NIOSSL") || text.contains("handshake") || text.contains("certificate") {
      return "TLS failed: \(text)"
    }
    if text.contains("connectionRefused") || text.contains("Connection refused") {
      return "connection refused"
    }
    if text.contains("No such host") || text.contains("dnsFailure") {
      return "the host name does not resolve"
    }
    return nil
  }
}

extension Duration {
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }

  package var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }

  /// `2 s`, `0.5 s`.
  package var secondsText: String {
    let s = seconds
    return s == s.rounded() ? "\(Int(s)) s" : "\((s * 10).rounded() / 10) s"
  }
}
