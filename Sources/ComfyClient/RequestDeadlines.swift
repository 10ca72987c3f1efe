/// How long comfysh waits on the server, per request (Docs/reliability.md, "Limits"). Every request has
/// an overall deadline, so a server that sends one byte a second cannot keep a command going; large
/// transfers get a longer one. Every request also fails when the connection cannot be made within
/// `connect` or no byte comes for `idle` (those two are the process-wide HTTP client's).
public struct RequestDeadlines: Sendable, Equatable {
  /// Making the TCP connection (and the TLS handshake).
  public static let connect: Duration = .seconds(5)
  /// No byte of an answer for this long fails any request, whatever its overall deadline.
  public static let idle: Duration = .seconds(15)

  /// A whole answer to an ordinary request (/system_stats, /queue, /history, /prompt, /interrupt…).
  public var request: Duration
  /// A whole `/object_info` answer (0.5 MB on a stock server, several MB with many custom nodes).
  public var catalog: Duration
  /// A whole `/view` download or `/upload/image` upload, which may be large but keeps moving.
  public var transfer: Duration

  public init(
    request: Duration = .seconds(15), catalog: Duration = .seconds(30), transfer: Duration = .seconds(300)
  ) {
    self.request = request
    self.catalog = catalog
    self.transfer = transfer
  }

  public static let standard = RequestDeadlines()

  /// Which deadline applies to a route (`GET /object_info`, `GET /view`, `POST /upload/image`…).
  public func overall(for route: String) -> Duration {
    let path = route.split(separator: " ").last.map(String.init) ?? route
    if path.hasPrefix("/object_info") { return catalog }
    if path.hasPrefix("/view") || path.hasPrefix("/upload") { return transfer }
    return request
  }
}
