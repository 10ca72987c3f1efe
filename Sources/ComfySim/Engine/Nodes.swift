import ComfyRules
import Media
import Workflow

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a node returned: one value per output slot, and UI data (`{"images": […]}`) if any.
struct NodeResult {
  var outputs: [SimValue]
  var ui: JSONObject?
}

/// One call of a node's function, with the behaviour of the built-in classes and a generic
/// behaviour for anything else a `--catalog` file declares.
struct NodeCall {
  let id: String
  let classType: String
  let nodeClass: NodeClass?
  let arguments: [String: SimValue]
  let run: PromptRun
  var memory: ExecutionMemory

  var environment: SimEnvironment { run.environment }

  mutating func perform() async throws(NodeFailure) -> NodeResult {
    switch classType {
    case "EmptyImage":
      let color = int("color") ?? 0
      let image = SimImage(
        width: int("width") ?? 512, height: int("height") ?? 512,
        pixels: .solid(UInt8((color >> 16) & 0xFF), UInt8((color >> 8) & 0xFF), UInt8(color & 0xFF)))
      return NodeResult(outputs: [.images(Array(repeating: image, count: max(1, int("batch_size") ?? 1)))])

    case "ImageInvert":
      let images = self.images("image").map {
        SimImage(width: $0.width, height: $0.height, pixels: .inverted($0.pixels))
      }
      return NodeResult(outputs: [.images(images)])

    case "ImageScale":
      return NodeResult(outputs: [.images(scale(images("image")))])

    case "ResizeImageMaskNode":
      return NodeResult(outputs: [.images(resize(images("input")))])

    case "BatchImagesNode":
      // The slots in the order of their names' numbers (`images.image0`, `images.image2`…).
      let slots = arguments.keys.filter { $0.hasPrefix("images.") }.sorted {
        (Int($0.drop { !$0.isNumber }) ?? 0) < (Int($1.drop { !$0.isNumber }) ?? 0)
      }
      return NodeResult(outputs: [.images(slots.flatMap { images($0) })])

    case "LoadImage":
      return try loadImage()

    case "CreateVideo":
      let fps = double("fps") ?? 30
      return NodeResult(outputs: [.video(frames: images("images"), fps: fps > 0 ? fps : 30)])

    case "SaveVideo":
      return try saveVideo()

    case "SaveImage":
      let ui = try saveImages(
        images("images"), prefix: string("filename_prefix") ?? "ComfyUI", type: "output", metadata: true)
      return NodeResult(outputs: [], ui: ["images": .array(ui)])

    case "PreviewImage":
      let prefix = previewPrefix()
      let ui = try saveImages(images("images"), prefix: prefix, type: "temp", metadata: true)
      return NodeResult(outputs: [], ui: ["images": .array(ui)])

    case "SaveImageWebsocket":
      let images = self.images("images")
      for (step, image) in images.enumerated() {
        try await run.pause(environment.stepDelay)
        try run.reportProgress(value: step, max: images.count, preview: image)
      }
      return NodeResult(outputs: [], ui: nil)

    case "GetImageSize":
      let images = self.images("image")
      let width = images.first?.width ?? 0
      let height = images.first?.height ?? 0
      if arguments["unique_id"] != nil {
        run.sendText("width: \(width), height: \(height)\n batch size: \(images.count)")
      }
      return NodeResult(outputs: [.json(.int(width)), .json(.int(height)), .json(.int(images.count))])

    case "UpscaleModelLoader":
      let name = string("model_name") ?? ""
      guard
        environment.modelExists(
          folder: "upscale_models", name: name, catalogClass: classType, input: "model_name")
      else {
        throw .exception(
          type: "FileNotFoundError",
          message: "Model in folder 'upscale_models' with filename '\(name)' not found.")
      }
      return NodeResult(outputs: [.upscaleModel(name: name, scale: 2)])

    case "ImageUpscaleWithModel":
      var factor = 2
      if case .upscaleModel(_, let scale)? = arguments["upscale_model"] { factor = scale }
      let images = self.images("image")
      // ComfyUI tiles each image in 512-pixel tiles overlapping by 32 and reports one step per tile.
      let steps = images.reduce(0) { total, image in
        total + ((image.height + 479) / 480) * ((image.width + 479) / 480)
      }
      if steps > 0 {
        for step in 1...steps {
          try await run.pause(environment.stepDelay)
          try run.reportProgress(value: step, max: steps)
        }
      }
      let scaled = images.map {
        SimImage(width: $0.width * factor, height: $0.height * factor, pixels: $0.pixels)
      }
      return NodeResult(outputs: [.images(scaled)])

    case "CheckpointLoaderSimple":
      let name = string("ckpt_name") ?? ""
      guard
        environment.modelExists(
          folder: "checkpoints", name: name, catalogClass: classType, input: "ckpt_name")
      else {
        throw .exception(
          type: "FileNotFoundError",
          message: "Model in folder 'checkpoints' with filename '\(name)' not found.")
      }
      return NodeResult(outputs: [.model(name), .clip(name), .vae(name)])

    case "CLIPTextEncode":
      return NodeResult(outputs: [.conditioning(string("text") ?? "")])

    case "EmptyLatentImage":
      return NodeResult(outputs: [
        .latent(
          width: int("width") ?? 512, height: int("height") ?? 512, batch: int("batch_size") ?? 1, seed: 0)
      ])

    case "KSampler":
      let steps = max(1, int("steps") ?? 20)
      for step in 1...steps {
        try await run.pause(environment.stepDelay)
        try run.reportProgress(value: step, max: steps, preview: samplerPreview(step: step, of: steps))
      }
      var hasher = Hasher()
      hasher.combine(seed("seed"))
      for name in ["positive", "negative", "model", "sampler_name", "scheduler", "steps", "cfg", "denoise"] {
        hasher.combine(arguments[name].map { "\($0.formatted)" })
      }
      var latent = (width: 512, height: 512, batch: 1)
      if case .latent(let w, let h, let b, _)? = arguments["latent_image"] { latent = (w, h, b) }
      return NodeResult(outputs: [
        .latent(
          width: latent.width, height: latent.height, batch: latent.batch,
          seed: UInt64(bitPattern: Int64(hasher.finalize())))
      ])

    case "VAEDecode":
      guard case .latent(let w, let h, let batch, let seed)? = arguments["samples"] else {
        return NodeResult(outputs: [.images([])])
      }
      let images = (0..<max(1, batch)).map { index in
        SimImage(width: w, height: h, pixels: .pattern(seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
      }
      return NodeResult(outputs: [.images(images)])

    case "PrimitiveInt":
      return NodeResult(outputs: [arguments["value"] ?? .json(0)])

    case "FluxProUltraImageNode":
      try await callPartnerAPI(taking: environment.stepDelay)
      let (width, height) = try fluxSize(string("aspect_ratio") ?? "16:9")
      var hasher = Hasher()
      hasher.combine(seed("seed"))
      hasher.combine(string("prompt") ?? "")
      let image = SimImage(
        width: width, height: height, pixels: .pattern(UInt64(bitPattern: Int64(hasher.finalize()))))
      return NodeResult(outputs: [.images([image])])

    default:
      return try await generic()
    }
  }

  // MARK: - Arguments

  private func int(_ name: String) -> Int? {
    guard case .json(.number(let n))? = arguments[name] else { return nil }
    if let i = n.int64Value { return Int(truncatingIfNeeded: i) }
    let d = n.doubleValue
    return d.isFinite && abs(d) < 9e18 ? Int(d) : nil
  }

  private func seed(_ name: String) -> UInt64 {
    guard case .json(.number(let n))? = arguments[name] else { return 0 }
    if let u = n.uint64Value { return u }
    if let i = n.int64Value { return UInt64(bitPattern: i) }
    return 0
  }

  private func string(_ name: String) -> String? {
    guard case .json(let value)? = arguments[name] else { return nil }
    return value.stringValue ?? Py.str(value)
  }

  private func images(_ name: String) -> [SimImage] { arguments[name]?.imageBatch ?? [] }

  // MARK: - Behaviours

  /// ResizeImageMaskNode: the selected option's sub-inputs say how (`resize_type.width`…).
  private func resize(_ images: [SimImage]) -> [SimImage] {
    guard let first = images.first else { return images }
    let (w, h) = (Double(first.width), Double(first.height))
    func sized(_ width: Double, _ height: Double) -> [SimImage] {
      let size = (max(1, Int(width.rounded())), max(1, Int(height.rounded())))
      return images.map { SimImage(width: size.0, height: size.1, pixels: $0.pixels) }
    }
    switch string("resize_type") {
    case "scale dimensions":
      return scale(
        images, width: int("resize_type.width") ?? 0, height: int("resize_type.height") ?? 0,
        crop: string("resize_type.crop"))
    case "scale by multiplier":
      let factor = double("resize_type.multiplier") ?? 1
      return sized(w * factor, h * factor)
    case "scale longer dimension":
      let side = Double(int("resize_type.longer_size") ?? 512)
      return w >= h ? sized(side, h * side / w) : sized(w * side / h, side)
    case "scale shorter dimension":
      let side = Double(int("resize_type.shorter_size") ?? 512)
      return w <= h ? sized(side, h * side / w) : sized(w * side / h, side)
    default:
      return images
    }
  }

  private func double(_ name: String) -> Double? {
    guard case .json(.number(let n))? = arguments[name] else { return nil }
    return n.doubleValue
  }

  private func scale(_ images: [SimImage]) -> [SimImage] {
    scale(images, width: int("width") ?? 0, height: int("height") ?? 0, crop: string("crop"))
  }

  private func scale(_ images: [SimImage], width: Int, height: Int, crop: String?) -> [SimImage] {
    var width = width
    var height = height
    guard width != 0 || height != 0, let first = images.first else { return images }
    if width == 0 {
      width = max(1, Int((Double(first.width) * Double(height) / Double(first.height)).rounded()))
    }
    if height == 0 {
      height = max(1, Int((Double(first.height) * Double(width) / Double(first.width)).rounded()))
    }
    let center = crop == "center"
    return images.map { image in
      var pixels = image.pixels
      if center {
        let sourceAspect = Double(image.width) / Double(image.height)
        let targetAspect = Double(width) / Double(height)
        if sourceAspect > targetAspect {
          let keep = targetAspect / sourceAspect
          pixels = .cropped(pixels, x0: (1 - keep) / 2, y0: 0, x1: (1 + keep) / 2, y1: 1)
        } else if sourceAspect < targetAspect {
          let keep = sourceAspect / targetAspect
          pixels = .cropped(pixels, x0: 0, y0: (1 - keep) / 2, x1: 1, y1: (1 + keep) / 2)
        }
      }
      return SimImage(width: width, height: height, pixels: pixels)
    }
  }

  private func loadImage() throws(NodeFailure) -> NodeResult {
    let path = environment.folders.inputPath(for: string("image") ?? "")
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(path)
    } catch {
      throw .exception(
        type: "FileNotFoundError",
        message: "[Errno 2] No such file or directory: \(Py.reprString(path))")
    }
    guard let size = ImageFiles.dimensions(of: bytes) else {
      throw .exception(
        type: "PIL.UnidentifiedImageError",
        message: "cannot identify image file \(Py.reprString(path))")
    }
    var hasher = Hasher()
    hasher.combine(bytes)
    let pixels: SimImage.Pixels =
      ImageFiles.decodePNG(bytes).map { .bitmap(width: $0.width, height: $0.height, rgb: $0.rgb) }
      ?? .pattern(UInt64(bitPattern: Int64(hasher.finalize())))
    let image = SimImage(width: size.width, height: size.height, pixels: pixels)
    return NodeResult(outputs: [.images([image]), .mask(width: size.width, height: size.height, batch: 1)])
  }

  /// PreviewImage's file prefix: `ComfyUI_temp_` and five random letters, kept per node object.
  private mutating func previewPrefix() -> String {
    if let known = memory.nodeObjects[id], known.classType == classType { return known.previewPrefix }
    let letters = Array("abcdefghijklmnopqrstupvxyz")
    let suffix = String((0..<5).map { _ in letters[Int.random(in: 0..<letters.count)] })
    let prefix = "ComfyUI_temp_" + suffix
    memory.nodeObjects[id] = (classType, prefix)
    return prefix
  }

  /// Where `folder_paths.get_save_image_path` puts files for a prefix: the folder (refused outside
  /// the base), the subfolder and file name parts, and the counter after the highest existing file.
  private func saveTarget(
    prefix rawPrefix: String, type: String, width: Int, height: Int
  )
    throws(NodeFailure) -> (folder: String, subfolder: String, filename: String, counter: Int)
  {
    let base = type == "temp" ? environment.folders.temp : environment.folders.output
    let prefix =
      rawPrefix.contains("%") ? Self.expandVariables(rawPrefix, width: width, height: height) : rawPrefix
    let normalized = Paths.normalize(prefix)
    let subfolder = Paths.dirname(normalized)
    let filename = Paths.basename(normalized)
    let folder = Paths.absolute(Paths.join(base, subfolder))
    guard Paths.isInside(folder, base) else {
      throw .exception(
        type: "Exception",
        message:
          "**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: \(folder)\n"
          + "         output_dir: \(base)\n         commonpath: \(Paths.common(base, folder))")
    }
    do {
      try FileIO.createFolder(folder)
    } catch {
      throw .exception(type: "OSError", message: error.description)
    }
    let prefixLength = Paths.basename(prefix).count
    var counter = 1
    for name in Paths.list(folder) where name.count > prefixLength {
      let head = name.prefix(prefixLength + 1)
      guard head.last == "_", head.dropLast() == Substring(filename) else { continue }
      let digits = name.dropFirst(prefixLength + 1).prefix { $0 != "_" }
      counter = max(counter, (Int(digits) ?? 0) + 1)
    }
    return (folder, subfolder, filename, counter)
  }

  /// `name_00001_`: the counter padded to five digits, as ComfyUI names saved files.
  private static func numbered(_ filename: String, _ counter: Int) -> String {
    let digits = String(counter)
    return filename + "_" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + "_"
  }

  /// SaveImage's `save_images`: `prefix_00001_.png`, the prompt and workflow in the PNG's text.
  private func saveImages(
    _ images: [SimImage], prefix rawPrefix: String, type: String, metadata: Bool
  )
    throws(NodeFailure) -> [JSONValue]
  {
    let first = images.first
    var (folder, subfolder, filename, counter) = try saveTarget(
      prefix: rawPrefix, type: type, width: first?.width ?? 0, height: first?.height ?? 0)
    let text = metadata ? metadataText() : []
    var results: [JSONValue] = []
    for (index, image) in images.enumerated() {
      let file = Self.numbered(filename.replacingAll("%batch_num%", with: String(index)), counter) + ".png"
      do {
        try Paths.write(folder + "/" + file, image.png(text: text))
      } catch {
        throw .exception(type: "OSError", message: error.description)
      }
      results.append(["filename": .string(file), "subfolder": .string(subfolder), "type": .string(type)])
      counter += 1
    }
    return results
  }

  /// The hidden `prompt` and `extra_pnginfo` as the text a saved file carries.
  private func metadataText() -> [(key: String, value: String)] {
    var text: [(key: String, value: String)] = []
    if case .json(let prompt)? = arguments["prompt"], !prompt.isNull {
      text.append(("prompt", Py.jsonDumps(prompt)))
    }
    if case .json(.object(let extra))? = arguments["extra_pnginfo"] {
      for (key, value) in extra { text.append((key, Py.jsonDumps(value))) }
    }
    return text
  }

  /// SaveVideo: one `prefix_00001_.mp4` whose frames are PNG pictures. The `format` option and its
  /// sub-inputs (`format.codec.encoding.crf`) are read and checked as the node does; the simulator has
  /// no encoder, so every codec gives the same PNG track, and it writes the MP4 container only.
  private func saveVideo() throws(NodeFailure) -> NodeResult {
    guard case .video(let frames, let fps)? = arguments["video"], let first = frames.first else {
      throw .exception(type: "ValueError", message: "SaveVideo needs a video with at least one frame.")
    }
    let container = string("format") ?? "auto"
    guard container == "auto" || container == "mp4" else {
      throw .exception(
        type: "NotImplementedError",
        message: "The simulator writes MP4 only; set format to auto or mp4 (it was \(container)).")
    }
    let (folder, subfolder, filename, counter) = try saveTarget(
      prefix: string("filename_prefix") ?? "video/ComfyUI", type: "output", width: first.width,
      height: first.height)
    let file = Self.numbered(filename, counter) + ".mp4"
    let text = metadataText()
    let pictures = frames.map { $0.png(text: text) }
    do {
      try Paths.write(
        folder + "/" + file,
        PNGMovie.mp4(frames: pictures, width: first.width, height: first.height, fps: fps))
    } catch {
      throw .exception(type: "OSError", message: error.description)
    }
    let saved: JSONValue = ["filename": .string(file), "subfolder": .string(subfolder), "type": "output"]
    return NodeResult(
      outputs: [.video(frames: frames, fps: fps)], ui: ["images": [saved], "animated": [true]])
  }

  /// `%width%`, `%height%` and the date variables of `get_save_image_path`.
  static func expandVariables(_ prefix: String, width: Int, height: Int) -> String {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return prefix.replacingAll("%width%", with: String(width))
      .replacingAll("%height%", with: String(height))
      .replacingAll("%year%", with: String(parts.tm_year + 1900))
      .replacingAll("%month%", with: two(parts.tm_mon + 1))
      .replacingAll("%day%", with: two(parts.tm_mday))
      .replacingAll("%hour%", with: two(parts.tm_hour))
      .replacingAll("%minute%", with: two(parts.tm_min))
      .replacingAll("%second%", with: two(parts.tm_sec))
  }

  /// An API node's request to Comfy's API. 0.3.x refuses without a key before sending; 0.33 says
  /// "Waiting for server" (a type-3 text) and sends it anyway, and the API's 401 reads the same.
  private func callPartnerAPI(taking time: Duration) async throws(NodeFailure) {
    if environment.comfyUI == .comfyUI0_33 {
      run.sendText("Status: Waiting for server\nTime elapsed: 0s")
      try await run.pause(time)
      try requireKey()
    } else {
      try requireKey()
      try await run.pause(time)
    }
  }

  /// API nodes need `api_key_comfy_org` or `auth_token_comfy_org`.
  private func requireKey() throws(NodeFailure) {
    let extra = run.item.extraData
    let key = extra["api_key_comfy_org"]?.stringValue ?? ""
    let token = extra["auth_token_comfy_org"]?.stringValue ?? ""
    if key.isEmpty && token.isEmpty {
      throw .exception(type: "Exception", message: "Unauthorized: Please login first to use this node.")
    }
  }

  /// Flux 1.1 Ultra's ~4-megapixel size for an aspect ratio such as `16:9`.
  private func fluxSize(_ ratio: String) throws(NodeFailure) -> (Int, Int) {
    let parts = ratio.split(separator: ":")
    guard parts.count == 2, let w = Double(parts[0].trimmingCharacters()),
      let h = Double(parts[1].trimmingCharacters()),
      w > 0, h > 0, w / h >= 0.25, w / h <= 4
    else {
      throw .exception(
        type: "Exception",
        message: "Aspect ratio must be two numbers W:H between 1:4 and 4:1, not '\(ratio)'.")
    }
    let area = 2048.0 * 2048.0
    let width = (area * w / h).squareRoot()
    return (max(32, Int((width / 32).rounded()) * 32), max(32, Int((area / width / 32).rounded()) * 32))
  }

  /// Any other class: placeholder values of the declared output types, a step-by-step progress
  /// when it has a `steps` input, an image written for output nodes, the key check for API nodes.
  private mutating func generic() async throws(NodeFailure) -> NodeResult {
    guard let nodeClass else { return NodeResult(outputs: []) }
    if nodeClass.isAPINode { try await callPartnerAPI(taking: .zero) }
    if let steps = int("steps"), steps > 0 {
      let sampler = SamplerPreview.isSampler(classType)
      for step in 1...min(steps, 10000) {
        try await run.pause(environment.stepDelay)
        try run.reportProgress(
          value: step, max: steps, preview: sampler ? samplerPreview(step: step, of: steps) : nil)
      }
    }
    var hasher = Hasher()
    hasher.combine(classType)
    hasher.combine(id)
    let seed = UInt64(bitPattern: Int64(hasher.finalize()))
    let inputImages = arguments.values.compactMap(\.imageBatch).first
    let outputs = nodeClass.outputs.map(\.type).map { type -> SimValue in
      switch type {
      case "IMAGE": return .images(inputImages ?? [SimImage(width: 512, height: 512, pixels: .pattern(seed))])
      case "MASK": return .mask(width: 512, height: 512, batch: 1)
      case "LATENT":
        if let latent = arguments.values.first(where: { if case .latent = $0 { true } else { false } }) {
          return latent
        }
        return .latent(width: 512, height: 512, batch: 1, seed: seed)
      case "INT": return .json(0)
      case "FLOAT": return .json(.number(JSONNumber(uncheckedText: "0.0")))
      case "STRING": return .json("")
      case "BOOLEAN": return .json(false)
      case "MODEL": return .model(classType)
      case "CLIP": return .clip(classType)
      case "VAE": return .vae(classType)
      case "CONDITIONING": return .conditioning("")
      case "UPSCALE_MODEL": return .upscaleModel(name: classType, scale: 2)
      default: return .opaque(type: type)
      }
    }
    guard nodeClass.isOutputNode else { return NodeResult(outputs: outputs) }
    let images = inputImages ?? [SimImage(width: 512, height: 512, pixels: .pattern(seed))]
    let ui = try saveImages(
      images, prefix: string("filename_prefix") ?? "ComfyUI", type: "output", metadata: true)
    return NodeResult(outputs: outputs, ui: ["images": .array(ui)])
  }
}
