/// A ComfyUI server's base URL, checked once, with the derived HTTP and WebSocket addresses.
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
  /// `http` or `https`.
  public let scheme: String
  /// The host as written (`127.0.0.1`, `localhost`, `[::1]`).
  public let host: String
  public let port: Int?
  /// A path prefix without the trailing slash (`""` for most servers, `/comfy` behind a proxy).
  public let basePath: String

  /// Reads `http://host:port[/prefix]`; a bare `host:port` is taken as http. ws/wss URLs are accepted too.
  public init(_ text: String) throws(ComfyClientError) {
    var rest = text.trimmingCharacters(in: " \t")
    guard !rest.isEmpty else {
      throw .invalidAddress(text: text, problem: .empty)
    }
    var scheme = "http"
    if let range = rest.firstRange(of: "://") {
      scheme = rest[..<range.lowerBound].lowercased()
      rest = String(rest[range.upperBound...])
    }
    switch scheme {
    case "http", "ws": scheme = "http"
    case "https", "wss": scheme = "https"
    default:
      throw .invalidAddress(text: text, problem: .unsupportedScheme)
    }
    var path = ""
    if let slash = rest.firstIndex(of: "/") {
      path = String(rest[slash...])
      rest = String(rest[..<slash])
    }
    if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<query]) }
    while path.hasSuffix("/") { path.removeLast() }
    var host = rest
    var port: Int?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        throw .invalidAddress(text: text, problem: .unclosedIPv6Bracket)
      }
      host = String(rest[...close])
      let after = rest[rest.index(after: close)...]
      if after.hasPrefix(":") {
        guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
          throw .invalidAddress(text: text, problem: .invalidPort)
        }
        port = p
      }
    } else if let colon = rest.lastIndex(of: ":") {
      host = String(rest[..<colon])
      guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
        throw .invalidAddress(text: text, problem: .invalidPort)
      }
      port = p
    }
    if host.contains("@") {
      throw .invalidAddress(text: text, problem: .userInfo)
    }
    guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else {
      throw .invalidAddress(text: text, problem: .noHost)
    }
    self.scheme = scheme
    self.host = host.lowercased()
    self.port = port
    self.basePath = path
  }

  /// ComfyUI's own default, `http://127.0.0.1:8188`.
  public static let comfyDefault = ServerAddress(scheme: "http", host: "127.0.0.1", port: 8188, basePath: "")

  private init(scheme: String, host: String, port: Int?, basePath: String) {
    self.scheme = scheme
    self.host = host
    self.port = port
    self.basePath = basePath
  }

  /// `http://127.0.0.1:8188` (with the prefix, no trailing slash).
  public var description: String { origin + basePath }

  /// `scheme://host[:port]`.
  public var origin: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }

  public var isTLS: Bool { scheme == "https" }

  /// The full URL of a route such as `/prompt` (query included as given).
  public func url(_ route: String) -> String { description + route }

  /// `ws://host:port/ws?clientId=ID` (wss for https).
  public func webSocketURL(clientID: String) -> String {
    (isTLS ? "wss" : "ws") + "://\(host)" + (port.map { ":\($0)" } ?? "") + basePath + "/ws?clientId="
      + percentEncode(clientID)
  }

  /// True for 127.0.0.0/8, ::1 and localhost: the addresses where plain http keeps a key on this machine.
  public var isLoopback: Bool {
    let bare = host.trimmingCharacters(in: "[]")
    return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
  }
}

extension String {
  func trimmingCharacters(in set: String) -> String {
    var scalars = Substring(self)
    while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
    while let last = scalars.last, set.contains(last) { scalars.removeLast() }
    return String(scalars)
  }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for query values).
func percentEncode(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for byte in text.utf8 {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
      UInt8(ascii: "~"):
      out.unicodeScalars.append(Unicode.Scalar(byte))
    default:
      let hex = String(byte, radix: 16, uppercase: true)
      out += "%" + (hex.count == 1 ? "0" + hex : hex)
    }
  }
  return out
}
