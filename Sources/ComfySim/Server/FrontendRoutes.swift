import Hummingbird
import Synchronization
import Workflow

/// What ComfyUI's own page (the `comfyui-frontend-package` static files, given with
/// `comfysh sim --frontend DIR`) asks the server for while it starts: the user, settings, user data,
/// translations and templates, answered as a fresh single-user ComfyUI 0.3.64 would
/// (app/user_manager.py, app/app_settings.py, app/custom_node_manager.py). Settings and user files
/// live in memory for the simulator's lifetime; nothing is written to disk.
struct FrontendRoutes {
  let store: FrontendStore

  func add(to router: Router<SimRequestContext>, prefix: String) {
    let store = self.store
    func path(_ p: String) -> RouterPath { RouterPath(prefix + p) }

    router.get(path("/users")) { _, _ in Reply.json(["storage": "server", "migrated": true]) }
    router.get(path("/settings")) { _, _ in Reply.json(.object(store.settings())) }
    router.post(path("/settings")) { request, _ in
      guard case .object(let values)? = try await Routes.jsonBody(request) else { return Reply.serverError }
      store.updateSettings(values)
      return Reply.empty()
    }
    router.get(path("/settings/:id")) { _, context in
      Reply.json(store.settings()[context.parameters.get("id") ?? ""] ?? .null)
    }
    router.post(path("/settings/:id")) { request, context in
      guard let value = try await Routes.jsonBody(request) else { return Reply.serverError }
      store.updateSettings([context.parameters.get("id") ?? "": value])
      return Reply.empty()
    }
    // Listing a folder of user data: the page asks for workflows/ and subgraphs/ at start-up.
    router.get(path("/userdata")) { request, _ in
      let folder = Query(request.uri.query)["dir"] ?? ""
      return Reply.json(.array(store.files(under: folder).map { .string($0) }))
    }
    router.get(path("/v2/userdata")) { _, _ in Reply.json(.array([])) }
    router.get(path("/userdata/:file")) { _, context in
      guard let bytes = store.file(context.parameters.get("file") ?? "") else {
        return Reply.empty(.notFound)
      }
      return Response(status: .ok, body: .init(byteBuffer: .init(bytes: bytes)))
    }
    router.post(path("/userdata/:file")) { request, context in
      var request = request
      let name = context.parameters.get("file") ?? ""
      let body = try await request.collectBody(upTo: Routes.maximumBody)
      store.write(name, Array(body.readableBytesView))
      return Reply.json(.string(name))
    }
    router.delete(path("/userdata/:file")) { _, context in
      store.delete(context.parameters.get("file") ?? "")
      return Reply.empty(.noContent)
    }
    router.get(path("/i18n")) { _, _ in Reply.json([:]) }
    router.get(path("/workflow_templates")) { _, _ in Reply.json([:]) }
    router.get(path("/experiment/models")) { _, _ in
      Reply.json(.array(BuiltinCatalog.modelFolders.map { ["name": .string($0), "folders": []] }))
    }
    router.get(path("/internal/logs/raw")) { _, _ in
      Reply.json(["size": ["cols": 80, "rows": 24], "entries": []])
    }
    router.patch(path("/internal/logs/subscribe")) { _, _ in Reply.empty() }
    router.get(path("/internal/folder_paths")) { _, _ in Reply.json([:]) }
  }
}

/// The settings and user files the page writes, kept in memory.
final class FrontendStore: Sendable {
  private struct State {
    var settings = JSONObject()
    var files: [String: [UInt8]] = [:]
  }
  private let state = Mutex(State())

  init() {}

  func settings() -> JSONObject { state.withLock { $0.settings } }

  func updateSettings(_ values: JSONObject) {
    state.withLock { for (key, value) in values { $0.settings[key] = value } }
  }

  /// File names relative to `folder`, as `GET /userdata?dir=` lists them.
  func files(under folder: String) -> [String] {
    let prefix = folder.isEmpty || folder.hasSuffix("/") ? folder : folder + "/"
    return state.withLock { state in
      state.files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }
  }

  /// `%2F` in a user-data name is a folder separator.
  private static func normalised(_ name: String) -> String { Query.decode(Substring(name)) }

  func file(_ name: String) -> [UInt8]? { state.withLock { $0.files[Self.normalised(name)] } }
  func write(_ name: String, _ bytes: [UInt8]) { state.withLock { $0.files[Self.normalised(name)] = bytes } }
  func delete(_ name: String) { _ = state.withLock { $0.files.removeValue(forKey: Self.normalised(name)) } }
}
