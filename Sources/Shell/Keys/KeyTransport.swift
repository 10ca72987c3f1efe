#if canImport(Glibc)
import Glibc
#endif

/// Whether sending a key to a server is safe on the wire: a key over plain `http` can be read by
/// anyone on the network path, unless the server is on this machine (loopback).
public enum KeyTransport {
  /// The host of `http://HOST[:PORT]/…` (brackets of an IPv6 literal removed, user info dropped),
  /// or nil when the URL is not plain http.
  public static func plainHTTPHost(_ url: String) -> String? {
    let text = KeyRules.trimmed(url)
    guard let range = text.firstRange(of: "://"), text[..<range.lowerBound].lowercased() == "http" else {
      return nil
    }
    var authority = text[range.upperBound...]
    if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
      authority = authority[..<end]
    }
    if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
    if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
      return String(authority[authority.index(after: authority.startIndex)..<close])
    }
    if let colon = authority.firstIndex(of: ":") { authority = authority[..<colon] }
    return String(authority)
  }

  /// `localhost` (and names under it), 127.0.0.0/8, `::1` and IPv4-mapped 127.x addresses.
  public static func isLoopback(_ host: String) -> Bool {
    var name = host.lowercased()
    if name.hasSuffix(".") { name.removeLast() }
    if name == "localhost" || name.hasSuffix(".localhost") { return true }
    var v4 = in_addr()
    if inet_pton(AF_INET, name, &v4) == 1 {
      return UInt32(bigEndian: v4.s_addr) >> 24 == 127
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, name, &v6) == 1 {
      let bytes = withUnsafeBytes(of: &v6) { Array($0) }
      if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
      let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
      return mapped && bytes[12] == 127
    }
    return false
  }

  /// The warning for sending key `keyName` to `serverURL`, or nil when that is safe.
  public static func warning(serverURL: String, keyName: String) -> String? {
    guard let host = plainHTTPHost(serverURL), !host.isEmpty, !isLoopback(host) else { return nil }
    return
      "the key \(keyName) would go over plain http to \(host), where anyone on the network path can read it: use https, or --insecure-key (or \(KeyRing.insecureVariable)=1) if you trust this network"
  }
}
