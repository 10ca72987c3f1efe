import ComfyRules
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `comfysh-bench catalog [OBJECT_INFO.json] [NODES]`: parsing the node catalog and validating a large
/// generated workflow, the work behind `--catalog`, `validate` and every simulator POST /prompt.
func catalogBenchmark(_ arguments: [String]) throws {
  let path = arguments.first ?? "../shared/fixtures/comfyui/object_info.json"
  let nodeCount = arguments.count > 1 ? Int(arguments[1]) ?? 2000 : 2000
  let indented = try FileIO.read(path)
  let objectInfo = try JSONValue.parse(bytes: indented)
  let compact = Array(objectInfo.serialized().utf8)
  let wire = pythonSeparators(compact)
  print(
    "object_info: \(indented.count) bytes indented, \(wire.count) bytes as on the wire, \(compact.count) bytes compact"
  )

  var catalog = try Catalog(objectInfoBytes: compact)
  try measure("parse JSON only (indented)") { _ = try JSONValue.parse(bytes: indented) }
  try measure("parse JSON only (wire)") { _ = try JSONValue.parse(bytes: wire) }
  try measure("catalog from bytes (indented)") { catalog = try Catalog(objectInfoBytes: indented) }
  try measure("catalog from bytes (wire)") { catalog = try Catalog(objectInfoBytes: wire) }
  try measure("catalog from bytes (compact)") { catalog = try Catalog(objectInfoBytes: compact) }
  print("catalog: \(catalog.count) classes")

  // The recorded server had no checkpoint files; give it one so the sampler graphs are valid.
  let withModel = try Catalog(objectInfo: addingCheckpoint(to: objectInfo))
  let prompt = generatedPrompt(nodes: nodeCount)
  let promptText = Array(prompt.serialized().utf8)
  var result = validate(prompt: prompt, catalog: withModel)
  print(
    "workflow: \(prompt.objectValue?.count ?? 0) nodes, \(promptText.count) bytes; accepted \(result.accepted), "
      + "\(result.outputsToExecute.count) outputs, \(result.nodeErrors.count) nodes with errors")
  try measure("validate \(nodeCount)-node prompt") { result = validate(prompt: prompt, catalog: withModel) }
  try measure("parse + validate \(nodeCount)-node prompt text") {
    result = validate(prompt: try JSONValue.parse(bytes: promptText), catalog: withModel)
  }
  let broken = generatedPrompt(nodes: nodeCount, ckptName: "missing.safetensors")
  try measure("validate \(nodeCount)-node prompt, every sampler graph invalid") {
    result = validate(prompt: broken, catalog: withModel)
  }
  try measure("catalog (wire) + validate \(nodeCount) nodes") {
    result = validate(prompt: prompt, catalog: try Catalog(objectInfoBytes: wire))
  }
  try measure("catalog (indented) + validate \(nodeCount) nodes") {
    result = validate(prompt: prompt, catalog: try Catalog(objectInfoBytes: indented))
  }

  // The cache a session opens: a CatalogFile of the same catalog, mapped, with only its index parsed.
  let cachePath = "/tmp/comfysh-bench-\(getpid()).catalog"
  try FileIO.writeAtomically(cachePath, CatalogFile.encode(withModel))
  defer { unlink(cachePath) }
  try measure("open the catalog file (index only)") { _ = try CatalogFile.open(cachePath).catalog() }
  try measure("open the catalog file + validate \(nodeCount) nodes") {
    result = validate(prompt: prompt, catalog: try CatalogFile.open(cachePath).catalog())
  }
  let small = generatedPrompt(nodes: 16)
  try measure("open the catalog file + validate a \(small.objectValue?.count ?? 0)-node prompt") {
    result = validate(prompt: small, catalog: try CatalogFile.open(cachePath).catalog())
  }
}

/// Prints the median wall time and the median CPU time of this thread over 21 runs (after 3 warm-ups):
/// on a busy machine the CPU time still says what the work costs.
func measure(_ label: String, _ body: () throws -> Void) throws {
  func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }
  for _ in 0..<3 { try body() }
  var wall: [Double] = []
  var cpu: [Double] = []
  for _ in 0..<21 {
    let start = now()
    let startCPU = cpuNow()
    try body()
    cpu.append((cpuNow() - startCPU) * 1000)
    wall.append((now() - start) * 1000)
  }
  wall.sort()
  cpu.sort()
  print("\(label)\t\(format3(wall[10])) ms wall\t\(format3(cpu[10])) ms cpu")
}

