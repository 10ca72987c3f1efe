import Foundation
import Media
import Testing

/// The files `Scripts/make-media-fixtures.py` made with real encoders, and what Pillow and ffprobe
/// said of them (Tests/Fixtures/Media/manifest.json).
enum MediaFixtures {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures/Media").standardizedFileURL

  struct Still: Sendable, CustomTestStringConvertible {
    var file: String
    var reference: String
    var width: Int
    var height: Int
    var format: String
    var meanTolerance: Double
    var maxTolerance: Int
    var frames: Int?
    var durationMs: Int?
    var testDescription: String { file }
  }

  struct Timed: Sendable, CustomTestStringConvertible {
    var file: String
    var duration: Double
    var width: Int?
    var height: Int?
    var sampleRate: Int?
    var channels: Int?
    var testDescription: String { file }
  }

  private static var manifest: [String: Any] {
    guard let data = try? Data(contentsOf: folder.appendingPathComponent("manifest.json")),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
  }

  static let stills: [Still] = ((manifest["images"] as? [[String: Any]]) ?? []).compactMap { entry in
    guard let file = entry["file"] as? String, let reference = entry["reference"] as? String,
      let width = entry["width"] as? Int, let height = entry["height"] as? Int,
      let format = entry["format"] as? String
    else { return nil }
    return Still(
      file: file, reference: reference, width: width, height: height, format: format,
      meanTolerance: (entry["meanTolerance"] as? Double) ?? Double((entry["meanTolerance"] as? Int) ?? 0),
      maxTolerance: (entry["maxTolerance"] as? Int) ?? 0, frames: entry["frames"] as? Int,
      durationMs: entry["durationMs"] as? Int)
  }

  static let timed: [Timed] = ((manifest["media"] as? [[String: Any]]) ?? []).compactMap { entry in
    guard let file = entry["file"] as? String, let duration = entry["duration"] as? Double else { return nil }
    return Timed(
      file: file, duration: duration, width: entry["width"] as? Int, height: entry["height"] as? Int,
      sampleRate: entry["sampleRate"] as? Int, channels: entry["channels"] as? Int)
  }

  static func bytes(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: folder.appendingPathComponent(name)))
  }

  /// Pillow's decoding of a still, as RGBA.
  static func reference(_ still: Still) throws -> RGBAImage {
    let raw = try Inflate.decompressZlib(try bytes(still.reference), limit: still.width * still.height * 4)
    return RGBAImage(width: still.width, height: still.height, pixels: raw)
  }
}

/// How far two pictures of one size are apart: the mean and largest per-channel difference, where
/// colour is compared only under pixels the reference does not make fully transparent.
struct PixelDifference: CustomStringConvertible {
  var mean: Double
  var maximum: Int
  var worst: (x: Int, y: Int)

  init(_ a: RGBAImage, _ b: RGBAImage) {
    var total = 0
    var count = 0
    var maximum = 0
    var worst = (0, 0)
    for y in 0..<a.height {
      for x in 0..<a.width {
        let i = (y * a.width + x) * 4
        let channels = b.pixels[i + 3] == 0 ? [3] : [0, 1, 2, 3]
        for c in channels {
          let d = abs(Int(a.pixels[i + c]) - Int(b.pixels[i + c]))
          total += d
          count += 1
          if d > maximum {
            maximum = d
            worst = (x, y)
          }
        }
      }
    }
    self.mean = count == 0 ? 0 : Double(total) / Double(count)
    self.maximum = maximum
    self.worst = worst
  }

  var description: String { "mean \(mean), max \(maximum) at \(worst)" }
}

/// A small deterministic generator, so the fuzz tests try the same inputs on every run.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
