import Media
import OrderedCollections

/// A workflow read from disk, with what is needed to write it back the way it came.
public struct WorkflowFile: Sendable {
  /// Where the workflow came from; decides what `run` can send as `extra_pnginfo.workflow`.
  public enum Format: String, Sendable, Equatable {
    /// An "Export (API)" file: the prompt object itself.
    case api = "API format"
    /// A UI (LiteGraph) workflow, converted to API format on load.
    case ui = "UI format"
    /// A ComfyUI PNG with a `prompt` and/or `workflow` text chunk.
    case png = "PNG"
    /// A ComfyUI WEBP (SaveAnimatedWEBP and friends), `prompt`/`workflow` in its EXIF.
    case webp = "WEBP"
    /// A POST /prompt body (`{"prompt": {...}, ...}`).
    case promptBody = "POST /prompt body"
  }

  /// Which of a file's two workflows to read when it has both (`load --ui` / `load --api`).
  public enum Preference: Sendable, Equatable {
    /// The API prompt when there is one, else the UI workflow.
    case automatic
    /// The UI workflow, converted as the frontend does.
    case ui
    /// The API prompt only.
    case api
  }

  public var workflow: Workflow
  public var format: Format
  /// The UI-format workflow that came with it (a UI file, or a PNG's `workflow` chunk), if any.
  public var uiWorkflow: JSONValue?
  /// Whether the file ended with a newline, so an unedited save writes the same bytes.
  public var trailingNewline: Bool
  /// For images and POST bodies: which part was read and why (`its prompt chunk (tEXt); …`).
  public var source: String?
  /// Node types of a converted UI workflow that the catalog does not know, with their node ids.
  public var unknownTypes: OrderedDictionary<String, [String]> = [:]

  public init(
    workflow: Workflow, format: Format, uiWorkflow: JSONValue? = nil, trailingNewline: Bool = true,
    source: String? = nil
  ) {
    self.workflow = workflow
    self.format = format
    self.uiWorkflow = uiWorkflow
    self.trailingNewline = trailingNewline
    self.source = source
  }

  /// A UI workflow converted to API format, with the node types the catalog did not know.
  public struct Converted: Sendable {
    public var workflow: Workflow
    public var unknownTypes: OrderedDictionary<String, [String]>
    public init(workflow: Workflow, unknownTypes: OrderedDictionary<String, [String]> = [:]) {
      self.workflow = workflow
      self.unknownTypes = unknownTypes
    }
  }

  /// Converts a UI-format workflow to API format; supplied by whoever has the node catalog.
  public typealias UIConverter = @Sendable (JSONValue) throws -> Converted

