import ComfyRules
import Media
import Workflow

/// One image of a batch. `width`/`height` are the size the workflow asked for (what GetImageSize
/// reports); pixels are a resolution-independent recipe rendered only when a file or preview is
/// written, at most `maximumSide` pixels a side, so a 4096² request costs a few kilobytes.
struct SimImage: Sendable, Equatable {
  static let maximumSide = 256

  var width: Int
  var height: Int
  var pixels: Pixels

  /// Colour as a function of position in the unit square, composed by the nodes that touch it.
  indirect enum Pixels: Sendable, Equatable {
    case solid(UInt8, UInt8, UInt8)
    /// A smooth colourful pattern chosen by `seed` (generated images: samplers, API nodes).
    case pattern(UInt64)
    case bitmap(width: Int, height: Int, rgb: [UInt8])
    case inverted(Pixels)
    /// The part of the source between (x0, y0) and (x1, y1), in unit coordinates.
    case cropped(Pixels, x0: Double, y0: Double, x1: Double, y1: Double)

    func sample(_ u: Double, _ v: Double) -> (UInt8, UInt8, UInt8) {
      switch self {
      case .solid(let r, let g, let b): return (r, g, b)
      case .pattern(let seed):
        // Three slow waves whose phases come from the seed: cheap, smooth and seed-dependent.
        func channel(_ shift: UInt64) -> UInt8 {
          let a = Double((seed >> shift) & 0xFF) / 255.0
          let b = Double((seed >> (shift + 8)) & 0xFF) / 255.0
          let value =
            0.5 + 0.25 * cosine((u * (1 + 3 * a) + v * (1 + 2 * b)) * 3.1) + 0.25
            * cosine(v * 5 * a - u * 4 * b)
          return UInt8(max(0, min(255, value * 255)))
        }
        return (channel(0), channel(16), channel(32))
      case .bitmap(let w, let h, let rgb):
        let x = min(w - 1, max(0, Int(u * Double(w))))
        let y = min(h - 1, max(0, Int(v * Double(h))))
        let i = (y * w + x) * 3
        return (rgb[i], rgb[i + 1], rgb[i + 2])
      case .inverted(let source):
        let (r, g, b) = source.sample(u, v)
        return (255 - r, 255 - g, 255 - b)
      case .cropped(let source, let x0, let y0, let x1, let y1):
        return source.sample(x0 + u * (x1 - x0), y0 + v * (y1 - y0))
      }
    }
  }

  /// The size written to files: the requested size scaled down to fit `maximumSide`.
  var renderedSize: (width: Int, height: Int) {
    let largest = max(width, height)
    guard largest > SimImage.maximumSide else { return (max(1, width), max(1, height)) }
    let scale = Double(SimImage.maximumSide) / Double(largest)
    return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
  }

  func renderRGB() -> (width: Int, height: Int, rgb: [UInt8]) {
    let (w, h) = renderedSize
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    if case .solid(let r, let g, let b) = pixels {
      for i in stride(from: 0, to: rgb.count, by: 3) {
        rgb[i] = r
        rgb[i + 1] = g
        rgb[i + 2] = b
      }
      return (w, h, rgb)
    }
    var i = 0
    for y in 0..<h {
      let v = (Double(y) + 0.5) / Double(h)
      for x in 0..<w {
        let (r, g, b) = pixels.sample((Double(x) + 0.5) / Double(w), v)
        rgb[i] = r
        rgb[i + 1] = g
        rgb[i + 2] = b
        i += 3
      }
    }
    return (w, h, rgb)
  }

  func png(text: [(key: String, value: String)] = []) -> [UInt8] {
    let (w, h, rgb) = renderRGB()
    return PNGEncoder.encode(width: w, height: h, rgb: rgb, text: text)
  }
}

/// A cosine good enough for pictures, without Foundation.
private func cosine(_ x: Double) -> Double {
  // Reduce to [-π, π], then a short Taylor series.
  let twoPi = 6.283185307179586
  var t = x - (x / twoPi).rounded() * twoPi
  if t > 3.141592653589793 { t -= twoPi }
  let t2 = t * t
  return 1 - t2 / 2 + t2 * t2 / 24 - t2 * t2 * t2 / 720 + t2 * t2 * t2 * t2 / 40320
}

/// A value flowing along a link at run time. Models and conditionings are stand-ins that carry
/// only what later nodes need to make a plausible picture.
enum SimValue: Sendable, Equatable {
  case images([SimImage])
  case mask(width: Int, height: Int, batch: Int)
  case latent(width: Int, height: Int, batch: Int, seed: UInt64)
  case model(String)
  case clip(String)
  case vae(String)
  case upscaleModel(name: String, scale: Int)
  case conditioning(String)
  /// A VIDEO made from images (CreateVideo): its frames and rate.
  case video(frames: [SimImage], fps: Double)
  /// INT, FLOAT, STRING, BOOLEAN and COMBO values, as JSON.
  case json(JSONValue)
  /// A placeholder for a type the simulator does not model (from a `--catalog` file).
  case opaque(type: String)

  /// What ComfyUI's `format_value` shows for this value in `execution_error.current_inputs`:
  /// primitives as themselves, anything else as the text of Python's `str()`.
  var formatted: JSONValue {
    switch self {
    case .json(let value):
      switch value {
      case .null, .bool, .number, .string: return value
      default: return .string(Py.str(value))
      }
    case .images(let images):
      let first = images.first
      return .string(
        "tensor(<simulated IMAGE batch of \(images.count), \(first?.height ?? 0)×\(first?.width ?? 0)×3>)")
    case .mask(let w, let h, let n): return .string("tensor(<simulated MASK batch of \(n), \(h)×\(w)>)")
    case .latent(let w, let h, let n, _):
      return .string("{'samples': tensor(<simulated LATENT batch of \(n), 4×\(h / 8)×\(w / 8)>)}")
    case .model(let name): return .string("<ModelPatcher (simulated) \(name)>")
    case .clip(let name): return .string("<CLIP (simulated) \(name)>")
    case .vae(let name): return .string("<VAE (simulated) \(name)>")
    case .upscaleModel(let name, _): return .string("<ImageModelDescriptor (simulated) \(name)>")
    case .conditioning(let text):
      return .string("[[tensor(<simulated conditioning of \(Py.reprString(text))>)]]")
    case .opaque(let type): return .string("<\(type) (simulated)>")
    case .video(let frames, let fps):
      return .string("<simulated VIDEO of \(frames.count) frames at \(Py.repr(.double(fps))) fps>")
    }
  }

  var imageBatch: [SimImage]? {
    if case .images(let images) = self { return images }
    return nil
  }
}
