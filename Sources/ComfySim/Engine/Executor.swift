import ComfyRules
import Media
import Synchronization
import Workflow

/// Outputs a node produced, kept between prompts as ComfyUI's classic cache keeps them.
struct CacheEntry: Sendable {
  var outputs: [SimValue]
  /// `{"meta": …, "output": …}` when the node returned UI data (images for SaveImage/PreviewImage).
  var ui: JSONObject?
}

/// State that outlives one prompt: the output cache (keyed by input signature, so an identical
/// node is found again whatever its id) and per-node objects such as PreviewImage's random prefix.
struct ExecutionMemory: Sendable {
  var cache: [Int: CacheEntry] = [:]
  var nodeObjects: [String: (classType: String, previewPrefix: String)] = [:]
  var changeCounter = 0
}

/// Why a node stopped.
enum NodeFailure: Error {
  case interrupted
  /// A Python-style exception: `Exception`, `FileNotFoundError`, …; `message` without the final newline.
  case exception(type: String, message: String)
}

/// The queue worker: runs one prompt at a time, in ComfyUI's order and with its messages.
final class Executor: Sendable {
  private struct Control {
    var interruptRequested = false
    var current: Task<(ExecutionMemory, PromptRun.Outcome), Never>?
  }

  let environment: SimEnvironment
  private let control = Mutex(Control())

  init(environment: SimEnvironment) { self.environment = environment }

  /// The worker loop; returns when the queue is closed or the task is cancelled.
  func run() async {
    var memory = ExecutionMemory()
    while let (item, task) = await environment.queue.next() {
      let start = memory
      let environment = self.environment
      let job = Task { () -> (ExecutionMemory, PromptRun.Outcome) in
        var memory = start
        let outcome = await PromptRun(environment: environment, item: item, executor: self).run(
          memory: &memory)
        return (memory, outcome)
      }
      control.withLock { state in
        state.interruptRequested = false  // execute_async starts with interrupt_processing(False)
        state.current = job
      }
      let (after, outcome) = await withTaskCancellationHandler {
        await job.value
      } onCancel: {
        job.cancel()
      }
      control.withLock { $0.current = nil }
      memory = after
      if Task.isCancelled { return }
      environment.queue.finish(
        task: task, outputs: outcome.outputs, meta: outcome.meta,
        status: [
          "status_str": .string(outcome.success ? "success" : "error"), "completed": .bool(outcome.success),
          "messages": .array(outcome.messages),
        ])
      if let client = item.extraData["client_id"]?.stringValue {
        environment.hub.send("executing", ["node": nil, "prompt_id": .string(item.promptID)], to: client)
      }
    }
  }

  /// `POST /interrupt`: with a prompt id only if that prompt is running; without, whatever runs.
  func interrupt(promptID: String?) {
    if let promptID, !environment.queue.isRunning(promptID: promptID) { return }
    control.withLock { state in
      state.interruptRequested = true
      state.current?.cancel()
    }
  }

  var isInterruptRequested: Bool { control.withLock { $0.interruptRequested } }
}

/// One prompt's execution (`PromptExecutor.execute_async`), confined to its task.
final class PromptRun {
  struct Outcome: Sendable {
    var success = true
    var messages: [JSONValue] = []
    var outputs = JSONObject()
    var meta = JSONObject()
  }

  private struct ProgressEntry {
    var value: JSONValue
    var max: JSONValue
    var state: String
  }

  let environment: SimEnvironment
  let item: QueueItem
  let nodes: JSONObject
  let promptID: String
  let clientID: String?
  private unowned let executor: Executor
  private var outcome = Outcome()
  private var progress: [(id: String, entry: ProgressEntry)] = []
  private var executed: [String] = []
  private var signatures: [String: Int] = [:]
  /// Node being run now, for the progress hook.
  private(set) var currentNode = ""

  init(environment: SimEnvironment, item: QueueItem, executor: Executor) {
    self.environment = environment
    self.item = item
    nodes = item.prompt.objectValue ?? [:]
    promptID = item.promptID
    clientID = item.extraData["client_id"]?.stringValue
    self.executor = executor
  }

  var hub: Hub { environment.hub }

