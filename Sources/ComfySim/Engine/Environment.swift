import ComfyRules
import Synchronization
import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The folders the simulator owns, like ComfyUI's `input/`, `output/` and `temp/`.
struct SimFolders: Sendable {
  let root: String
  let input: String
  let output: String
  let temp: String

  init(root: String) throws(FileError) {
    let root = Paths.absolute(root)
    self.root = root
    input = root + "/input"
    output = root + "/output"
    temp = root + "/temp"
    for folder in [root, input, output, temp] { try FileIO.createFolder(folder) }
  }

  /// `folder_paths.get_directory_by_type`.
  func folder(forType type: String) -> String? {
    switch type {
    case "output": output
    case "input": input
    case "temp": temp
    default: nil
    }
  }

  /// `folder_paths.annotated_filepath`: `name [output]`-style suffixes choose the folder.
  static func splitAnnotation(_ name: String) -> (name: String, type: String?) {
    for type in ["output", "input", "temp"] where name.hasSuffix("[\(type)]") {
      return (String(name.dropLast(type.count + 2)).trimmingTrailingSpace(), type)
    }
    return (name, nil)
  }

  /// The path LoadImage reads for its `image` value (input/ unless annotated).
  func inputPath(for value: String) -> String {
    let (name, type) = SimFolders.splitAnnotation(value)
    return Paths.join(type.flatMap { folder(forType: $0) } ?? input, name)
  }

  /// Image files directly in input/, sorted: LoadImage's choices.
  func inputImages() -> [String] {
    let extensions = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"]
    return Paths.list(input).filter { name in
      Paths.isFile(input + "/" + name) && extensions.contains { name.lowercased().hasSuffix($0) }
    }.sorted()
  }
}

extension String {
  fileprivate func trimmingTrailingSpace() -> String {
    var s = self
    while s.hasSuffix(" ") { s.removeLast() }
    return s
  }
}

/// Wall-clock milliseconds, as ComfyUI's message timestamps.
func currentMilliseconds() -> Int {
  var ts = timespec()
  clock_gettime(CLOCK_REALTIME, &ts)
  return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
}

/// A random uuid4 (`8-4-4-4-12` hex), ComfyUI's prompt ids.
func makeUUID() -> String {
  var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
  bytes[6] = (bytes[6] & 0x0F) | 0x40
  bytes[8] = (bytes[8] & 0x3F) | 0x80
  let hex = bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }
  return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
    + hex[8..<10].joined()
    + "-" + hex[10..<16].joined()
}

/// Everything the routes and the executor share, created once per simulator.
final class SimEnvironment: Sendable {
  let folders: SimFolders
  let ownsFolder: Bool
  /// nil: the built-in catalog (LoadImage's choices follow input/); else the `--catalog` document.
  let customObjectInfo: JSONObject?
  /// The digest of a `--catalog` object_info, taken once: it cannot change while the simulator runs.
  private let customCatalogDigest: String?
  let catalog: Catalog
  let validator: any PromptValidating
  let hub: Hub
  let queue: PromptQueue
  let stepDelay: Duration
  let samplerPreviews: Bool
  let comfyUI: SimulatedVersion
  /// `GET /node_replacements` under 0.33 (the built-in table, or the configuration's).
  let nodeReplacementsJSON: JSONValue
  private let faultState: Mutex<SimulatorFaults>
  private let keys = Mutex<[String]>([])
  private let requests = Mutex<[String]>([])

  init(configuration: SimulatorConfiguration) throws {
    // The catalog first: a bad one must not leave a data folder behind.
    if let document = configuration.catalogJSON {
      guard case .object(let object) = document else {
        throw SimulatorError(
          "the catalog is \(document.typeName), not an /object_info object of node classes")
      }
      customObjectInfo = object
      customCatalogDigest = ShortDigest.hex(document.serialized())
    } else {
      customObjectInfo = nil
      customCatalogDigest = nil
    }
    comfyUI = configuration.comfyUI
    catalog = try Catalog(
      objectInfo: .object(customObjectInfo ?? BuiltinCatalog.objectInfo(inputFiles: [], version: comfyUI)),
      comfyUIVersion: comfyUI.version)
    nodeReplacementsJSON = configuration.nodeReplacementsJSON ?? BuiltinCatalog.nodeReplacements
    validator = SharedPromptValidator(
      catalog: catalog, rules: comfyUI.rules,
      nodeReplacements: comfyUI.isCurrent ? NodeReplacements(json: nodeReplacementsJSON) : NodeReplacements())
    if let folder = configuration.dataFolder {
      folders = try SimFolders(root: folder)
      ownsFolder = false
    } else {
      folders = try SimFolders(root: try Paths.makeTemporaryFolder(prefix: "comfysim"))
      ownsFolder = true
    }
    hub = Hub(features: configuration.comfyUI.serverFeatures)
    queue = PromptQueue(hub: hub)
    stepDelay = configuration.stepDelay
    samplerPreviews = configuration.samplerPreviews
    faultState = Mutex(configuration.faults)
  }

  var faults: SimulatorFaults {
    get { faultState.withLock { $0 } }
    set { faultState.withLock { $0 = newValue } }
  }

  /// Applies `change` to the faults atomically and returns what it returned (one-shot faults).
  func withFaults<T>(_ change: (inout SimulatorFaults) -> T) -> T { faultState.withLock { change(&$0) } }

  /// The `/object_info` document served now.
  func objectInfo() -> JSONObject {
    customObjectInfo ?? BuiltinCatalog.objectInfo(inputFiles: folders.inputImages(), version: comfyUI)
  }

  /// Names what `/object_info` answers now (`system.catalog_digest` in /system_stats), so a client can
  /// cache a simulator's catalog as it caches a server's by version: a different `--catalog`, or an
  /// upload that adds a choice to the built-in catalog's image lists, gives a different digest.
  func catalogDigest() -> String {
    customCatalogDigest
      ?? ShortDigest.hex(
        BuiltinCatalog.digest(comfyUI) + "|" + folders.inputImages().joined(separator: "|"))
  }

  /// Whether the simulator "has" a model file: its own list, or the catalog's choices for it.
  func modelExists(folder: String, name: String, catalogClass: String, input: String) -> Bool {
    if BuiltinCatalog.models[folder]?.contains(name) ?? false { return true }
    return catalog[className: catalogClass]?.input(named: input)?.combo?.options.contains(.string(name))
      ?? false
  }

  func recordKey(_ key: String) { keys.withLock { $0.append(key) } }
  var receivedKeys: [String] { keys.withLock { $0 } }

  /// The last `requestLogLimit` are kept: a simulator may serve for days.
  func recordRequest(_ line: String) {
    requests.withLock {
      if $0.count >= Self.requestLogLimit { $0.removeFirst($0.count / 2) }
      $0.append(line)
    }
  }
  static let requestLogLimit = 10_000
  var receivedRequests: [String] { requests.withLock { $0 } }
}
