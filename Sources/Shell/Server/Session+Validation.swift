import ComfyRules
import Workflow

extension Session {
  /// What `validate` and `run` check with: the catalog's rules, and under 0.33's the server's node
  /// replacements (none for a catalog from a file, whose server is not asked).
  func validationHooks(
    catalog: Catalog, inputFileExists: (@Sendable (String) -> Bool)?
  ) async -> ValidationHooks {
    var hooks = ValidationHooks(inputFileExists: inputFileExists)
    hooks.rules = ValidationRules(for: catalog)
    if hooks.rules == .comfyUI0_33, self.catalog.path == nil {
      hooks.nodeReplacements = await server.nodeReplacements()
    }
    return hooks
  }
}

extension ValidationResult {
  /// `node 1: T2IAdapterLoader is gone; the server runs it as ControlNetLoader`, per rewritten node.
  var replacementLines: [String] {
    replacements.map { applied in
      "node \(NodeRef.id(applied.node)): \(applied.oldClass) no longer exists; the server runs it as \(applied.newClass) (GET /node_replacements)"
    }
  }
}