/// The layout of Python's `json.dumps` (what aiohttp sends): compact text with a space after every
/// `,` and `:` between tokens.
func pythonSeparators(_ compact: [UInt8]) -> [UInt8] {
  var out: [UInt8] = []
  out.reserveCapacity(compact.count + compact.count / 10)
  var inString = false
  var escaped = false
  for byte in compact {
    out.append(byte)
    if inString {
      if escaped {
        escaped = false
      } else if byte == UInt8(ascii: "\\") {
        escaped = true
      } else if byte == UInt8(ascii: "\"") {
        inString = false
      }
    } else if byte == UInt8(ascii: "\"") {
      inString = true
    } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":") {
      out.append(UInt8(ascii: " "))
    }
  }
  return out
}

/// object_info with `model.safetensors` in CheckpointLoaderSimple's (empty) list of checkpoints.
func addingCheckpoint(to objectInfo: JSONValue) -> JSONValue {
  guard case .object(var classes) = objectInfo, case .object(var loader)? = classes["CheckpointLoaderSimple"],
    case .object(var input)? = loader["input"], case .object(var required)? = input["required"],
    case .array(var spec)? = required["ckpt_name"], !spec.isEmpty
  else { return objectInfo }
  spec[0] = ["model.safetensors"]
  required["ckpt_name"] = .array(spec)
  input["required"] = .object(required)
  loader["input"] = .object(input)
  classes["CheckpointLoaderSimple"] = .object(loader)
  return .object(classes)
}

/// A workflow of about `nodes` nodes: image chains (EmptyImage → ImageScale → ImageInvert →
/// SaveImage/PreviewImage) and text-to-image graphs (checkpoint, two prompts, latent, KSampler, decode,
/// save), two chains per graph, all linked.
func generatedPrompt(nodes target: Int, ckptName: String = "model.safetensors") -> JSONValue {
  var prompt = JSONObject(minimumCapacity: target)
  var next = 1
  func add(_ classType: String, _ inputs: JSONObject) -> String {
    let id = String(next)
    next += 1
    prompt[id] = [
      "inputs": .object(inputs), "class_type": .string(classType), "_meta": ["title": .string(classType)],
    ]
    return id
  }
  func link(_ id: String, _ slot: Int = 0) -> JSONValue { [.string(id), .int(slot)] }
  var round = 0
  while next + 15 <= target + 1 {
    for chain in 0..<2 {
      let image = add(
        "EmptyImage", ["width": 64, "height": 64, "batch_size": 1, "color": .int(round * 997 % 16_777_215)])
      let scaled = add(
        "ImageScale",
        ["image": link(image), "upscale_method": "bilinear", "width": 128, "height": 128, "crop": "disabled"])
      let inverted = add("ImageInvert", ["image": link(scaled)])
      if chain == 0 {
        _ = add("SaveImage", ["images": link(inverted), "filename_prefix": .string("bench/\(round)")])
      } else {
        _ = add("PreviewImage", ["images": link(inverted)])
      }
    }
    let checkpoint = add("CheckpointLoaderSimple", ["ckpt_name": .string(ckptName)])
    let positive = add(
      "CLIPTextEncode", ["text": "a lighthouse at dusk, film grain", "clip": link(checkpoint, 1)])
    let negative = add("CLIPTextEncode", ["text": "blurry", "clip": link(checkpoint, 1)])
    let latent = add("EmptyLatentImage", ["width": 512, "height": 512, "batch_size": 1])
    let sampler = add(
      "KSampler",
      [
        "seed": .int(589_991_183_902_375 + round), "steps": 20,
        "cfg": .number(JSONNumber(uncheckedText: "7.5")),
        "sampler_name": "euler", "scheduler": "normal", "denoise": 1, "model": link(checkpoint),
        "positive": link(positive), "negative": link(negative), "latent_image": link(latent),
      ])
    let decoded = add("VAEDecode", ["samples": link(sampler), "vae": link(checkpoint, 2)])
    _ = add("SaveImage", ["images": link(decoded), "filename_prefix": "bench/ksampler"])
    round += 1
  }
  while next + 2 <= target + 1 {
    let image = add("EmptyImage", ["width": 8, "height": 8, "batch_size": 1, "color": 0])
    _ = add("PreviewImage", ["images": link(image)])
  }
  if next <= target { _ = add("EmptyImage", ["width": 8, "height": 8, "batch_size": 1, "color": 0]) }
  return .object(prompt)
}
