import HTTPTypes
import Hummingbird
import NIOCore
import Workflow

/// `GET /view` and `POST /upload/image`, with server.py's path rules.
struct FileRoutes {
  let folders: SimFolders

  /// `view_image`: `..` or a leading `/` → 400, an unknown type → 400, a subfolder leaving the
  /// folder → 403, a missing file → 404. `preview=` and `channel=` are ignored: the file is sent
  /// as stored (the simulator cannot encode WebP or JPEG).
  func view(_ query: Query) -> Response {
    guard let requested = query["filename"] else { return Reply.empty(.notFound) }
    var (filename, annotated) = SimFolders.splitAnnotation(requested)
    guard !filename.isEmpty else { return Reply.empty(.badRequest) }
    if filename.hasPrefix("/") || filename.contains("..") { return Reply.empty(.badRequest) }
    guard var folder = folders.folder(forType: annotated ?? query["type"] ?? "output") else {
      return Reply.empty(.badRequest)
    }
    if let subfolder = query["subfolder"] {
      let full = Paths.join(folder, subfolder)
      guard Paths.isInside(Paths.absolute(full), folder) else { return Reply.empty(.forbidden) }
      folder = full
    }
    filename = Paths.basename(filename)
    let path = Paths.join(folder, filename)
    guard Paths.isFile(path), let bytes = try? FileIO.read(path) else { return Reply.empty(.notFound) }
    let info = Paths.fileInfo(path)
    var headers: HTTPFields = [
      .contentType: mimeType(forFile: filename),
      .contentDisposition: "filename=\"\(filename)\"",
      .acceptRanges: "bytes",
    ]
    if let info {
      headers[.eTag] = "\"\(String(info.modified, radix: 16))-\(String(info.size, radix: 16))\""
      headers[.lastModified] = httpDate(info.modified)
    }
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
  }

  /// `upload_image`: the same bytes under a taken name keep the name; other bytes get
  /// `name (1).ext`, `name (2).ext`…; `overwrite=true|1` replaces.
  func upload(_ request: Request) async throws -> Response {
    var request = request
    let body = try await request.collectBody(upTo: Routes.maximumBody)
    guard let contentType = request.headers[.contentType], let boundary = Multipart.boundary(contentType),
      let parts = Multipart.parse(Array(body.readableBytesView), boundary: boundary)
    else { return Reply.serverError }
    func field(_ name: String) -> String? {
      parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.data, as: UTF8.self) }
    }
    guard let image = parts.first(where: { $0.name == "image" && $0.filename != nil }),
      let original = image.filename,
      !original.isEmpty
    else { return Reply.empty(.badRequest) }
    let type = field("type") ?? "input"
    guard let base = folders.folder(forType: type) else { return Reply.serverError }
    let subfolder = field("subfolder") ?? ""
    let folder = Paths.join(base, Paths.normalize(subfolder))
    var filename = original
    var path = Paths.absolute(Paths.join(folder, filename))
    guard Paths.isInside(path, base) else { return Reply.empty(.badRequest) }
    do {
      try FileIO.createFolder(Paths.absolute(folder))
    } catch {
      return Reply.serverError
    }
    let (stem, ext) = FileRoutes.splitExtension(original)
    let overwrite = field("overwrite").map { $0 == "true" || $0 == "1" } ?? false
    var duplicate = false
    if !overwrite {
      var counter = 1
      while FileIO.exists(path) {
        if let existing = try? FileIO.read(path), existing == image.data {
          duplicate = true
          break
        }
        filename = "\(stem) (\(counter))\(ext)"
        path = Paths.absolute(Paths.join(folder, filename))
        counter += 1
      }
    }
    if !duplicate {
      do {
        try Paths.write(path, image.data)
      } catch {
        return Reply.serverError
      }
    }
    return Reply.json(["name": .string(filename), "subfolder": .string(subfolder), "type": .string(type)])
  }

  /// `os.path.splitext`: the extension starts at the last dot that is not leading.
  static func splitExtension(_ name: String) -> (String, String) {
    let base = Paths.basename(name)
    guard let dot = base.lastIndex(of: "."), base[..<dot].contains(where: { $0 != "." }) else {
      return (name, "")
    }
    let extensionLength = base.distance(from: dot, to: base.endIndex)
    return (String(name.dropLast(extensionLength)), String(base[dot...]))
  }
}