  func run(memory: inout ExecutionMemory) async -> Outcome {
    hub.setClient(clientID)
    addMessage("execution_start", ["prompt_id": .string(promptID)], broadcast: false)

    computeSignatures(&memory)
    let live = Set(signatures.values)
    memory.cache = memory.cache.filter { live.contains($0.key) }
    memory.nodeObjects = memory.nodeObjects.filter {
      nodes[$0.key]?["class_type"]?.stringValue == $0.value.classType
    }
    let cached = nodes.keys.filter { id in signatures[id].map { memory.cache[$0] != nil } ?? false }
    addMessage(
      "execution_cached", ["nodes": .array(cached.map { .string($0) }), "prompt_id": .string(promptID)],
      broadcast: false)

    var list = ExecutionList(
      prompt: nodes,
      isOutput: { [environment, nodes] id in
        nodes[id]?["class_type"]?.stringValue.flatMap { environment.catalog[className: $0]?.isOutputNode }
          ?? false
      },
      isAsync: { [environment, nodes] id in
        nodes[id]?["class_type"]?.stringValue.flatMap { environment.catalog[className: $0]?.isAPINode }
          ?? false
      },
      isCached: { [signatures, cache = memory.cache] id in signatures[id].map { cache[$0] != nil } ?? false })
    for output in item.outputs { list.addNode(output) }

    var failed = false
    running: while !list.isEmpty {
      guard let id = list.stage() else {
        let blamed = list.pendingNodes.first ?? ""
        reportError(
          nodeID: blamed, type: "graph.DependencyCycleError", message: "Dependency cycle detected",
          inputs: [:])
        failed = true
        break running
      }
      do {
        try await execute(id, memory: &memory)
        list.complete(id)
      } catch {
        outcome.success = false
        switch error {
        case .interrupted:
          addMessage(
            "execution_interrupted",
            [
              "prompt_id": .string(promptID), "node_id": .string(id), "node_type": classType(of: id),
              "executed": .array(executed.map { .string($0) }),
            ], broadcast: true)
        case .exception(let type, let message, let inputs):
          reportError(nodeID: id, type: type, message: message, inputs: inputs)
        }
        failed = true
        break running
      }
    }
    if !failed { addMessage("execution_success", ["prompt_id": .string(promptID)], broadcast: false) }

    for id in nodes.keys {
      guard let signature = signatures[id], let ui = memory.cache[signature]?.ui else { continue }
      outcome.outputs[id] = ui["output"] ?? .null
      outcome.meta[id] = ui["meta"] ?? .null
    }
    hub.setLastNode(nil)
    return outcome
  }

  // MARK: - Messages

  /// `PromptExecutor.add_message`: recorded for history, sent to the prompt's client (or to
  /// everyone when `broadcast`, used by `execution_interrupted`).
  private func addMessage(_ event: String, _ data: JSONObject, broadcast: Bool) {
    var data = data
    data["timestamp"] = .int(currentMilliseconds())
    outcome.messages.append(.array([.string(event), .object(data)]))
    if clientID != nil || broadcast { hub.send(event, .object(data), to: clientID) }
  }

  private func reportError(nodeID: String, type: String, message: String, inputs: JSONObject) {
    addMessage(
      "execution_error",
      [
        "prompt_id": .string(promptID), "node_id": .string(nodeID), "node_type": classType(of: nodeID),
        "executed": .array(executed.map { .string($0) }), "exception_message": .string(message + "\n"),
        "exception_type": .string(type),
        "traceback": [
          .string(
            "  File \"ComfySim\", line 1, in \(nodes[nodeID]?["class_type"]?.stringValue ?? "?")\n    (simulated node)\n"
          )
        ],
        "current_inputs": .object(inputs), "current_outputs": .array(nodes.keys.map { .string($0) }),
      ], broadcast: false)
  }

  private func classType(of id: String) -> JSONValue { nodes[id]?["class_type"] ?? .null }

  private func sendProgressState() {
    var out = JSONObject()
    for (id, entry) in progress where entry.state != "pending" {
      out[id] = [
        "value": entry.value, "max": entry.max, "state": .string(entry.state), "node_id": .string(id),
        "prompt_id": .string(promptID), "display_node_id": .string(id), "parent_node_id": nil,
        "real_node_id": .string(id),
      ]
    }
    hub.send("progress_state", ["prompt_id": .string(promptID), "nodes": .object(out)], to: clientID)
  }

  private func setProgress(_ id: String, _ change: (inout ProgressEntry) -> Void) {
    if let index = progress.firstIndex(where: { $0.id == id }) {
      change(&progress[index].entry)
    } else {
      var entry = ProgressEntry(value: 0, max: 1, state: "pending")
      change(&entry)
      progress.append((id, entry))
    }
    sendProgressState()
  }

  private static let floatZero = JSONValue.number(JSONNumber(uncheckedText: "0.0"))
  private static let floatOne = JSONValue.number(JSONNumber(uncheckedText: "1.0"))

  // MARK: - Nodes

  private enum RunFailure: Error {
    case interrupted
    case exception(type: String, message: String, inputs: JSONObject)
  }

