/// A minimal PNG writer: 8-bit RGB, no filtering, a zlib stream of stored (uncompressed) deflate
/// blocks. The simulator's images are small (see `SimImage.maximumSide`), so compression would buy
/// little and cost a dependency; any PNG reader accepts stored blocks.
public enum PNGEncoder {
  /// Encodes `rgb` (width × height × 3 bytes, rows top to bottom) with `tEXt` chunks in the order
  /// given, placed between IHDR and IDAT as Pillow writes ComfyUI's metadata.
  public static func encode(
    width: Int, height: Int, rgb: [UInt8], text: [(key: String, value: String)] = []
  )
    -> [UInt8]
  {
    var header: [UInt8] = []
    header.reserveCapacity(13)
    BigEndian.appendUInt32(&header, UInt32(width))
    BigEndian.appendUInt32(&header, UInt32(height))
    header += [8, 2, 0, 0, 0]  // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace

    let rowBytes = width * 3
    var raw = [UInt8]()
    raw.reserveCapacity((rowBytes + 1) * height)
    for row in 0..<height {
      raw.append(0)  // filter type None
      let start = row * rowBytes
      raw.append(contentsOf: rgb[start..<(start + rowBytes)])
    }

    var chunks = [PNGChunks.Chunk(type: "IHDR", data: header)]
    for entry in text { chunks.append(PNGChunks.textChunk(key: entry.key, text: entry.value)) }
    chunks.append(PNGChunks.Chunk(type: "IDAT", data: zlibStored(raw)))
    chunks.append(PNGChunks.Chunk(type: "IEND", data: []))
    return PNGChunks.write(chunks)
  }

  /// A zlib stream (RFC 1950) holding `data` in stored deflate blocks (RFC 1951 §3.2.4).
  public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    out.reserveCapacity(data.count + data.count / 65535 * 5 + 16)
    var offset = 0
    repeat {
      let length = min(65535, data.count - offset)
      let isLast = offset + length == data.count
      out.append(isLast ? 1 : 0)
      out.append(UInt8(length & 0xFF))
      out.append(UInt8(length >> 8))
      out.append(UInt8(~length & 0xFF))
      out.append(UInt8((~length >> 8) & 0xFF))
      out.append(contentsOf: data[offset..<(offset + length)])
      offset += length
    } while offset < data.count
    BigEndian.appendUInt32(&out, adler32(data))
    return out
  }

  public static func adler32(_ data: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    var index = 0
    // 5552 is the largest run that cannot overflow 32 bits before the modulo.
    while index < data.count {
      let end = min(index + 5552, data.count)
      while index < end {
        a &+= UInt32(data[index])
        b &+= a
        index += 1
      }
      a %= 65521
      b %= 65521
    }
    return b << 16 | a
  }

  /// Width and height from a PNG's IHDR, or nil when `bytes` is not a PNG.
  public static func dimensions(of bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard PNGChunks.isPNG(bytes), bytes.count >= 24,
      String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR"
    else { return nil }
    let width = Int(BigEndian.readUInt32(bytes, 16))
    let height = Int(BigEndian.readUInt32(bytes, 20))
    guard width > 0, height > 0 else { return nil }
    return (width, height)
  }

}
