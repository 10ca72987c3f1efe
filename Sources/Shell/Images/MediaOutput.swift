import Media
import TerminalGraphics
import Workflow

/// A file shown by `view` or `watch`: its line (recorded, and the whole of it off a terminal) and,
/// on a terminal that can, the picture under it.
@MainActor
extension Session {
  /// Prints `lead + name + facts` and draws the picture when pictures are on; a video or audio file
  /// gets its container, duration and size instead. Returns the JSON object describing it.
  @discardableResult
  func showMedia(
    _ bytes: [UInt8], name: String, lead: String, json: JSONObject, maxRows: Int? = nil
  ) -> JSONObject {
    var object = json
    object["name"] = .string(name)
    object["bytes"] = .int(bytes.count)
    var image: RGBAImage?
    var facts: String
    var problem: String?
    if let format = ImageFormat.sniff(bytes) {
      object["format"] = .string(format.rawValue)
      let animation = (try? MediaProbe.probe(bytes)).flatMap { ($0.frames ?? 1) > 1 ? $0 : nil }
      do {
        let decoded = try ImageDecoder.decode(bytes)
        image = decoded
        object["width"] = .int(decoded.width)
        object["height"] = .int(decoded.height)
        facts = "\(decoded.width)×\(decoded.height) \(format.rawValue.uppercased())"
        if let animation {
          facts += ", " + MediaWords.animation(animation) + " (first frame shown)"
          object["frames"] = animation.frames.map(JSONValue.int) ?? .null
        }
      } catch {
        facts = format.rawValue.uppercased() + ", " + TraceWords.size(bytes.count)
        problem = "cannot draw \(name): " + MediaWords.decodeProblem(error)
      }
    } else if let info = try? MediaProbe.probe(bytes) {
      facts = MediaWords.describe(info)
      object["format"] = .string(info.container.rawValue)
      object["duration"] = info.duration.map(JSONValue.double) ?? .null
      if let width = info.width, let height = info.height {
        object["width"] = .int(width)
        object["height"] = .int(height)
      }
    } else {
      facts = TraceWords.size(bytes.count) + ", not a picture, video or audio file comfysh knows"
    }
    let drawn = image != nil && pictures.drawing
    object["drawn"] = .bool(drawn)
    console.result(lead + name + "  " + facts, json: object)
    if let problem { console.warning(problem) }
    if drawn, let image, let picture = PictureWriter.draw(image, on: pictures.target(maxRows: maxRows)) {
      console.flush()
      pictures.write(picture.bytes)
    }
    return object
  }

  /// `watch` with `images on`: the picture alone (its line is already out), or for video and audio
  /// what the file holds. Terminal decoration only, never recorded.
  func drawMedia(_ bytes: [UInt8], name: String, indent: Int) {
    guard pictures.drawing else { return }
    let pad = String(repeating: " ", count: indent)
    console.flush()
    if ImageFormat.sniff(bytes) != nil {
      do {
        let image = try ImageDecoder.decode(bytes)
        let box = pictures.target()
        let target = PictureTarget(
          graphics: box.graphics, maxColumns: max(8, box.maxColumns - indent), maxRows: min(box.maxRows, 16),
          cellWidth: box.cellWidth, cellHeight: box.cellHeight, sixelColours: box.sixelColours,
          throughTmux: box.throughTmux)
        if var picture = PictureWriter.draw(image, on: target) {
          if target.graphics == .blocks || target.graphics == .blocks256 {
            // Every line of half blocks starts at the indent, not only the first.
            var indented: [UInt8] = []
            for (index, byte) in picture.bytes.enumerated() {
              indented.append(byte)
              if byte == 0x0A, index + 1 < picture.bytes.count { indented += Array(pad.utf8) }
            }
            picture.bytes = indented
          }
          pictures.write(Array(pad.utf8) + picture.bytes)
        }
      } catch {
        pictures.write(Array((pad + "(cannot draw \(name): " + MediaWords.decodeProblem(error) + ")\n").utf8))
      }
    } else if let info = try? MediaProbe.probe(bytes) {
      pictures.write(Array((pad + name + "  " + MediaWords.describe(info) + "\n").utf8))
    }
  }
}

/// The words for what a media file holds.
enum MediaWords {
  /// `MP4 video, 2.0 s, 512×512`; `WAV audio, 3.5 s, 44.1 kHz, 2 channels`.
  static func describe(_ info: MediaInfo) -> String {
    var parts: [String] = [
      info.container.rawValue + (info.hasVideo ? " video" : info.hasAudio ? " audio" : "")
    ]
    if let duration = info.duration { parts.append(ServerFormat.seconds(duration)) }
    if let width = info.width, let height = info.height { parts.append("\(width)×\(height)") }
    if let rate = info.sampleRate {
      let kHz = Double(rate) / 1000
      parts.append((kHz == kHz.rounded() ? "\(Int(kHz))" : "\(kHz)") + " kHz")
    }
    if let channels = info.channels {
      parts.append(channels == 1 ? "mono" : channels == 2 ? "stereo" : "\(channels) channels")
    }
    return parts.joined(separator: ", ")
  }

  /// `12 frames, 1.2 s`.
  static func animation(_ info: MediaInfo) -> String {
    var text = "\(info.frames ?? 1) frames"
    if let duration = info.duration { text += ", " + ServerFormat.seconds(duration) }
    return text
  }

  static func decodeProblem(_ error: ImageDecodeError) -> String {
    switch error {
    case .unknownFormat: "it is not a PNG, JPEG, WEBP or GIF file"
    case .truncated(let format, let offset):
      "the \(format.rawValue.uppercased()) data ends early (at byte \(offset))"
    case .corrupt(let format, let reason): "the \(format.rawValue.uppercased()) data is corrupt (\(reason))"
    case .unsupported(let format, let feature):
      "it uses a part of \(format.rawValue.uppercased()) comfysh does not decode (\(feature)); `download` saves it for another viewer"
    case .tooLarge(let width, let height, let limits):
      "it is \(width)×\(height), more than the \(limits.maximumSide) pixels a side or \(limits.maximumPixels / 1_048_576) megapixels comfysh decodes"
    }
  }
}
