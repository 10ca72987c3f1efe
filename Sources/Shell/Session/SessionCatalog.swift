import ComfyRules
import Workflow

/// The session's node catalog: where it comes from, whether it has been read, and lookups in it.
/// Read on first use so start-up stays fast; without one, values are untyped and the session says so once.
@MainActor
public final class SessionCatalog {
  /// Where the catalog comes from and whether it has been read.
  enum State {
    /// Not looked for yet.
    case unknown
    /// Read (from `--catalog FILE`, the cache or the server).
    case loaded(Catalog, source: String)
    /// Looked for and not found; the reason is shown once, and `catalog --refresh` tries again.
    case unavailable(String)
  }

  /// `--catalog FILE`: the node catalog comes from this /object_info file instead of the server.
  public var path: String?
  /// `--comfyui VERSION`: the ComfyUI version the `path` file came from.
  public var fileVersion: String?
  /// Fetches the server's catalog (from the cache unless `refresh`); set by the session's server part.
  public var fetcher: ((_ refresh: Bool) async throws -> (Catalog, source: String))?
  /// Converts UI-format files on `load`; set once the catalog is read.
  public private(set) var uiConverter: WorkflowFile.UIConverter?
  private var state: State = .unknown
  private var noteShown = false
  private var refreshRequested = false
  private var loading: Task<Catalog?, Never>?
  /// Says once, when no catalog can be had, why and what values are then not checked.
  private let warn: (String) -> Void

  public init(warn: @escaping (String) -> Void) {
    self.warn = warn
  }

  /// The catalog if one can be had: `--catalog FILE`, else the server's (cached per server and version).
  public func load() async -> Catalog? {
    switch state {
    case .loaded(let catalog, _): return catalog
    case .unavailable: return nil
    case .unknown: break
    }
    // One look at a time: a command and the interactive warm-up may ask together.
    if let loading { return await loading.value }
    let attempt = Task { @MainActor in await self.read() }
    loading = attempt
    defer { loading = nil }
    return await attempt.value
  }

  private func read() async -> Catalog? {
    do {
      if let path {
        var catalog = try await CatalogCache.read(file: path)
        if let fileVersion { catalog.comfyUIVersion = fileVersion }
        state = .loaded(catalog, source: FileIO.baseName(of: path))
      } else if let fetcher {
        let (catalog, source) = try await fetcher(refreshRequested)
        refreshRequested = false
        state = .loaded(catalog, source: source)
      } else {
        state = .unavailable("no server and no --catalog FILE")
      }
    } catch {
      state = .unavailable(ShellError.from(error).message)
    }
    if case .unavailable(let reason) = state, !noteShown {
      noteShown = true
      warn(
        "no node catalog (\(reason)); values and links are not checked until one is available (`catalog --refresh`)"
      )
    }
    uiConverter = current.map { catalog in
      { @Sendable ui in
        let result = try convertUIWorkflowReporting(ui, catalog: catalog)
        return WorkflowFile.Converted(workflow: result.workflow, unknownTypes: result.unknownTypes)
      }
    }
    return current
  }

  /// The catalog if it has been read already; never reads or fetches (for synchronous paths).
  public var current: Catalog? {
    if case .loaded(let catalog, _) = state { return catalog }
    return nil
  }

  /// Forgets the catalog so the next use reads or fetches it again (`server`); `refreshing` also
  /// bypasses the cache (`catalog --refresh`).
  public func reset(refreshing: Bool = false) {
    state = .unknown
    noteShown = false
    refreshRequested = refreshing
    uiConverter = nil
  }

  /// Where the catalog came from (`object_info.json`, `server http://… (cached)`).
  public var source: String? {
    if case .loaded(_, let source) = state { return source }
    return nil
  }

  /// Why there is no catalog, once one was looked for.
  public var unavailableReason: String? {
    if case .unavailable(let reason) = state { return reason }
    return nil
  }

  /// The catalog entry for a node, if the class is known.
  public func nodeClass(of node: Node) -> NodeClass? {
    node.classType.flatMap { current?[className: $0] }
  }

  /// True for API nodes (paid, need a key).
  public func isPaid(_ node: Node) -> Bool { nodeClass(of: node)?.isAPINode ?? false }

  /// Output names of a class, for `NODE:NAME` addresses.
  public func outputNames(of classType: String) -> [String]? { current?.outputNames(of: classType) }
}
