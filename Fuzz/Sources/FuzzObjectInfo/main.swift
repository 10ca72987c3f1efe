import ComfyRules
import FuzzSupport
import Workflow

/// `/object_info` parsing, then what the shell does with a catalog: look-ups, search, suggestions,
/// coercing each widget's default, and validating a small prompt that uses its first classes.
func fuzzObjectInfo(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  guard let catalog = try? Catalog(objectInfoBytes: Fuzz.bytes(start, count)) else { return 0 }
  _ = catalog.search("image")
  _ = catalog.suggestions(for: "KSampler")
  var prompt = JSONObject()
  for (index, nodeClass) in catalog.classes.prefix(8).enumerated() {
    _ = catalog.outputNames(of: nodeClass.name)
    var inputs = JSONObject()
    for input in nodeClass.inputs {
      if let value = input.defaultValue {
        _ = input.coerce(value)
        inputs[input.name] = value
      }
    }
    prompt[String(index)] = ["class_type": .string(nodeClass.name), "inputs": .object(inputs)]
  }
  _ = validate(prompt: .object(prompt), catalog: catalog)
  return 0
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  fuzzObjectInfo(start, count)
}

Fuzz.run(fuzzObjectInfo)
