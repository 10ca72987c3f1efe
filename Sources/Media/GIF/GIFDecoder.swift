/// GIF to RGBA: the first frame (LZW, global or local colour table, transparency, interlace) on a
/// canvas of the logical screen size; and the frame count and length of an animation without
/// decoding its pixels.
public enum GIFDecoder {
  public static func decode(
    _ bytes: [UInt8], limits: DecodeLimits = .standard
  ) throws(ImageDecodeError) -> RGBAImage {
    var reader = GIFReader(bytes: bytes)
    let screen = try reader.screen()
    try limits.check(width: screen.width, height: screen.height, format: .gif)
    var transparentIndex: Int?
    while true {
      let introducer = try reader.byte()
      switch introducer {
      case 0x21:
        let label = try reader.byte()
        let blocks = try reader.subBlocks()
        if label == 0xF9, blocks.count >= 4, blocks[0] & 1 != 0 { transparentIndex = Int(blocks[3]) }
      case 0x2C:
        return try reader.frame(screen: screen, transparentIndex: transparentIndex)
      case 0x3B: throw .corrupt(.gif, reason: "no image before the trailer")
      default: throw .corrupt(.gif, reason: "unknown block 0x\(String(introducer, radix: 16))")
      }
    }
  }

  /// Frames and total duration (the graphic control extensions' delays) of a GIF.
  public static func animation(_ bytes: [UInt8]) throws(ImageDecodeError) -> (frames: Int, durationMs: Int) {
    var reader = GIFReader(bytes: bytes)
    _ = try reader.screen()
    var frames = 0
    var duration = 0
    while reader.position < bytes.count {
      switch try reader.byte() {
      case 0x21:
        let label = try reader.byte()
        let blocks = try reader.subBlocks()
        if label == 0xF9, blocks.count >= 3 { duration += (Int(blocks[1]) | Int(blocks[2]) << 8) * 10 }
      case 0x2C:
        let descriptor = try reader.take(9)
        if descriptor[8] & 0x80 != 0 { _ = try reader.take(3 << (Int(descriptor[8] & 7) + 1)) }
        _ = try reader.byte()
        _ = try reader.subBlocks()
        frames += 1
      case 0x3B: return (frames, duration)
      default: throw .corrupt(.gif, reason: "unknown block")
      }
    }
    return (frames, duration)
  }
}

struct GIFReader {
  let bytes: [UInt8]
  var position = 0

  struct Screen {
    var width: Int
    var height: Int
    var palette: [UInt8]
  }

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func byte() throws(ImageDecodeError) -> UInt8 {
    guard position < bytes.count else { throw .truncated(.gif, offset: position) }
    position += 1
    return bytes[position - 1]
  }

  mutating func take(_ n: Int) throws(ImageDecodeError) -> [UInt8] {
    guard position + n <= bytes.count else { throw .truncated(.gif, offset: position) }
    position += n
    return Array(bytes[(position - n)..<position])
  }

  mutating func subBlocks() throws(ImageDecodeError) -> [UInt8] {
    var data: [UInt8] = []
    while true {
      let size = Int(try byte())
      if size == 0 { return data }
      data += try take(size)
    }
  }

  mutating func screen() throws(ImageDecodeError) -> Screen {
    let header = try take(13)
    guard header.starts(with: Array("GIF8".utf8)) else { throw .unknownFormat(head: Array(bytes.prefix(8))) }
    let width = Int(header[6]) | Int(header[7]) << 8
    let height = Int(header[8]) | Int(header[9]) << 8
    let flags = header[10]
    let palette = flags & 0x80 != 0 ? try take(3 << (Int(flags & 7) + 1)) : []
    return Screen(width: width, height: height, palette: palette)
  }

