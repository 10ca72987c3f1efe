import Testing
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// One set of recordings from a real ComfyUI server beside the package (`../shared/fixtures/NAME`).
public struct FixtureSet: Sendable {
  /// The folder name under `fixtures/` (`comfyui`, `comfyui-0.33`).
  public let folder: String
  /// The ComfyUI version the set was recorded from.
  public let version: String
  /// The set's folder, or nil when it is not there.
  public let root: String?

  init(folder: String, version: String) {
    self.folder = folder
    self.version = version
    // `COMFYSH_FIXTURES` names the `fixtures` folder that holds every set (a folder that does not
    // exist hides them, to see what runs without); else they are looked for beside the package.
    if let env = getenv("COMFYSH_FIXTURES") {
      let path = String(cString: env) + "/" + folder
      root = FileIO.isFolder(path) ? path : nil
      return
    }
    // Tests/TestSupport/Fixtures.swift → the package root.
    var packageRoot = String(#filePath)
    for _ in 0..<3 { packageRoot = FileIO.parentFolder(of: packageRoot) }
    let candidates = [packageRoot + "/../shared/fixtures/" + folder, "../shared/fixtures/" + folder]
    root = candidates.first { FileIO.isFolder($0) }
  }

  public var available: Bool { root != nil }

  public func path(_ relative: String) -> String {
    (root ?? "/nonexistent/fixtures/\(folder)") + "/" + relative
  }

  public func read(_ relative: String) throws -> [UInt8] { try FileIO.read(path(relative)) }

  public func text(_ relative: String) throws -> String { try FileIO.readText(path(relative)) }

  public func json(_ relative: String) throws -> JSONValue { try JSONValue.parse(bytes: read(relative)) }

  /// The lines of a `.jsonl` file, parsed.
  public func lines(_ relative: String) throws -> [JSONValue] {
    try text(relative).split(separator: "\n").map { try JSONValue.parse(String($0)) }
  }

  /// The recorded request body of a `.post_prompt.json` (or any exchange) file.
  public func requestBody(_ relative: String) throws -> JSONValue {
    try json(relative)["request"]?["body"] ?? .null
  }

  /// The `response.body` of a recorded HTTP exchange.
  public func responseBody(_ relative: String) throws -> JSONValue {
    try json(relative)["response"]?["body"] ?? .null
  }

  /// Server→client message kinds of a recorded WebSocket log, for one socket (all when nil):
  /// the text message's type, or `binary:N` for a binary frame of event type N.
  public func messageKinds(_ relative: String, socket: Int? = nil) throws -> [String] {
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
  public func messages(_ relative: String, socket: Int? = nil) throws -> [JSONValue] {
    try lines(relative).compactMap { line in
      guard line["dir"]?.stringValue == "server->client", line["kind"]?.stringValue == "text" else {
        return nil
      }
      if let socket, line["socket"]?.numberValue?.int64Value != Int64(socket) { return nil }
      return line["msg"]
    }
  }

  /// Files directly in a folder of the set whose names end with `suffix`, as paths relative to the set.
  public func files(in folder: String, endingWith suffix: String) -> [String] {
    guard let root else { return [] }
    return FileIO.names(in: root + "/" + folder).filter { $0.hasSuffix(suffix) }.map { folder + "/" + $0 }
      .sorted()
  }

  /// Every file under the set whose name ends with `suffix`, at any depth, relative to the set.
  public func files(endingWith suffix: String) -> [String] {
    guard let root else { return [] }
    var result: [String] = []
    func walk(_ folder: String, _ prefix: String) {
      for name in FileIO.names(in: folder) {
        let full = folder + "/" + name
        if FileIO.isFolder(full) {
          walk(full, prefix + name + "/")
        } else if name.hasSuffix(suffix) {
          result.append(prefix + name)
        }
      }
    }
    walk(root, "")
    return result.sorted()
  }
}

/// The recorded sets. Tests that read one carry its trait, so a missing set is a reported skip, and
/// `Scripts/test.sh` fails when a set is there but a test that needs it was skipped anyway.
public enum Fixtures {
  /// ComfyUI 0.3.64 (October 2025), frontend 1.27.10.
  public static let comfyUI_0_3_64 = FixtureSet(folder: "comfyui", version: "0.3.64")
  /// ComfyUI 0.33.0 (August 2026), frontend 1.49.6.
  public static let comfyUI_0_33 = FixtureSet(folder: "comfyui-0.33", version: "0.33.0")
  /// Both sets, oldest first.
  public static let all = [comfyUI_0_3_64, comfyUI_0_33]

  // The 0.3.64 set is the default of the helpers below, as most tests were written against it.
  public static var root: String? { comfyUI_0_3_64.root }
  public static var available: Bool { comfyUI_0_3_64.available }
  public static func path(_ relative: String) -> String { comfyUI_0_3_64.path(relative) }
  public static func read(_ relative: String) throws -> [UInt8] { try comfyUI_0_3_64.read(relative) }
  public static func text(_ relative: String) throws -> String { try comfyUI_0_3_64.text(relative) }
  public static func json(_ relative: String) throws -> JSONValue { try comfyUI_0_3_64.json(relative) }
  public static func lines(_ relative: String) throws -> [JSONValue] { try comfyUI_0_3_64.lines(relative) }
  public static func requestBody(_ relative: String) throws -> JSONValue {
    try comfyUI_0_3_64.requestBody(relative)
  }
  public static func responseBody(_ relative: String) throws -> JSONValue {
    try comfyUI_0_3_64.responseBody(relative)
  }
  public static func messageKinds(_ relative: String, socket: Int? = nil) throws -> [String] {
    try comfyUI_0_3_64.messageKinds(relative, socket: socket)
  }
  public static func messages(_ relative: String, socket: Int? = nil) throws -> [JSONValue] {
    try comfyUI_0_3_64.messages(relative, socket: socket)
  }
  public static func files(in folder: String, endingWith suffix: String) -> [String] {
    comfyUI_0_3_64.files(in: folder, endingWith: suffix)
  }
  public static func files(endingWith suffix: String) -> [String] {
    comfyUI_0_3_64.files(endingWith: suffix)
  }
}

/// Skips a test, reported as skipped with the reason, when the ComfyUI 0.3.64 recordings are missing.
public let needsFixtures: ConditionTrait = .enabled(
  if: Fixtures.comfyUI_0_3_64.available,
  "needs the recorded ComfyUI 0.3.64 fixtures in ../shared/fixtures/comfyui")

/// The same for the ComfyUI 0.33 recordings.
public let needsFixtures033: ConditionTrait = .enabled(
  if: Fixtures.comfyUI_0_33.available,
  "needs the recorded ComfyUI 0.33 fixtures in ../shared/fixtures/comfyui-0.33")
