/// Reads and writes the chunk structure of PNG files, for the `prompt`/`workflow` text ComfyUI stores there.
public enum PNGChunks {
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  public struct Chunk: Sendable, Equatable {
    public var type: String
    public var data: [UInt8]
    public init(type: String, data: [UInt8]) {
      self.type = type
      self.data = data
    }
  }

  public static func isPNG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: signature) }

  /// Splits a PNG into chunks; fails on a missing signature or a truncated chunk.
  public static func read(_ bytes: [UInt8]) throws(PNGError) -> [Chunk] {
    guard isPNG(bytes) else { throw .notPNG }
    var chunks: [Chunk] = []
    var offset = signature.count
    while offset + 12 <= bytes.count {
      let length = Int(BigEndian.readUInt32(bytes, offset))
      guard length <= bytes.count - offset - 12 else {
        throw .truncated(
          chunkType: String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self),
          claimedLength: length)
      }
      let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
      chunks.append(Chunk(type: type, data: Array(bytes[(offset + 8)..<(offset + 8 + length)])))
      offset += 12 + length
      if type == "IEND" { break }
    }
    return chunks
  }

  /// Serialises chunks after the signature, computing each chunk's CRC.
  public static func write(_ chunks: [Chunk]) -> [UInt8] {
    var out = signature
    for chunk in chunks {
      BigEndian.appendUInt32(&out, UInt32(chunk.data.count))
      let typeBytes = Array(chunk.type.utf8)
      out += typeBytes
      out += chunk.data
      BigEndian.appendUInt32(&out, crc32(typeBytes + chunk.data))
    }
    return out
  }

  /// A `tEXt` chunk; characters outside Latin-1 are written as `?`, as the PNG spec allows only Latin-1.
  public static func textChunk(key: String, text: String) -> Chunk {
    var data = Array(key.utf8)
    data.append(0)
    data += text.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") }
    return Chunk(type: "tEXt", data: data)
  }

  private static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// The CRC-32 used by PNG and zlib's gzip.
  public static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
  }
}

/// Why bytes could not be split into PNG chunks.
public enum PNGError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The first bytes are not the PNG signature.
  case notPNG
  /// A chunk claims more bytes than the file has left.
  case truncated(chunkType: String, claimedLength: Int)

  public var description: String {
    switch self {
    case .notPNG: "this is not a PNG file (its first bytes are not the PNG signature)"
    case .truncated(let type, let length):
      "the PNG file is truncated (its \(type) chunk claims \(length) bytes past the end of the file)"
    }
  }
}
