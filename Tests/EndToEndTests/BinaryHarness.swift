import Foundation
import TestSupport
import Testing

@testable import Workflow

/// Runs the built `comfysh` binary (`swift build` puts it in `.build/debug`) as a user would.
struct Binary {
  static let packageRoot: String = {
    var path = String(#filePath)
    for _ in 0..<3 { path = FileIO.parentFolder(of: path) }
    return path
  }()

  static let path: String = {
    if let env = ProcessInfo.processInfo.environment["COMFYSH_BINARY"] { return env }
    return packageRoot + "/.build/debug/comfysh"
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs comfysh with arguments and optional standard input, in `folder`, with its own XDG folders.
  /// The waiting happens off the cooperative threads, which the in-process simulator needs meanwhile.
  static func run(
    _ arguments: [String], stdin: String? = nil, in folder: String, environment: [String: String] = [:]
  ) async throws -> Result {
    try await OwnThread.run { try runBlocking(arguments, stdin: stdin, in: folder, environment: environment) }
  }

  private static func runBlocking(
    _ arguments: [String], stdin: String?, in folder: String, environment: [String: String]
  ) throws -> Result {
    guard FileManager.default.isExecutableFile(atPath: path) else {
      throw ShellFailure("the comfysh binary is missing at \(path); run `swift build` first")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var env = ProcessInfo.processInfo.environment
    env["XDG_CONFIG_HOME"] = folder + "/.config"
    env["XDG_STATE_HOME"] = folder + "/.state"
    env["XDG_CACHE_HOME"] = folder + "/.cache"
    env.removeValue(forKey: "COMFYSH_SERVER")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  static func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "comfysh-e2e-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

struct ShellFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

enum Fixtures {
  static let root: String? = {
    let path = Binary.packageRoot + "/../shared/fixtures/comfyui"
    return FileIO.isFolder(path) ? path : nil
  }()

  static var available: Bool {
    if root == nil { print("note: ../shared/fixtures/comfyui is missing; fixture tests are skipped") }
    return root != nil
  }

  static func path(_ relative: String) -> String { (root ?? ".") + "/" + relative }
}