  private func execute(_ id: String, memory: inout ExecutionMemory) async throws(RunFailure) {
    let classType = nodes[id]?["class_type"]?.stringValue ?? ""
    if let signature = signatures[id], let entry = memory.cache[signature] {
      if clientID != nil {
        hub.send(
          "executed",
          [
            "node": .string(id), "display_node": .string(id), "output": entry.ui?["output"] ?? .null,
            "prompt_id": .string(promptID),
          ], to: clientID)
      }
      setProgress(id) { entry in
        entry.state = "finished"
        entry.value = entry.max
      }
      return
    }

    currentNode = id
    setProgress(id) { entry in
      entry.state = "running"
      entry.value = PromptRun.floatZero
      entry.max = PromptRun.floatOne
    }
    let nodeClass = environment.catalog[className: classType]
    let (arguments, shown) = gatherInputs(id, nodeClass: nodeClass, memory: memory)
    if let clientID {
      hub.setLastNode(id)
      hub.send(
        "executing", ["node": .string(id), "display_node": .string(id), "prompt_id": .string(promptID)],
        to: clientID)
    }

    let result: NodeResult
    do {
      try checkInterrupt()
      while !environment.faults.heldNodes.isDisjoint(with: [classType, id]) {
        try await pause(.milliseconds(20))
      }
      if let delay = environment.faults.nodeDelays[classType] ?? environment.faults.nodeDelays[id] {
        try await pause(delay)
      }
      var call = NodeCall(
        id: id, classType: classType, nodeClass: nodeClass, arguments: arguments, run: self, memory: memory)
      result = try await call.perform()
      memory = call.memory
    } catch {
      switch error {
      case .interrupted: throw .interrupted
      case .exception(let type, let message): throw .exception(type: type, message: message, inputs: shown)
      }
    }

    var ui: JSONObject?
    if let output = result.ui, !output.isEmpty {
      let meta: JSONValue = [
        "node_id": .string(id), "display_node": .string(id), "parent_node": nil, "real_node_id": .string(id),
      ]
      ui = ["meta": meta, "output": .object(output)]
      if clientID != nil {
        hub.send(
          "executed",
          [
            "node": .string(id), "display_node": .string(id), "output": .object(output),
            "prompt_id": .string(promptID),
          ], to: clientID)
      }
    }
    if let signature = signatures[id] {
      memory.cache[signature] = CacheEntry(outputs: result.outputs, ui: ui)
    }
    setProgress(id) { entry in
      entry.state = "finished"
      entry.value = entry.max
    }
    executed.append(id)
  }

  /// The node's arguments by name (links resolved from the cache), and what `current_inputs`
  /// would show: each value as a one-element list, v1 hidden inputs included.
  private func gatherInputs(
    _ id: String, nodeClass: NodeClass?, memory: ExecutionMemory
  )
    -> ([String: SimValue], JSONObject)
  {
    var arguments: [String: SimValue] = [:]
    var shown = JSONObject()
    let inputs = nodes[id]?["inputs"]?.objectValue ?? [:]
    for (name, raw) in inputs {
      guard let nodeClass, nodeClass.liveInput(named: name, values: inputs) != nil else { continue }
      if case .link(let source, let slot) = InputValue(stored: raw) {
        guard let signature = signatures[source], let outputs = memory.cache[signature]?.outputs,
          slot < outputs.count
        else {
          shown[name] = [nil]
          continue
        }
        arguments[name] = outputs[slot]
        shown[name] = [outputs[slot].formatted]
      } else {
        arguments[name] = .json(raw)
        shown[name] = [SimValue.json(raw).formatted]
      }
    }
    for hidden in nodeClass?.hiddenInputs ?? [] where hidden.isArgument {
      let name = hidden.name
      let value: JSONValue
      switch hidden.kind {
      case "PROMPT": value = item.prompt
      case "EXTRA_PNGINFO": value = item.extraData["extra_pnginfo"] ?? .null
      case "UNIQUE_ID": value = .string(id)
      case "AUTH_TOKEN_COMFY_ORG": value = item.extraData["auth_token_comfy_org"] ?? .null
      case "API_KEY_COMFY_ORG": value = item.extraData["api_key_comfy_org"] ?? .null
      default: continue
      }
      arguments[name] = .json(value)
      shown[name] = [SimValue.json(value).formatted]
    }
    return (arguments, shown)
  }

  // MARK: - Hooks for nodes

  /// `throw_exception_if_processing_interrupted`.
  func checkInterrupt() throws(NodeFailure) {
    if executor.isInterruptRequested || Task.isCancelled { throw .interrupted }
  }

