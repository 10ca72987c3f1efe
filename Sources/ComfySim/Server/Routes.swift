import ComfyRules
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTTP and WebSocket routes of ComfyUI's `server.py`, each also under `/api`.
struct Routes {
  let environment: SimEnvironment
  let executor: Executor
  let port: @Sendable () -> Int
  /// ComfyUI's page (`comfysh sim --frontend DIR`): its static files and the routes it needs at start-up.
  var frontendFolder: String? = nil

  static let maximumBody = 100 * 1024 * 1024 + 65536

  func build() -> Router<SimRequestContext> {
    let router = Router(context: SimRequestContext.self)
    router.middlewares.add(FaultMiddleware(environment: environment))
    router.middlewares.add(OriginMiddleware())
    let frontend = frontendFolder.map { _ in FrontendRoutes(store: FrontendStore()) }
    if let frontendFolder {
      router.middlewares.add(FileMiddleware(frontendFolder, searchForIndexHtml: true))
    }
    for prefix in ["", "/api"] {
      add(router, prefix)
      frontend?.add(to: router, prefix: prefix)
    }
    return router
  }

  private func add(_ router: Router<SimRequestContext>, _ prefix: String) {
    let environment = self.environment
    let executor = self.executor
    let port = self.port
    func path(_ p: String) -> RouterPath { RouterPath(prefix + p) }

    router.ws(
      path("/ws"),
      onUpgrade: { inbound, outbound, context in
        await WebSocketSession(environment: environment).serve(
          inbound: inbound, outbound: outbound, context: context)
      })

    router.get(path("/prompt")) { _, _ in
      Reply.json(["exec_info": ["queue_remaining": .int(environment.queue.remaining)]])
    }
    router.post(path("/prompt")) { request, _ in
      try await PromptRoute(environment: environment).post(request)
    }
    router.get(path("/queue")) { _, _ in
      let (running, pending) = environment.queue.snapshot()
      return Reply.json(["queue_running": .array(running), "queue_pending": .array(pending)])
    }
    router.post(path("/queue")) { request, _ in
      guard case .object(let body)? = try await Routes.jsonBody(request) else { return Reply.serverError }
      if let clear = body["clear"], Routes.truthy(clear) { environment.queue.wipe() }
      if let delete = body["delete"]?.arrayValue {
        for id in delete { if let id = id.stringValue { environment.queue.delete(promptID: id) } }
      }
      return Reply.empty()
    }
    router.post(path("/interrupt")) { request, _ in
      let body = try? await Routes.jsonBody(request)
      if case .string(let id)? = body?["prompt_id"], !id.isEmpty {
        executor.interrupt(promptID: id)
      } else if body?["prompt_id"].map(Routes.truthy) ?? false {
        // A prompt id that is not a string never matches a running prompt.
      } else {
        executor.interrupt(promptID: nil)
      }
      return Reply.empty()
    }
    router.post(path("/free")) { request, _ in
      guard case .object? = try await Routes.jsonBody(request) else { return Reply.serverError }
      return Reply.empty()
    }
    router.get(path("/history")) { request, _ in
      let query = Query(request.uri.query)
      var maxItems: Int?
      if let text = query["max_items"] {
        guard let value = Int(text.trimmingCharacters()) else {
          return Reply.text("max_items must be an integer", status: .badRequest)
        }
        maxItems = value
      }
      var offset: Int?
      if let text = query["offset"] {
        guard let value = Int(text.trimmingCharacters()) else { return Reply.serverError }
        offset = value
      }
      return Reply.json(.object(environment.queue.history(maxItems: maxItems, offset: offset)))
    }
    router.get(path("/history/:prompt_id")) { _, context in
      Reply.json(.object(environment.queue.history(promptID: context.parameters.get("prompt_id") ?? "")))
    }
    router.post(path("/history")) { request, _ in
      guard case .object(let body)? = try await Routes.jsonBody(request) else { return Reply.serverError }
      if let clear = body["clear"], Routes.truthy(clear) { environment.queue.clearHistory() }
      for id in body["delete"]?.arrayValue ?? [] {
        if let id = id.stringValue { environment.queue.deleteHistory(promptID: id) }
      }
      return Reply.empty()
    }
    router.get(path("/object_info")) { _, _ in Reply.json(.object(environment.objectInfo())) }
    router.get(path("/object_info/:node_class")) { _, context in
      let name = context.parameters.get("node_class") ?? ""
      var out = JSONObject()
      if let info = environment.objectInfo()[name] { out[name] = info }
      return Reply.json(.object(out))
    }
    router.get(path("/system_stats")) { _, _ in
      Reply.json(
        Routes.systemStats(
          port: port(), catalogDigest: environment.catalogDigest(), version: environment.comfyUI))
    }
    router.get(path("/features")) { _, _ in Reply.json(environment.hub.serverFeatures) }
    if environment.comfyUI.isCurrent {
      router.get(path("/node_replacements")) { _, _ in Reply.json(environment.nodeReplacementsJSON) }
      if prefix == "/api" { JobsRoutes(environment: environment, executor: executor).add(to: router) }
    }
    router.get(path("/embeddings")) { _, _ in Reply.json(.array([])) }
    router.get(path("/extensions")) { _, _ in Reply.json(.array([])) }
    router.get(path("/models")) { _, _ in Reply.json(.array(BuiltinCatalog.modelFolders.map { .string($0) }))
    }
    router.get(path("/models/:folder")) { _, context in
      let folder = context.parameters.get("folder") ?? ""
      guard BuiltinCatalog.modelFolders.contains(folder) else { return Reply.empty(.notFound) }
      return Reply.json(.array((BuiltinCatalog.models[folder] ?? []).map { .string($0) }))
    }
    router.get(path("/view")) { request, _ in
      FileRoutes(folders: environment.folders).view(Query(request.uri.query))
    }
    router.post(path("/upload/image")) { request, _ in
      try await FileRoutes(folders: environment.folders).upload(request)
    }
  }

