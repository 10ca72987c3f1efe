import Testing

@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// The recorded ComfyUI fixtures beside the package (`../shared/fixtures/comfyui`), or nil when absent.
enum Fixtures {
  static let root: String? = {
    var candidates: [String] = []
    if let env = getenv("COMFYSH_FIXTURES") { candidates.append(String(cString: env)) }
    let here = String(#filePath)
    // Tests/WorkflowTests/Fixtures.swift → package root
    let packageRoot = FileIO.parentFolder(of: FileIO.parentFolder(of: FileIO.parentFolder(of: here)))
    candidates.append(packageRoot + "/../shared/fixtures/comfyui")
    candidates.append("../shared/fixtures/comfyui")
    return candidates.first { FileIO.isFolder($0) }
  }()

  static var available: Bool {
    if root == nil { print("note: ../shared/fixtures/comfyui is missing; fixture tests are skipped") }
    return root != nil
  }

  static func path(_ relative: String) -> String { (root ?? ".") + "/" + relative }

  static func read(_ relative: String) throws -> [UInt8] { try FileIO.read(path(relative)) }

  static func json(_ relative: String) throws -> JSONValue { try JSONValue.parse(bytes: read(relative)) }

  /// Every file under the fixtures folder whose name ends with `suffix`.
  static func files(endingWith suffix: String) -> [String] {
    guard let root else { return [] }
    var result: [String] = []
    func walk(_ folder: String, _ prefix: String) {
      guard let dir = opendir(folder) else { return }
      defer { closedir(dir) }
      while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
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