  /// Reads a workflow file: API JSON, a POST /prompt body, UI JSON (with `convertUI`), or a ComfyUI
  /// PNG or WEBP.
  public static func load(
    path: String, convertUI: UIConverter? = nil, prefer: Preference = .automatic
  ) throws -> WorkflowFile {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(path)
    } catch {
      throw WorkflowError("cannot read \(path): \(error.reason)")
    }
    return try parse(bytes, name: path, convertUI: convertUI, prefer: prefer)
  }

  public static func parse(
    _ bytes: [UInt8], name: String, convertUI: UIConverter? = nil, prefer: Preference = .automatic
  ) throws -> WorkflowFile {
    if ImageMetadata.isImage(bytes) {
      return try parseImage(bytes, name: name, convertUI: convertUI, prefer: prefer)
    }
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes: bytes)
    } catch {
      throw WorkflowError(
        "\(name) is not valid JSON (\(error)); a workflow file is API-format JSON, UI JSON, a PNG or a WEBP")
    }
    let trailingNewline = bytes.last == 0x0A
    return try interpret(
      value, name: name, trailingNewline: trailingNewline, convertUI: convertUI, prefer: prefer)
  }

  /// True when reading these bytes needs the UI converter (a UI-format file, or an image whose
  /// workflow will be the UI one), so a caller can fetch the catalog first and only then.
  public static func needsUIConversion(_ bytes: [UInt8], prefer: Preference = .automatic) -> Bool {
    if ImageMetadata.isImage(bytes) {
      guard prefer != .api, let metadata = try? ImageMetadata.read(bytes) else { return false }
      if prefer == .ui { return metadata["workflow"] != nil }
      let prompt = metadata["prompt"].flatMap { try? JSONValue.parse($0.text) }
      return prompt == nil && metadata["workflow"] != nil
    }
    if prefer == .ui { return true }
    // A UI file starts with an object holding a "nodes" list; parse only when the text says so.
    guard bytes.count < 64 << 20, contains(Array("\"nodes\"".utf8), inFirst: 4096, of: bytes),
      let value = try? JSONValue.parse(bytes: bytes)
    else { return false }
    return isUIFormat(value)
  }

  /// Whether `needle` lies within the first `limit` bytes of `bytes` (a byte search: decoding the text
  /// to compare characters cost more than the rest of an API-format load's check).
  static func contains(_ needle: [UInt8], inFirst limit: Int, of bytes: [UInt8]) -> Bool {
    guard let first = needle.first, bytes.count >= needle.count else { return false }
    let lastStart = min(limit, bytes.count) - needle.count
    guard lastStart >= 0 else { return false }
    for start in 0...lastStart where bytes[start] == first {
      if bytes[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
  }

  /// True for LiteGraph's serialisation: a `nodes` list and a `links` list.
  public static func isUIFormat(_ value: JSONValue) -> Bool {
    guard case .object(let members) = value, case .array = members["nodes"] else { return false }
    return members["links"] != nil || members["last_node_id"] != nil || members["version"] != nil
      || members["definitions"] != nil
  }

  static func interpret(
    _ value: JSONValue, name: String, trailingNewline: Bool, convertUI: UIConverter?, prefer: Preference
  ) throws -> WorkflowFile {
    if isUIFormat(value) {
      if prefer == .api {
        throw WorkflowError(
          "\(name) is a UI-format workflow (the browser's Save) and holds no API prompt; `load` converts it")
      }
      return try converted(value, name: name, trailingNewline: trailingNewline, convertUI: convertUI)
    }
    if case .object(let members) = value, case .object = members["prompt"] {
      let ui = members["extra_data"]?["extra_pnginfo"]?["workflow"]
      if prefer == .ui {
        guard let ui else {
          throw WorkflowError("\(name) is a POST /prompt body without a UI workflow (extra_pnginfo)")
        }
        var file = try converted(ui, name: name, trailingNewline: trailingNewline, convertUI: convertUI)
        file.format = .promptBody
        file.source = "its extra_pnginfo workflow (UI format, converted), as --ui asked"
        return file
      }
      let workflow = try workflow(from: members["prompt"] ?? .null, name: name)
      return WorkflowFile(
        workflow: workflow, format: .promptBody, uiWorkflow: ui, trailingNewline: trailingNewline)
    }
    if prefer == .ui {
      throw WorkflowError(
        "\(name) is an API-format workflow; it has no UI workflow to convert (load it without --ui)")
    }
    return WorkflowFile(
      workflow: try workflow(from: value, name: name), format: .api, trailingNewline: trailingNewline)
  }

  private static func converted(
    _ ui: JSONValue, name: String, trailingNewline: Bool, convertUI: UIConverter?
  ) throws -> WorkflowFile {
    guard let convertUI else {
      throw WorkflowError(
        "\(name) holds a UI-format workflow (the browser's Save); converting it needs the node catalog: "
          + "connect to a server or use --catalog FILE, or export it from ComfyUI with \"Export (API)\"")
    }
    do {
      let result = try convertUI(ui)
      var file = WorkflowFile(
        workflow: result.workflow, format: .ui, uiWorkflow: ui, trailingNewline: trailingNewline)
      file.unknownTypes = result.unknownTypes
      return file
    } catch let error as WorkflowError {
      throw WorkflowError("\(name): \(error.message)")
    }
  }

  private static func workflow(from value: JSONValue, name: String) throws(WorkflowError) -> Workflow {
    do {
      return try Workflow(apiJSON: value)
    } catch {
      throw WorkflowError("\(name): \(error.message)")
    }
  }

  /// A PNG's text chunks or a WEBP's EXIF: the `prompt` (API) unless it is missing or broken or
  /// `--ui` asks for the `workflow` (UI); `source` says which was read and why.
  private static func parseImage(
    _ bytes: [UInt8], name: String, convertUI: UIConverter?, prefer: Preference
  ) throws -> WorkflowFile {
    let metadata: ImageMetadata
    do {
      metadata = try ImageMetadata.read(bytes)
    } catch {
      throw WorkflowError("\(name): \(error); it cannot be read for a workflow")
    }
    let format: Format = metadata.format == .png ? .png : .webp
    let kind = metadata.format == .png ? "chunk" : "EXIF entry"
    func place(_ entry: MetadataEntry) -> String {
      metadata.format == .png ? "its \(entry.key) chunk (\(entry.container))" : "its \(entry.key) EXIF entry"
    }
    func unreadable(_ key: String) -> UnreadableEntry? { metadata.unreadable.first { $0.key == key } }
    /// The entry's JSON, or why it is not JSON.
    func parsed(_ entry: MetadataEntry) -> Result<JSONValue, WorkflowError> {
      do {
        return .success(try JSONValue.parse(entry.text))
      } catch {
        return .failure(WorkflowError("\(place(entry)) is not valid JSON (\(error))"))
      }
    }
    func get(_ result: Result<JSONValue, WorkflowError>) throws(WorkflowError) -> JSONValue {
      do {
        return try result.get()
      } catch {
        throw WorkflowError("\(name): \(error.message)")
      }
    }
    let promptEntry = metadata["prompt"]
    let workflowEntry = metadata["workflow"]
    let prompt = promptEntry.map(parsed)
    let ui = workflowEntry.map(parsed)
    let uiValue: JSONValue? = if case .success(let value)? = ui { value } else { nil }

    func fromPrompt(_ value: JSONValue, _ entry: MetadataEntry, why: String) throws -> WorkflowFile {
      var file = WorkflowFile(
        workflow: try workflow(from: value, name: name), format: format, uiWorkflow: uiValue)
      file.source = "from \(place(entry))" + why
      return file
    }
    func fromWorkflow(_ value: JSONValue, _ entry: MetadataEntry, why: String) throws -> WorkflowFile {
      var file = try converted(value, name: name, trailingNewline: true, convertUI: convertUI)
      file.format = format
      file.source = "from \(place(entry)), UI format converted" + why
      return file
    }
    func missing(_ key: String) -> String {
      if let broken = unreadable(key) {
        return "its \(key) \(kind) (\(broken.container)) cannot be read: \(broken.reason)"
      }
      return "it has no \(key) \(kind)"
    }

    switch prefer {
    case .api:
      guard let promptEntry, let prompt else {
        throw WorkflowError(
          "\(name): \(missing("prompt"))"
            + (workflowEntry != nil ? "; `load --ui` converts its workflow" : ""))
      }
      return try fromPrompt(try get(prompt), promptEntry, why: ", as --api asked")
    case .ui:
      guard let workflowEntry, let ui else {
        throw WorkflowError(
          "\(name): \(missing("workflow"))" + (promptEntry != nil ? "; `load` reads its prompt" : ""))
      }
      return try fromWorkflow(try get(ui), workflowEntry, why: ", as --ui asked")
    case .automatic:
      if let promptEntry, case .success(let value)? = prompt {
        let also = workflowEntry == nil ? "" : "; it has a workflow \(kind) too (`load --ui` converts that)"
        return try fromPrompt(value, promptEntry, why: also)
      }
      if let workflowEntry, let ui {
        let why: String
        if case .failure(let error)? = prompt {
          why = "; " + error.message
        } else {
          why = "; \(missing("prompt"))"
        }
        return try fromWorkflow(try get(ui), workflowEntry, why: why)
      }
      if let prompt { _ = try get(prompt) }
      if let ui { _ = try get(ui) }
      let keys =
        metadata.entries.map(\.key) + metadata.unreadable.map { "\($0.key) (unreadable: \($0.reason))" }
      let container = metadata.format == .png ? "text chunks" : "EXIF entries"
      throw WorkflowError(
        "\(name) is a \(format.rawValue) without a ComfyUI prompt or workflow (its \(container): "
          + "\(keys.isEmpty ? "none" : keys.joined(separator: ", "))); only images saved by ComfyUI carry the workflow"
      )
    }
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
