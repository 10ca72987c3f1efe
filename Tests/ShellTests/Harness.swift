import Synchronization
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Collects what a session prints, split into stdout and stderr lines.
final class OutputBuffer: Sendable {
  private let out = Mutex<String>("")
  private let err = Mutex<String>("")

  var sinks: (TextSink, TextSink) {
    (
      TextSink(write: { text in self.out.withLock { $0 += text } }),
      TextSink(write: { text in self.err.withLock { $0 += text } })
    )
  }

  var stdout: String { out.withLock { $0 } }
  var stderr: String { err.withLock { $0 } }
  var outLines: [String] {
    stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
  }

  func clear() {
    out.withLock { $0 = "" }
    err.withLock { $0 = "" }
  }
}

/// A session wired to buffers, in its own temporary folder.
@MainActor
final class ShellHarness {
  let output = OutputBuffer()
  let session: Session
  let interpreter: Interpreter
  let folder: String

  init(json: Bool = false, sourceName: String? = nil) {
    let (out, err) = output.sinks
    session = Session(console: Console(jsonMode: json, out: out, err: err))
    interpreter = Interpreter(session: session)
    interpreter.sourceName = sourceName
    folder = TemporaryFolder.make()
    session.baseFolder = folder
  }

  /// Runs commands; returns true when all succeeded.
  @discardableResult
  func run(_ text: String) async -> Bool {
    await interpreter.run(text: text)
  }

  /// Runs commands that must succeed and returns what they printed to stdout.
  func ok(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    output.clear()
    let succeeded = await interpreter.run(text: text)
    #expect(succeeded, "\(text) failed: \(output.stderr)", sourceLocation: sourceLocation)
    return output.stdout
  }

  /// Runs a command that must fail; returns the error text. Checks that the workflow did not change.
  func fails(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
    output.clear()
    let before = session.workflow
    let dirty = session.document.isDirty
    let succeeded = await interpreter.run(text: text)
    #expect(!succeeded, "\(text) should have failed", sourceLocation: sourceLocation)
    #expect(
      session.workflow == before, "a failed command changed the workflow", sourceLocation: sourceLocation)
    #expect(session.document.isDirty == dirty, sourceLocation: sourceLocation)
    return output.stderr
  }

  func write(_ name: String, _ text: String) -> String {
    let path = folder + "/" + name
    try? FileIO.writeAtomically(path, text: text)
    return path
  }

  func read(_ name: String) -> String? { try? FileIO.readText(folder + "/" + name) }

  /// The seed workflow of the fixtures' README, written by hand so tests do not depend on ../shared.
  static let seedWorkflow = """
    {
      "11": {
        "inputs": {
          "prompt": "A dreamy portrait",
          "prompt_upsampling": false,
          "seed": 589991183902375,
          "aspect_ratio": "1:1",
          "raw": false,
          "image_prompt_strength": 0.4000000000000001,
          "image_prompt": [
            "14",
            0
          ]
        },
        "class_type": "FluxProUltraImageNode",
        "_meta": {
          "title": "Flux 1.1 [pro] Ultra Image"
        }
      },
      "12": {
        "inputs": {
          "filename_prefix": "ComfyUI",
          "images": [
            "11",
            0
          ]
        },
        "class_type": "SaveImage",
        "_meta": {
          "title": "Save Image"
        }
      },
      "14": {
        "inputs": {
          "image": "example.png"
        },
        "class_type": "LoadImage",
        "_meta": {
          "title": "Load Image"
        }
      }
    }

    """

  /// Loads the seed workflow from a file in the harness folder.
  func loadSeed() async {
    _ = write("seed.json", Self.seedWorkflow)
    _ = await ok("load seed.json")
  }
}