  /// The request body as JSON; nil when it is not valid JSON (the caller answers 500, as aiohttp).
  static func jsonBody(_ request: Request) async throws -> JSONValue? {
    var request = request
    let buffer = try await request.collectBody(upTo: maximumBody)
    return try? JSONValue.parse(bytes: Array(buffer.readableBytesView))
  }

  /// Python truthiness of a JSON value.
  static func truthy(_ value: JSONValue) -> Bool {
    switch value {
    case .null: false
    case .bool(let b): b
    case .number(let n): n.doubleValue != 0
    case .string(let s): !s.isEmpty
    case .array(let a): !a.isEmpty
    case .object(let o): !o.isEmpty
    }
  }

  static func systemStats(port: Int, catalogDigest: String, version: SimulatedVersion) -> JSONValue {
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let total = Int(sysconf(Int32(_SC_PHYS_PAGES))) * pageSize
    #if canImport(Glibc)
    let free = Int(sysconf(Int32(_SC_AVPHYS_PAGES))) * pageSize
    #else
    let free = total / 2
    #endif
    return [
      "system": [
        "os": "posix", "ram_total": .int(total), "ram_free": .int(free),
        "comfyui_version": .string(version.version),
        "required_frontend_version": .string(version.frontendVersion),
        "installed_templates_version": "0.1.95",
        "required_templates_version": "0.1.95",
        "python_version": "none (ComfySim, a simulator written in Swift)",
        "pytorch_version": "none (simulated)", "embedded_python": false,
        "argv": ["comfysh", "sim", "--port", .string(String(port))],
        "simulator": .string(
          "ComfySim: a ComfyUI \(version.version) simulator (comfysh); images are generated stand-ins"),
        "catalog_digest": .string(catalogDigest),
      ],
      "devices": [
        [
          "name": "cpu (simulated)", "type": "cpu", "index": nil, "vram_total": .int(total),
          "vram_free": .int(free),
          "torch_vram_total": .int(total), "torch_vram_free": .int(free),
        ]
      ],
    ]
  }
}
