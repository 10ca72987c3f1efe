import ComfyClient
import ComfyRules
import Synchronization
import Workflow

/// A hook `run` calls that another part of comfysh fills in; it lives in this file alone so that
/// filling it touches nothing else. (The other hook, `apiKeyForRun()`, is in Keys/Session+Keys.swift.)
extension Session {
  /// Local checks before `run` posts the prompt: the catalog's validator (the same messages as
  /// `validate`) and paid nodes without a key. Throws to stop the run; nothing is posted.
  ///
  /// Whether an input file exists is left to the server: the catalog's file list is a snapshot and
  /// files uploaded since (by this or another client) would be refused wrongly. Such doubts are warnings.
  func validateBeforeRun() async throws {
    guard let catalog = await catalog.load() else { return }
    let prompt = workflow.json
    var hooks = await validationHooks(catalog: catalog, inputFileExists: { _ in true })
    let result = validate(prompt: prompt, catalog: catalog, hooks: hooks)
    if !result.accepted {
      lastProblem = .validation(result, command: "run")
      console.print(lines: result.describeForUser(catalog: catalog))
      throw ShellError(
        "not sent: the server would reject this workflow (\(result.error?.type ?? "invalid")); fix the errors above"
      )
    }
    if !result.nodeErrors.isEmpty {
      for line in result.describeForUser(catalog: catalog) { console.warning(line) }
    }
    hooks.inputFileExists = inputFileKnown
    let files = validate(prompt: prompt, catalog: catalog, hooks: hooks)
    for (id, errors) in files.nodeErrors {
      for error in errors.errors where error.type == "custom_validation_failed" {
        console.warning(
          "\(id): \(error.details) (not in the server's list when the catalog was read; the server decides)")
      }
    }
    let paid = workflow.nodes.values.filter { self.catalog.isPaid($0) }
    if !paid.isEmpty, try apiKeyForRun() == nil {
      let list = paid.map { "\(NodeRef.id($0.id)) (\($0.classType ?? "?"))" }.joined(separator: ", ")
      throw ShellError(
        "not sent: \(paid.count == 1 ? "node \(list) is a paid API node" : "nodes \(list) are paid API nodes") and no key is selected; "
          + "add one with `key add NAME`, then `key use NAME` (or set COMFY_API_KEY)")
    }
  }

  /// A file an input names is known when the catalog lists it for a class of the workflow (the only
  /// classes whose inputs are checked, and so the only ones parsed) or this session uploaded it.
  var inputFileKnown: @Sendable (String) -> Bool {
    let nodes = workflow.nodes
    let current = catalog.current
    let listed = ListedInputFiles {
      let classTypes = Set(nodes.values.compactMap(\.classType))
      return Set(
        classTypes.compactMap { current?[className: $0] }.flatMap {
          $0.inputs.filter(\.isUpload).flatMap { $0.combo?.names ?? [] }
        })
    }
    let uploaded = server.uploadedNames
    return { name in listed.contains(name) || uploaded.contains(name) }
  }
}

/// The files the catalog lists for a workflow's classes, found when first asked: most workflows have
/// no file input, and finding them reads every node.
final class ListedInputFiles: Sendable {
  private let names: Mutex<Set<String>?> = Mutex(nil)
  private let find: @Sendable () -> Set<String>

  init(_ find: @escaping @Sendable () -> Set<String>) { self.find = find }

  func contains(_ name: String) -> Bool {
    names.withLock { names in
      let found = names ?? find()
      names = found
      return found.contains(name)
    }
  }
}

/// A key as it may be shown: `comfyui-87d0…c1f2` (the same form as `key list`).
func maskKey(_ key: String) -> String { Secrets.mask(key) }

extension Session {
  /// A JSON value with every credential masked (extra_data keys, this session's keys, `comfyui-…` strings).
  func masked(_ value: JSONValue) -> JSONValue { Secrets.masked(value, known: secrets) }

  /// Text with every key of this session and every `comfyui-…` key masked.
  func masked(_ text: String) -> String { Secrets.maskText(text, known: secrets) }
}
