import ComfyClient
import ComfySim
import Testing
import Workflow

/// Runs `body` against a fresh in-process simulator on a free loopback port, with a connection to it;
/// closes both afterwards, whatever happens.
func withSimulator<T>(
  _ configuration: SimulatorConfiguration = SimulatorConfiguration(),
  _ body: (ComfySimulator, ComfyConnection) async throws -> T
) async throws -> T {
  let simulator = try ComfySimulator(configuration)
  try await simulator.start()
  let connection = ComfyConnection(client: ComfyClient(server: try ServerAddress(simulator.baseURL)))
  do {
    let result = try await body(simulator, connection)
    await connection.close()
    await simulator.stop()
    return result
  } catch {
    await connection.close()
    await simulator.stop()
    throw error
  }
}

/// Small prompts for the simulator's built-in catalog.
enum Prompts {
  /// EmptyImage → ImageInvert → SaveImage; `color` makes it differ from the last run (no cache).
  static func basic(color: Int = Int.random(in: 0...16_777_215), prefix: String = "client") -> Workflow {
    let json: JSONValue = [
      "1": [
        "inputs": ["width": 64, "height": 64, "batch_size": 1, "color": .int(color)],
        "class_type": "EmptyImage", "_meta": ["title": "EmptyImage"],
      ],
      "2": ["inputs": ["image": ["1", 0]], "class_type": "ImageInvert", "_meta": ["title": "Invert Image"]],
      "3": [
        "inputs": ["filename_prefix": .string(prefix), "images": ["2", 0]], "class_type": "SaveImage",
        "_meta": ["title": "Save Image"],
      ],
    ]
    return (try? Workflow(apiJSON: json)) ?? Workflow()
  }

  /// EmptyImage → upscale (progress steps) → PreviewImage.
  static func upscale(size: Int = 1024, color: Int = Int.random(in: 0...16_777_215)) -> Workflow {
    let json: JSONValue = [
      "1": [
        "inputs": ["width": .int(size), "height": .int(size), "batch_size": 1, "color": .int(color)],
        "class_type": "EmptyImage",
      ],
      "2": ["inputs": ["model_name": "sim-upscale-x2.safetensors"], "class_type": "UpscaleModelLoader"],
      "3": [
        "inputs": ["upscale_model": ["2", 0], "image": ["1", 0]], "class_type": "ImageUpscaleWithModel",
      ],
      "4": ["inputs": ["images": ["3", 0]], "class_type": "PreviewImage"],
    ]
    return (try? Workflow(apiJSON: json)) ?? Workflow()
  }

  static func body(_ workflow: Workflow, clientID: String, front: Bool = false) -> JSONObject {
    var body: JSONObject = ["client_id": .string(clientID), "prompt": workflow.json, "extra_data": [:]]
    if front { body["front"] = true }
    return body
  }
}

extension ComfyConnection {
  /// Submits a prompt with this connection's client id.
  func run(_ workflow: Workflow) async throws -> QueuedPrompt {
    try await submit(body: Prompts.body(workflow, clientID: clientID), prompt: workflow)
  }

  /// Follows a prompt to its end and returns the final tracker and every event seen.
  func finish(_ id: String, timeout: Duration = .seconds(20)) async throws -> (PromptTracker, [FollowEvent]) {
    var events: [FollowEvent] = []
    var last: PromptTracker?
    for try await event in follow(id, inactivityTimeout: timeout) {
      events.append(event)
      switch event {
      case .snapshot(let t), .update(_, let t): last = t
      default: break
      }
    }
    return (try #require(last), events)
  }
}
