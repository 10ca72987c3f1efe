import Media

/// A workflow read from disk, with what is needed to write it back the way it came.
public struct WorkflowFile: Sendable {
  /// Where the workflow came from; decides what `run` can send as `extra_pnginfo.workflow`.
  public enum Format: String, Sendable, Equatable {
    /// An "Export (API)" file: the prompt object itself.
    case api = "API format"
    /// A UI (LiteGraph) workflow, converted to API format on load.
    case ui = "UI format"
    /// A ComfyUI PNG with a `prompt` text chunk.
    case png = "PNG"
    /// A POST /prompt body (`{"prompt": {...}, ...}`).
    case promptBody = "POST /prompt body"
  }

  public var workflow: Workflow
  public var format: Format
  /// The UI-format workflow that came with it (a UI file, or a PNG's `workflow` chunk), if any.
  public var uiWorkflow: JSONValue?
  /// Whether the file ended with a newline, so an unedited save writes the same bytes.
  public var trailingNewline: Bool

  public init(workflow: Workflow, format: Format, uiWorkflow: JSONValue? = nil, trailingNewline: Bool = true)
  {
    self.workflow = workflow
    self.format = format
    self.uiWorkflow = uiWorkflow
    self.trailingNewline = trailingNewline
  }

  /// Converts a UI-format workflow to API format; supplied by whoever has the node catalog.
  public typealias UIConverter = @Sendable (JSONValue) throws -> Workflow

  /// Reads a workflow file: API JSON, a POST /prompt body, UI JSON (with `convertUI`), or a ComfyUI PNG.
  public static func load(path: String, convertUI: UIConverter? = nil) throws -> WorkflowFile {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(path)
    } catch {
      throw WorkflowError("cannot read \(path): \(error.reason)")
    }
    return try parse(bytes, name: path, convertUI: convertUI)
  }

  public static func parse(
    _ bytes: [UInt8], name: String, convertUI: UIConverter? = nil
  ) throws -> WorkflowFile {
    if PNGChunks.isPNG(bytes) { return try parsePNG(bytes, name: name, convertUI: convertUI) }
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes: bytes)
    } catch {
      throw WorkflowError(
        "\(name) is not valid JSON (\(error)); a workflow file is API-format JSON, UI JSON or a PNG")
    }
    let trailingNewline = bytes.last == 0x0A
    return try interpret(value, name: name, trailingNewline: trailingNewline, convertUI: convertUI)
  }

  /// True when reading these bytes needs the UI converter (a UI-format file, or a PNG that carries only
  /// a UI workflow), so a caller can fetch the catalog first and only then.
  public static func needsUIConversion(_ bytes: [UInt8]) -> Bool {
    if PNGChunks.isPNG(bytes) {
      guard let chunks = try? PNGChunks.read(bytes) else { return false }
      let keys = PNGChunks.textEntries(chunks).map(\.key)
      return !keys.contains("prompt") && keys.contains("workflow")
    }
    // A UI file starts with an object holding a "nodes" list; parse only when the text says so.
    guard bytes.count < 64 << 20, String(decoding: bytes.prefix(4096), as: UTF8.self).contains("\"nodes\""),
      let value = try? JSONValue.parse(bytes: bytes)
    else { return false }
    return isUIFormat(value)
  }

  /// True for LiteGraph's serialisation: a `nodes` list and a `links` list.
  public static func isUIFormat(_ value: JSONValue) -> Bool {
    guard case .object(let members) = value, case .array = members["nodes"] else { return false }
    return members["links"] != nil || members["last_node_id"] != nil || members["version"] != nil
  }

  static func interpret(
    _ value: JSONValue, name: String, trailingNewline: Bool, convertUI: UIConverter?
  ) throws
    -> WorkflowFile
  {
    if isUIFormat(value) {
      guard let convertUI else {
        throw WorkflowError(
          "\(name) is a UI-format workflow (the browser's Save); converting it needs the node catalog: "
            + "connect to a server or use --catalog FILE, or export it from ComfyUI with \"Export (API)\"")
      }
      do {
        return WorkflowFile(
          workflow: try convertUI(value), format: .ui, uiWorkflow: value, trailingNewline: trailingNewline)
      } catch let error as WorkflowError {
        throw WorkflowError("\(name): \(error.message)")
      }
    }
    if case .object(let members) = value, case .object = members["prompt"] {
      let workflow = try workflow(from: members["prompt"] ?? .null, name: name)
      let ui = members["extra_data"]?["extra_pnginfo"]?["workflow"]
      return WorkflowFile(
        workflow: workflow, format: .promptBody, uiWorkflow: ui, trailingNewline: trailingNewline)
    }
    return WorkflowFile(
      workflow: try workflow(from: value, name: name), format: .api, trailingNewline: trailingNewline)
  }

  private static func workflow(from value: JSONValue, name: String) throws(WorkflowError) -> Workflow {
    do {
      return try Workflow(apiJSON: value)
    } catch {
      throw WorkflowError("\(name): \(error.message)")
    }
  }

  private static func parsePNG(_ bytes: [UInt8], name: String, convertUI: UIConverter?) throws -> WorkflowFile
  {
    let chunks: [PNGChunks.Chunk]
    do {
      chunks = try PNGChunks.read(bytes)
    } catch {
      throw WorkflowError("\(name): \(error)")
    }
    let texts = PNGChunks.textEntries(chunks)
    let uiText = texts.first { $0.key == "workflow" }?.text
    let ui = uiText.flatMap { try? JSONValue.parse($0) }
    if let promptText = texts.first(where: { $0.key == "prompt" })?.text {
      let prompt: JSONValue
      do {
        prompt = try JSONValue.parse(promptText)
      } catch {
        throw WorkflowError("\(name): the PNG's prompt chunk is not valid JSON (\(error))")
      }
      return WorkflowFile(workflow: try workflow(from: prompt, name: name), format: .png, uiWorkflow: ui)
    }
    if let ui, convertUI != nil {
      var file = try interpret(ui, name: name, trailingNewline: true, convertUI: convertUI)
      file.format = .png
      return file
    }
    let keys = texts.map(\.key)
    throw WorkflowError(
      "\(name) is a PNG without a ComfyUI prompt (its text chunks: \(keys.isEmpty ? "none" : keys.joined(separator: ", "))); "
        + "only images saved by ComfyUI's SaveImage carry the workflow")
  }

  /// The text of an API-format file in the layout of ComfyUI's "Export (API)" (`JSON.stringify(p, null, 2)`).
  public static func render(_ workflow: Workflow, trailingNewline: Bool = true) -> String {
    let text = workflow.json.serialized(.indented(2))
    return trailingNewline ? text + "\n" : text
  }

  /// Writes the workflow as API JSON atomically.
  public static func save(
    _ workflow: Workflow, to path: String, trailingNewline: Bool = true
  ) throws(WorkflowError) {
    do {
      try FileIO.writeAtomically(path, text: render(workflow, trailingNewline: trailingNewline))
    } catch {
      throw WorkflowError("cannot write \(path): \(error.reason)")
    }
  }
}
