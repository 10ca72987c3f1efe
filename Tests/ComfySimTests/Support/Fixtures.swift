import Testing
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// The recorded ComfyUI fixtures beside the package (`../shared/fixtures/comfyui`), or nil when absent.
/// Tests that replay them are skipped (with a note) when the folder is missing.
enum Fixtures {
  static let root: String? = {
    var candidates: [String] = []
    if let env = getenv("COMFYSH_FIXTURES") { candidates.append(String(cString: env)) }
    let here = String(#filePath)
    // Tests/ComfySimTests/Support/Fixtures.swift → package root
    var packageRoot = here
    for _ in 0..<4 { packageRoot = FileIO.parentFolder(of: packageRoot) }
    candidates.append(packageRoot + "/../shared/fixtures/comfyui")
    candidates.append("../shared/fixtures/comfyui")
    return candidates.first { FileIO.isFolder($0) }
  }()

  static var available: Bool { root != nil }

  static func path(_ relative: String) -> String { (root ?? ".") + "/" + relative }

  static func read(_ relative: String) throws -> [UInt8] { try FileIO.read(path(relative)) }

  static func json(_ relative: String) throws -> JSONValue { try JSONValue.parse(bytes: read(relative)) }

  /// The lines of a `.jsonl` file, parsed.
  static func lines(_ relative: String) throws -> [JSONValue] {
    try FileIO.readText(path(relative)).split(separator: "\n").map { try JSONValue.parse(String($0)) }
  }

  /// The recorded request body of a `.post_prompt.json` (or any exchange) file.
  static func requestBody(_ relative: String) throws -> JSONValue {
    try json(relative)["request"]?["body"] ?? .null
  }

  /// Server→client message kinds of a recorded WebSocket log, for one socket (all when nil):
  /// the text message's type, or `binary:N` for a binary frame of event type N.
  static func messageKinds(_ relative: String, socket: Int? = nil) throws -> [String] {
    try lines(relative).compactMap { line in
      guard line["dir"]?.stringValue == "server->client" else { return nil }
      if let socket, line["socket"]?.numberValue?.int64Value != Int64(socket) { return nil }
      if line["kind"]?.stringValue == "binary" {
        return "binary:\(line["event_type"]?.numberValue?.text ?? "?")"
      }
      return line["msg"]?["type"]?.stringValue
    }
  }

  /// Server→client text messages of a recorded log (`{"type", "data"}`).
  static func messages(_ relative: String, socket: Int? = nil) throws -> [JSONValue] {
    try lines(relative).compactMap { line in
      guard line["dir"]?.stringValue == "server->client", line["kind"]?.stringValue == "text" else {
        return nil
      }
      if let socket, line["socket"]?.numberValue?.int64Value != Int64(socket) { return nil }
      return line["msg"]
    }
  }

  /// Files directly in a fixture folder whose names end with `suffix`, sorted.
  static func files(in folder: String, endingWith suffix: String) -> [String] {
    guard let root, let dir = opendir(root + "/" + folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasSuffix(suffix) { names.append(folder + "/" + name) }
    }
    return names.sorted()
  }
}

/// Skips a test (it shows as skipped, with the reason) when the recorded fixtures are missing.
let needsFixtures: ConditionTrait = .enabled(
  if: Fixtures.available, "needs the recorded ComfyUI fixtures in ../shared/fixtures/comfyui")
