import ComfyRules
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The request context: Hummingbird's basics, WebSocket support, and the connection's channel so
/// a fault can cut the TCP connection.
struct SimRequestContext: RequestContext, WebSocketRequestContext {
  var coreContext: CoreRequestContextStorage
  let webSocket: WebSocketHandlerReference<SimRequestContext>
  let channel: any Channel

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    webSocket = .init()
    channel = source.channel
  }
}

/// Responses in aiohttp's shapes.
enum Reply {
  static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    var buffer = ByteBuffer()
    buffer.writeString(Py.jsonDumps(value))
    return Response(
      status: status, headers: [.contentType: "application/json; charset=utf-8"],
      body: .init(byteBuffer: buffer))
  }

  static func empty(_ status: HTTPResponse.Status = .ok) -> Response { Response(status: status) }

  static func text(_ text: String, status: HTTPResponse.Status) -> Response {
    Response(
      status: status, headers: [.contentType: "text/plain; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  /// What aiohttp answers when a handler raises (invalid JSON bodies, for instance).
  static var serverError: Response {
    text("500 Internal Server Error\n\nServer got itself in trouble", status: .internalServerError)
  }
}

/// aiohttp's query parsing: `+` is a space, `%XX` is decoded, a key without `=` has an empty value.
struct Query {
  private var items: [(String, String)] = []

  init(_ query: String?) {
    guard let query, !query.isEmpty else { return }
    for part in query.split(separator: "&", omittingEmptySubsequences: true) {
      if let eq = part.firstIndex(of: "=") {
        items.append((Query.decode(part[..<eq]), Query.decode(part[part.index(after: eq)...])))
      } else {
        items.append((Query.decode(part), ""))
      }
    }
  }

  subscript(key: String) -> String? { items.first { $0.0 == key }?.1 }

  static func decode(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
      if byte == UInt8(ascii: "+") {
        bytes.append(0x20)
      } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
        let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(value)
        utf8 = utf8.dropFirst(2)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// The route a request is for, without the `/api` alias prefix.
func canonicalPath(_ path: String) -> String {
  if path == "/api" { return "/" }
  return path.hasPrefix("/api/") ? String(path.dropFirst(4)) : path
}

/// Route delays and one-shot 500s from `SimulatorFaults`.
struct FaultMiddleware: RouterMiddleware {
  typealias Context = SimRequestContext
  let environment: SimEnvironment

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws
    -> Response
  {
    environment.recordRequest("\(request.method) \(request.uri)")
    let path = canonicalPath(request.uri.path)
    let (delay, fail) = environment.withFaults { faults -> (Duration?, Bool) in
      let delay = faults.key(for: path, in: faults.routeDelays).flatMap { faults.routeDelays[$0] }
      let table = Dictionary(uniqueKeysWithValues: faults.failOnce.map { ($0, true) })
      guard let failKey = faults.key(for: path, in: table) else { return (delay, false) }
      faults.failOnce.remove(failKey)
      return (delay, true)
    }
    if let delay { try await Task.sleep(for: delay) }
    if fail { return Reply.serverError }
    return try await next(request, context)
  }
}

/// ComfyUI's `origin_only_middleware`: when Host is a loopback name and Origin names another host,
/// the request is refused with 403 (a web page must not drive a local server).
struct OriginMiddleware: RouterMiddleware {
  typealias Context = SimRequestContext

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws
    -> Response
  {
    if let host = request.head.authority, let origin = request.headers[.origin],
      OriginMiddleware.mismatch(host: host, origin: origin)
    {
      return Reply.empty(.forbidden)
    }
    return try await next(request, context)
  }

  static func mismatch(host: String, origin: String) -> Bool {
    let hostPart = split(host.lowercased())
    // Origin is a URL: scheme://host[:port]
    var rest = origin.lowercased()[...]
    if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
    if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
    let originPart = split(String(rest))
    guard isLoopback(hostPart.name) else { return false }
    let hostDomain = originPart.port == nil ? hostPart.name : host.lowercased()
    let originDomain = hostPart.port == nil ? originPart.name : String(rest)
    guard !hostDomain.isEmpty, !originDomain.isEmpty else { return false }
    return hostDomain != originDomain
  }

  private static func split(_ hostPort: String) -> (name: String, port: String?) {
    if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
      let name = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
      let after = hostPort[hostPort.index(after: close)...]
      return (name, after.hasPrefix(":") ? String(after.dropFirst()) : nil)
    }
    if let colon = hostPort.lastIndex(of: ":") {
      return (String(hostPort[..<colon]), String(hostPort[hostPort.index(after: colon)...]))
    }
    return (hostPort, nil)
  }

  static func isLoopback(_ name: String) -> Bool {
    name == "localhost" || name == "::1" || name.hasPrefix("127.")
  }
}

/// Wraps the HTTP/WebSocket child channel so `refuseConnections` can close new connections as
/// soon as they are accepted.
struct GatedChannel<Inner: ServerChildChannel>: ServerChildChannel {
  typealias Value = Inner.Value
  let inner: Inner
  let environment: SimEnvironment

  func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
    if environment.faults.refuseConnections {
      channel.close(promise: nil)
      return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
    }
    return inner.setup(channel: channel, logger: logger)
  }

  func handle(value: Value, logger: Logger) async {
    await inner.handle(value: value, logger: logger)
  }
}

/// One part of a `multipart/form-data` body.
struct FormPart {
  var name: String
  var filename: String?
  var data: [UInt8]
}

enum Multipart {
  /// The boundary parameter of a multipart Content-Type.
  static func boundary(_ contentType: String) -> String? {
    for parameter in contentType.split(separator: ";").dropFirst() {
      let trimmed = parameter.trimmingCharacters()
      guard trimmed.lowercased().hasPrefix("boundary=") else { continue }
      var value = String(trimmed.dropFirst("boundary=".count))
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
        value = String(value.dropFirst().dropLast())
      }
      return value.isEmpty ? nil : value
    }
    return nil
  }

  static func parse(_ body: [UInt8], boundary: String) -> [FormPart]? {
    let delimiter = Array("--\(boundary)".utf8)
    var parts: [FormPart] = []
    guard var position = find(delimiter, in: body, from: 0) else { return nil }
    while true {
      position += delimiter.count
      if body.count >= position + 2, body[position] == UInt8(ascii: "-"),
        body[position + 1] == UInt8(ascii: "-")
      {
        return parts
      }
      if body.count >= position + 2, body[position] == 13, body[position + 1] == 10 { position += 2 }
      guard let headerEnd = find([13, 10, 13, 10], in: body, from: position) else { return nil }
      let headers = String(decoding: body[position..<headerEnd], as: UTF8.self)
      let dataStart = headerEnd + 4
      guard let next = find([13, 10] + delimiter, in: body, from: dataStart) else { return nil }
      var name: String?
      var filename: String?
      for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
        name = parameter("name", in: line)
        filename = parameter("filename", in: line)
      }
      if let name {
        parts.append(FormPart(name: name, filename: filename, data: Array(body[dataStart..<next])))
      }
      position = next + 2
    }
  }

  private static func parameter(_ key: String, in line: Substring) -> String? {
    for piece in line.split(separator: ";").dropFirst() {
      let trimmed = piece.trimmingCharacters()
      guard trimmed.hasPrefix(key + "=") else { continue }
      var value = String(trimmed.dropFirst(key.count + 1))
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
        value = String(value.dropFirst().dropLast())
      }
      return value
    }
    return nil
  }

  private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    var i = start
    let last = haystack.count - needle.count
    while i <= last {
      if haystack[i] == needle[0] {
        var j = 1
        while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
        if j == needle.count { return i }
      }
      i += 1
    }
    return nil
  }
}

/// HTTP dates (`Thu, 26 Nov 2026 05:17:41 GMT`) for Last-Modified.
func httpDate(_ seconds: Int) -> String {
  var time = time_t(seconds)
  var parts = tm()
  gmtime_r(&time, &parts)
  let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
  let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
  func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
  return "\(days[Int(parts.tm_wday) % 7]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon) % 12]) "
    + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
}

/// Python's `mimetypes.guess_type` for the file kinds ComfyUI serves.
func mimeType(forFile name: String) -> String {
  let lower = name.lowercased()
  let table: [(String, String)] = [
    (".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"), (".webp", "image/webp"),
    (".gif", "image/gif"), (".bmp", "image/bmp"), (".svg", "image/svg+xml"), (".json", "application/json"),
    (".txt", "text/plain"), (".mp4", "video/mp4"), (".webm", "video/webm"), (".mp3", "audio/mpeg"),
    (".wav", "audio/x-wav"), (".flac", "audio/flac"), (".glb", "model/gltf-binary"),
  ]
  return table.first { lower.hasSuffix($0.0) }?.1 ?? "application/octet-stream"
}
