import Media

/// Builders for the image files ComfyUI and other tools write.
public enum MetadataSamples {
  public static let header = PNGChunks.Chunk(type: "IHDR", data: [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
  public static let end = PNGChunks.Chunk(type: "IEND", data: [])

  /// A zlib stream of stored (uncompressed) DEFLATE blocks: valid for any inflater.
  public static func zlib(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var rest = bytes[...]
    repeat {
      let block = rest.prefix(65535)
      rest = rest.dropFirst(block.count)
      out.append(rest.isEmpty ? 1 : 0)
      let length = UInt16(block.count)
      out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
      out += block
    } while !rest.isEmpty
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in bytes {
      a = (a + UInt32(byte)) % 65521
      b = (b + a) % 65521
    }
    BigEndian.appendUInt32(&out, b << 16 | a)
    return out
  }

  public static func zTXt(_ key: String, _ text: String) -> PNGChunks.Chunk {
    PNGChunks.Chunk(type: "zTXt", data: Array(key.utf8) + [0, 0] + zlib(Array(text.utf8)))
  }

  public static func iTXt(_ key: String, _ text: String, compressed: Bool) -> PNGChunks.Chunk {
    let body = compressed ? zlib(Array(text.utf8)) : Array(text.utf8)
    return PNGChunks.Chunk(
      type: "iTXt", data: Array(key.utf8) + [0, compressed ? 1 : 0, 0] + Array("en".utf8) + [0, 0] + body)
  }

  public static func png(_ chunks: [PNGChunks.Chunk]) -> [UInt8] {
    PNGChunks.write([header] + chunks + [end])
  }

  /// A WEBP whose EXIF holds ComfyUI's `prompt:` (0x0110) and `workflow:` (0x010F) strings, as Pillow
  /// writes them (little-endian TIFF, "Exif\0\0" prefix optional).
  public static func webp(prompt: String?, workflow: String?, exifPrefix: Bool = false) -> [UInt8] {
    var entries: [(UInt16, [UInt8])] = []
    if let workflow { entries.append((0x010F, Array("workflow:\(workflow)".utf8) + [0])) }
    if let prompt { entries.append((0x0110, Array("prompt:\(prompt)".utf8) + [0])) }
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16) }
    var tiff: [UInt8] = Array("II".utf8) + le16(42) + le32(8) + le16(entries.count)
    var data: [UInt8] = []
    let dataStart = 8 + 2 + entries.count * 12 + 4
    for (tag, bytes) in entries {
      tiff += le16(Int(tag)) + le16(2) + le32(bytes.count)
      tiff +=
        bytes.count <= 4 ? bytes + Array(repeating: 0, count: 4 - bytes.count) : le32(dataStart + data.count)
      if bytes.count > 4 { data += bytes }
    }
    tiff += le32(0) + data
    let exif = (exifPrefix ? Array("Exif\0\0".utf8) : []) + tiff
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
      Array(type.utf8) + le32(body.count) + body + (body.count % 2 == 1 ? [0] : [])
    }
    let body = Array("WEBP".utf8) + chunk("VP8L", [0x2F, 0, 0, 0, 0]) + chunk("EXIF", exif)
    return Array("RIFF".utf8) + le32(body.count) + body
  }
}
