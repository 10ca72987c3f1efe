/// WEBP to RGBA: the RIFF container with a lossy (VP8) or lossless (VP8L) picture, the extended
/// format (VP8X) with an ALPH alpha plane, and animations (the first frame, on its canvas).
public enum WebPDecoder {
  struct Chunk {
    var type: String
    var start: Int
    var count: Int
  }

  static func chunks(_ bytes: [UInt8], from start: Int, to end: Int) throws(ImageDecodeError) -> [Chunk] {
    var list: [Chunk] = []
    var offset = start
    while offset + 8 <= end {
      let type = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
      let size =
        Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
        | Int(bytes[offset + 7]) << 24
      guard size <= end - offset - 8 else {
        // A cut-short last chunk is reported as truncation, not as a missing picture.
        throw .truncated(.webp, offset: bytes.count)
      }
      list.append(Chunk(type: type, start: offset + 8, count: size))
      offset += 8 + size + (size & 1)
    }
    return list
  }

  static func riffChunks(_ bytes: [UInt8]) throws(ImageDecodeError) -> [Chunk] {
    guard ImageFormat.sniff(bytes) == .webp else { throw .unknownFormat(head: Array(bytes.prefix(8))) }
    let declared = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
    return try chunks(bytes, from: 12, to: min(bytes.count, 8 + declared))
  }

  public static func decode(
    _ bytes: [UInt8], limits: DecodeLimits = .standard
  ) throws(ImageDecodeError) -> RGBAImage {
    let list = try riffChunks(bytes)
    guard let first = list.first else { throw .truncated(.webp, offset: bytes.count) }
    if first.type == "VP8X" {
      guard first.count >= 10 else { throw .corrupt(.webp, reason: "short VP8X chunk") }
      let s = first.start
      let canvasWidth = (Int(bytes[s + 4]) | Int(bytes[s + 5]) << 8 | Int(bytes[s + 6]) << 16) + 1
      let canvasHeight = (Int(bytes[s + 7]) | Int(bytes[s + 8]) << 8 | Int(bytes[s + 9]) << 16) + 1
      try limits.check(width: canvasWidth, height: canvasHeight, format: .webp)
      if let frame = list.first(where: { $0.type == "ANMF" }) {
        guard frame.count >= 16 else { throw .corrupt(.webp, reason: "short ANMF chunk") }
        let f = frame.start
        func u24(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 }
        let x = u24(f) * 2
        let y = u24(f + 3) * 2
        let inner = try chunks(bytes, from: f + 16, to: f + frame.count)
        let picture = try still(bytes, inner, limits: limits)
        var canvas = [UInt8](repeating: 0, count: canvasWidth * canvasHeight * 4)
        for row in 0..<picture.height where y + row < canvasHeight {
          for column in 0..<picture.width where x + column < canvasWidth {
            let from = (row * picture.width + column) * 4
            let to = ((y + row) * canvasWidth + x + column) * 4
            for c in 0..<4 { canvas[to + c] = picture.pixels[from + c] }
          }
        }
        return RGBAImage(width: canvasWidth, height: canvasHeight, pixels: canvas)
      }
      return try still(bytes, Array(list.dropFirst()), limits: limits)
    }
    return try still(bytes, list, limits: limits)
  }

