/// The still-image formats the decoders read.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
  case png, jpeg, webp, gif

  /// Recognises a format by its signature bytes, whatever the file is called.
  public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
    if bytes.starts(with: PNGChunks.signature) { return .png }
    if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
    if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
      return .webp
    }
    if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return .gif }
    return nil
  }
}

/// Why a picture did not decode, with the facts the shell needs to say so.
public enum ImageDecodeError: Error, Sendable, Equatable {
  /// The bytes start like none of the formats (`head` is their first bytes, for the message).
  case unknownFormat(head: [UInt8])
  /// The data ended early; `offset` is how far the decoder got.
  case truncated(ImageFormat, offset: Int)
  /// The data breaks the format's rules.
  case corrupt(ImageFormat, reason: String)
  /// A valid file using a part of the format not implemented here (12-bit JPEG, arithmetic coding…).
  case unsupported(ImageFormat, feature: String)
  /// Larger than the limits allow; decoding would need too much memory.
  case tooLarge(width: Int, height: Int, limits: DecodeLimits)
}

/// Upper bounds a decoder checks before it allocates: a hostile 65535×65535 header must fail
/// at once instead of asking for 17 GB.
public struct DecodeLimits: Sendable, Equatable {
  public var maximumSide: Int
  public var maximumPixels: Int

  /// 16384 a side and 64 megapixels: 256 MB of RGBA at most, well above what ComfyUI writes.
  public static let standard = DecodeLimits(maximumSide: 16384, maximumPixels: 64 * 1024 * 1024)

  public init(maximumSide: Int, maximumPixels: Int) {
    self.maximumSide = maximumSide
    self.maximumPixels = maximumPixels
  }

  func check(width: Int, height: Int, format: ImageFormat) throws(ImageDecodeError) {
    guard width > 0, height > 0 else { throw .corrupt(format, reason: "size \(width)×\(height)") }
    guard width <= maximumSide, height <= maximumSide, width * height <= maximumPixels else {
      throw .tooLarge(width: width, height: height, limits: self)
    }
  }
}

/// One entry point for every still format.
public enum ImageDecoder {
  /// Decodes a PNG, JPEG, WEBP or GIF (the first frame of an animation) to RGBA.
  public static func decode(
    _ bytes: [UInt8], limits: DecodeLimits = .standard
  ) throws(ImageDecodeError) -> RGBAImage {
    switch ImageFormat.sniff(bytes) {
    case .png: return try PNGDecoder.decode(bytes, limits: limits)
    case .jpeg: return try JPEGDecoder.decode(bytes, limits: limits)
    case .webp: return try WebPDecoder.decode(bytes, limits: limits)
    case .gif: return try GIFDecoder.decode(bytes, limits: limits)
    case nil: throw .unknownFormat(head: Array(bytes.prefix(8)))
    }
  }
}
