/// The latent previews ComfyUI's samplers send while they run (latent_preview.py with
/// `--preview-method auto`: latent2rgb at the latent's resolution, an eighth of the image's),
/// here noise that clears step by step into the picture the sampler will make.
enum SamplerPreview {
  /// The core sampler classes (KSampler, KSamplerAdvanced, SamplerCustom, SamplerCustomAdvanced).
  static func isSampler(_ classType: String) -> Bool {
    classType.hasPrefix("KSampler") || classType.hasPrefix("SamplerCustom")
  }

  /// A preview of the latent (width × height image pixels) after `step` of `steps`.
  static func image(width: Int, height: Int, seed: UInt64, step: Int, of steps: Int) -> SimImage {
    let w = max(1, min(512, width / 8))
    let h = max(1, min(512, height / 8))
    let target = SimImage.Pixels.pattern(seed)
    let clarity = Double(step) / Double(max(1, steps))
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    var state = seed ^ UInt64(step) &* 0x9E37_79B9_7F4A_7C15
    for y in 0..<h {
      for x in 0..<w {
        let (r, g, b) = target.sample((Double(x) + 0.5) / Double(w), (Double(y) + 0.5) / Double(h))
        for (c, value) in [r, g, b].enumerated() {
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          let noise = Double(state >> 56)
          rgb[(y * w + x) * 3 + c] = UInt8(max(0, min(255, clarity * Double(value) + (1 - clarity) * noise)))
        }
      }
    }
    return SimImage(width: w, height: h, pixels: .bitmap(width: w, height: h, rgb: rgb))
  }
}

extension NodeCall {
  /// The preview frame for this sampler step, or nil when previews are off.
  func samplerPreview(step: Int, of steps: Int) -> SimImage? {
    guard environment.samplerPreviews else { return nil }
    var size = (width: 512, height: 512)
    for name in ["latent_image", "samples"] {
      if case .latent(let w, let h, _, _)? = arguments[name] { size = (w, h) }
    }
    var hasher = Hasher()
    hasher.combine(id)
    hasher.combine(arguments["seed"].map { "\($0.formatted)" })
    hasher.combine(arguments["noise_seed"].map { "\($0.formatted)" })
    return SamplerPreview.image(
      width: size.width, height: size.height, seed: UInt64(bitPattern: Int64(hasher.finalize())), step: step,
      of: steps)
  }
}