  mutating func frame(screen: Screen, transparentIndex: Int?) throws(ImageDecodeError) -> RGBAImage {
    let d = try take(9)
    let left = Int(d[0]) | Int(d[1]) << 8
    let top = Int(d[2]) | Int(d[3]) << 8
    let width = Int(d[4]) | Int(d[5]) << 8
    let height = Int(d[6]) | Int(d[7]) << 8
    let flags = d[8]
    let palette = flags & 0x80 != 0 ? try take(3 << (Int(flags & 7) + 1)) : screen.palette
    guard !palette.isEmpty else { throw .corrupt(.gif, reason: "no colour table") }
    let interlaced = flags & 0x40 != 0
    let minimumCodeSize = Int(try byte())
    guard (1...11).contains(minimumCodeSize) else {
      throw .corrupt(.gif, reason: "LZW code size \(minimumCodeSize)")
    }
    let data = try subBlocks()
    let indices = try Self.lzw(data, minimumCodeSize: minimumCodeSize, count: width * height)

    var out = [UInt8](repeating: 0, count: screen.width * screen.height * 4)
    let rows: [Int] =
      interlaced
      ? [
        stride(from: 0, to: height, by: 8), stride(from: 4, to: height, by: 8),
        stride(from: 2, to: height, by: 4),
        stride(from: 1, to: height, by: 2),
      ].flatMap { Array($0) } : Array(0..<height)
    for (sourceRow, y) in rows.enumerated() {
      let canvasY = top + y
      guard canvasY < screen.height else { continue }
      for x in 0..<width {
        let canvasX = left + x
        let i = sourceRow * width + x
        guard canvasX < screen.width, i < indices.count else { continue }
        let index = Int(indices[i])
        if index == transparentIndex || index * 3 + 2 >= palette.count { continue }
        let o = (canvasY * screen.width + canvasX) * 4
        out[o] = palette[index * 3]
        out[o + 1] = palette[index * 3 + 1]
        out[o + 2] = palette[index * 3 + 2]
        out[o + 3] = 255
      }
    }
    return RGBAImage(width: screen.width, height: screen.height, pixels: out)
  }

  /// GIF's variable-width LZW; a stream that ends early leaves the remaining pixels at index 0.
  static func lzw(_ data: [UInt8], minimumCodeSize: Int, count: Int) throws(ImageDecodeError) -> [UInt8] {
    let clear = 1 << minimumCodeSize
    let end = clear + 1
    var prefix = [Int16](repeating: -1, count: 4096)
    var suffix = [UInt8](repeating: 0, count: 4096)
    var first = [UInt8](repeating: 0, count: 4096)
    var length = [Int16](repeating: 0, count: 4096)
    for i in 0..<clear {
      suffix[i] = UInt8(truncatingIfNeeded: i)
      first[i] = UInt8(truncatingIfNeeded: i)
      length[i] = 1
    }
    var out = [UInt8](repeating: 0, count: count)
    var produced = 0
    var codeSize = minimumCodeSize + 1
    var next = clear + 2
    var previous = -1
    var buffer = 0
    var bits = 0
    var position = 0
    while produced < count {
      while bits < codeSize {
        guard position < data.count else { return out }
        buffer |= Int(data[position]) << bits
        position += 1
        bits += 8
      }
      let code = buffer & ((1 << codeSize) - 1)
      buffer >>= codeSize
      bits -= codeSize
      if code == clear {
        codeSize = minimumCodeSize + 1
        next = clear + 2
        previous = -1
        continue
      }
      if code == end { break }
      var emit = code
      if code >= next || (code > end && length[code] == 0) {
        guard code == next, previous >= 0 else {
          throw .corrupt(.gif, reason: "LZW code \(code) out of sequence")
        }
        emit = previous
      }
      guard code < clear || code > end || code == next else {
        throw .corrupt(.gif, reason: "LZW code \(code)")
      }
      // Write the string of `emit` backwards from its end.
      let n = Int(length[emit])
      var c = emit
      var at = produced + n - 1
      while c >= 0 {
        if at < count { out[at] = suffix[c] }
        at -= 1
        c = Int(prefix[c])
      }
      produced += n
      if code == next {
        if produced < count { out[produced] = first[previous] }
        produced += 1
      }
      if previous >= 0, next < 4096 {
        prefix[next] = Int16(previous)
        suffix[next] = first[code == next ? previous : code]
        first[next] = first[previous]
        length[next] = length[previous] + 1
        next += 1
        if next == 1 << codeSize && codeSize < 12 { codeSize += 1 }
      }
      previous = code
    }
    return out
  }
}