  /// Simulated work; an interrupt cuts it short.
  func pause(_ duration: Duration) async throws(NodeFailure) {
    guard duration > .zero else { return try checkInterrupt() }
    do {
      try await Task.sleep(for: duration)
    } catch {
      throw .interrupted
    }
    try checkInterrupt()
  }

  /// ComfyUI's progress hook: the interrupt check, `progress_state`, then `progress` and a preview
  /// frame (type 4 before `progress` for clients that asked for metadata, type 1 after it otherwise).
  func reportProgress(value: Int, max: Int, preview: SimImage? = nil) throws(NodeFailure) {
    try checkInterrupt()
    let node = currentNode
    setProgress(node) { entry in
      entry.state = "running"
      entry.value = .int(value)
      entry.max = .int(max)
    }
    let withMetadata = preview != nil && hub.supportsPreviewMetadata(clientID)
    if withMetadata, let preview {
      let metadata: JSONValue = [
        "node_id": .string(node), "prompt_id": .string(promptID), "display_node_id": .string(node),
        "parent_node_id": nil, "real_node_id": .string(node), "image_type": "image/png",
      ]
      let json = Array(Py.jsonDumps(metadata).utf8)
      var frame: [UInt8] = []
      BigEndian.appendUInt32(&frame, 4)
      BigEndian.appendUInt32(&frame, UInt32(json.count))
      frame += json
      frame += preview.png()
      hub.deliver(.binary(frame), to: clientID)
    }
    hub.send(
      "progress",
      ["value": .int(value), "max": .int(max), "prompt_id": .string(promptID), "node": .string(node)],
      to: clientID)
    if !withMetadata, let preview {
      var frame: [UInt8] = []
      BigEndian.appendUInt32(&frame, 1)
      BigEndian.appendUInt32(&frame, 2)  // PNG
      frame += preview.png()
      hub.deliver(.binary(frame), to: clientID)
    }
  }

  /// `send_progress_text`: a type-3 frame to every socket.
  func sendText(_ text: String) {
    var frame: [UInt8] = []
    BigEndian.appendUInt32(&frame, 3)
    let node = Array(currentNode.utf8)
    BigEndian.appendUInt32(&frame, UInt32(node.count))
    frame += node
    frame += Array(text.utf8)
    hub.deliver(.binary(frame), to: nil)
  }

  // MARK: - Cache signatures

  /// Each node's input signature (class, IS_CHANGED, inputs, recursively its sources), as the
  /// classic cache's keys; nodes that can never be cached (missing sources, cycles) get none.
  private func computeSignatures(_ memory: inout ExecutionMemory) {
    var done: [String: Int?] = [:]
    var visiting: Set<String> = []
    func signature(_ id: String) -> Int? {
      if let known = done[id] { return known }
      guard !visiting.contains(id), let node = nodes[id]?.objectValue,
        let classType = node["class_type"]?.stringValue
      else { return nil }
      visiting.insert(id)
      defer { visiting.remove(id) }
      let nodeClass = environment.catalog[className: classType]
      var hasher = Hasher()
      hasher.combine(classType)
      hasher.combine(changeToken(id, classType: classType, node: node, memory: &memory))
      if nodeClass?.hiddenInputs.contains(where: { $0.kind == "UNIQUE_ID" }) ?? false { hasher.combine(id) }
      let inputs = node["inputs"]?.objectValue ?? [:]
      for key in inputs.keys.sorted() {
        guard let raw = inputs[key] else { continue }
        hasher.combine(key)
        if case .link(let source, let slot) = InputValue(stored: raw) {
          guard let upstream = signature(source) else {
            done[id] = .some(nil)
            return nil
          }
          hasher.combine(upstream)
          hasher.combine(slot)
        } else {
          hasher.combine(Py.jsonDumps(raw))
        }
      }
      let value = hasher.finalize()
      done[id] = value
      return value
    }
    for id in nodes.keys {
      if let value = signature(id) { signatures[id] = value }
    }
  }

  /// `IS_CHANGED`: LoadImage hashes its file, SaveImageWebsocket always changes, others never.
  private func changeToken(
    _ id: String, classType: String, node: JSONObject, memory: inout ExecutionMemory
  )
    -> String
  {
    switch classType {
    case "LoadImage":
      let path = environment.folders.inputPath(for: node["inputs"]?["image"]?.stringValue ?? "")
      guard let bytes = try? FileIO.read(path) else { return "missing" }
      var hasher = Hasher()
      hasher.combine(bytes)
      return String(hasher.finalize())
    case "SaveImageWebsocket":
      memory.changeCounter += 1
      return "changed-\(memory.changeCounter)"
    default:
      return ""
    }
  }
}