  /// One picture from its chunks: VP8L, or VP8 with an optional ALPH before it.
  static func still(
    _ bytes: [UInt8], _ list: [Chunk], limits: DecodeLimits
  ) throws(ImageDecodeError) -> RGBAImage {
    if let lossless = list.first(where: { $0.type == "VP8L" }) {
      let (width, height, argb) = try VP8LDecoder.decode(
        Array(bytes[lossless.start..<(lossless.start + lossless.count)]), limits: limits)
      var out = [UInt8](repeating: 0, count: width * height * 4)
      for (i, p) in argb.enumerated() {
        out[i * 4] = UInt8(truncatingIfNeeded: p >> 16)
        out[i * 4 + 1] = UInt8(truncatingIfNeeded: p >> 8)
        out[i * 4 + 2] = UInt8(truncatingIfNeeded: p)
        out[i * 4 + 3] = UInt8(truncatingIfNeeded: p >> 24)
      }
      return RGBAImage(width: width, height: height, pixels: out)
    }
    guard let lossy = list.first(where: { $0.type == "VP8 " }) else {
      throw .corrupt(.webp, reason: "no VP8 or VP8L picture")
    }
    let (width, height, decoder) = try VP8Decoder.decode(
      Array(bytes[lossy.start..<(lossy.start + lossy.count)]), limits: limits)
    var alpha: [UInt8]?
    if let chunk = list.first(where: { $0.type == "ALPH" }) {
      alpha = try decodeAlpha(
        Array(bytes[chunk.start..<(chunk.start + chunk.count)]), width: width, height: height)
    }
    return RGBAImage(width: width, height: height, pixels: decoder.rgba(alpha: alpha))
  }

  static func decodeAlpha(_ data: [UInt8], width: Int, height: Int) throws(ImageDecodeError) -> [UInt8] {
    guard let header = data.first else { throw .corrupt(.webp, reason: "empty ALPH chunk") }
    let compression = header & 3
    let filter = header >> 2 & 3
    var alpha: [UInt8]
    switch compression {
    case 0:
      guard data.count >= 1 + width * height else { throw .truncated(.webp, offset: data.count) }
      alpha = Array(data[1..<(1 + width * height)])
    case 1:
      alpha = try VP8LDecoder.decodeStream(data, from: 1, width: width, height: height).map {
        UInt8(truncatingIfNeeded: $0 >> 8)
      }
    default: throw .corrupt(.webp, reason: "alpha compression \(compression)")
    }
    guard filter != 0 else { return alpha }
    for y in 0..<height {
      for x in 0..<width {
        let i = y * width + x
        let prediction: Int
        if y == 0 {
          prediction = x == 0 ? 0 : Int(alpha[i - 1])
        } else if x == 0 {
          prediction = Int(alpha[i - width])
        } else {
          switch filter {
          case 1: prediction = Int(alpha[i - 1])
          case 2: prediction = Int(alpha[i - width])
          default:
            prediction = max(
              0, min(255, Int(alpha[i - 1]) + Int(alpha[i - width]) - Int(alpha[i - width - 1])))
          }
        }
        alpha[i] = alpha[i] &+ UInt8(prediction)
      }
    }
    return alpha
  }

  /// Frames and total duration of an animated WEBP (1 frame, 0 ms for a still).
  public static func animation(_ bytes: [UInt8]) throws(ImageDecodeError) -> (frames: Int, durationMs: Int) {
    let frames = try riffChunks(bytes).filter { $0.type == "ANMF" && $0.count >= 16 }
    guard !frames.isEmpty else { return (1, 0) }
    let duration = frames.reduce(0) { total, frame in
      total
        + (Int(bytes[frame.start + 12]) | Int(bytes[frame.start + 13]) << 8 | Int(bytes[frame.start + 14])
          << 16)
    }
    return (frames.count, duration)
  }
}

extension WebPDecoder {
  /// The canvas (VP8X) or picture size of a WEBP, from its headers.
  public static func canvasSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard let list = try? riffChunks(bytes), let first = list.first else { return nil }
    let s = first.start
    func u24(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 }
    switch first.type {
    case "VP8X" where first.count >= 10: return (u24(s + 4) + 1, u24(s + 7) + 1)
    case "VP8L" where first.count >= 5:
      let bits =
        Int(bytes[s + 1]) | Int(bytes[s + 2]) << 8 | Int(bytes[s + 3]) << 16 | Int(bytes[s + 4]) << 24
      return ((bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1)
    case "VP8 " where first.count >= 10:
      return (
        (Int(bytes[s + 6]) | Int(bytes[s + 7]) << 8) & 0x3FFF,
        (Int(bytes[s + 8]) | Int(bytes[s + 9]) << 8) & 0x3FFF
      )
    default: return nil
    }
  }
}
