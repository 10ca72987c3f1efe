/// A multipart/form-data body, as browsers send file uploads.
struct MultipartForm {
  let boundary: String
  private(set) var body: [UInt8] = []

  init() {
    let random = (0..<16).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
    boundary = "----comfysh" + random
  }

  mutating func addField(name: String, value: String) {
    append("--\(boundary)\r\n")
    append("Content-Disposition: form-data; name=\"\(escape(name))\"\r\n\r\n")
    append(value)
    append("\r\n")
  }

  mutating func addFile(name: String, filename: String, contentType: String, bytes: [UInt8]) {
    append("--\(boundary)\r\n")
    append("Content-Disposition: form-data; name=\"\(escape(name))\"; filename=\"\(escape(filename))\"\r\n")
    append("Content-Type: \(contentType)\r\n\r\n")
    body += bytes
    append("\r\n")
  }

  /// The body with its closing boundary.
  var finished: [UInt8] { body + Array("--\(boundary)--\r\n".utf8) }

  private mutating func append(_ text: String) { body += Array(text.utf8) }

  /// Quotes and line breaks cannot appear inside a quoted header value.
  private func escape(_ text: String) -> String {
    text.replacingAll("\"", with: "%22").replacingAll("\r", with: "%0D")
      .replacingAll("\n", with: "%0A")
  }

  static func contentType(for filename: String) -> String {
    let lower = filename.lowercased()
    if lower.hasSuffix(".png") { return "image/png" }
    if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") { return "image/jpeg" }
    if lower.hasSuffix(".webp") { return "image/webp" }
    if lower.hasSuffix(".gif") { return "image/gif" }
    return "application/octet-stream"
  }
}
