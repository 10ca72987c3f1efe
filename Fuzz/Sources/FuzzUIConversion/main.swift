import ComfyRules
import FuzzSupport
import Workflow

/// UI→API conversion with the recorded catalog: any JSON either fails with a message or converts to a
/// workflow that writes and reads back as API JSON.
func fuzzUIConversion(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  guard let catalog = Fuzz.catalog else {
    Fuzz.require(false, "set COMFYSH_FUZZ_CATALOG to an /object_info file")
    return 0
  }
  guard let ui = try? JSONValue.parse(bytes: Fuzz.bytes(start, count)) else { return 0 }
  let options = UIConversionOptions(
    random: { 0.5 }, now: LocalDateTime(year: 2025, month: 1, day: 2, hour: 3, minute: 4, second: 5))
  guard let workflow = try? convertUIWorkflow(ui, catalog: catalog, options: options) else { return 0 }
  let text = WorkflowFile.render(workflow)
  Fuzz.require(
    (try? Workflow(apiJSON: JSONValue.parse(text))) != nil, "converted workflow does not read back")
  return 0
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  fuzzUIConversion(start, count)
}

Fuzz.run(fuzzUIConversion)
