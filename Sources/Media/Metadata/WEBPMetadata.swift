/// The metadata ComfyUI writes into WEBP files (SaveAnimatedWEBP, SaveWEBM's stills and friends): an
/// `EXIF` RIFF chunk whose first IFD holds `prompt:{json}` in tag 0x0110 (Model) and each
/// `extra_pnginfo` entry, `workflow:{json}` first, from tag 0x010F (Make) downwards (nodes_images.py,
/// through Pillow's `getexif()`). The frontend reads them back the same way (pnginfo.ts).
enum WEBPMetadata {
  static func read(_ bytes: [UInt8]) throws(MetadataError) -> ImageMetadata {
    var metadata = ImageMetadata(format: .webp, entries: [], unreadable: [])
    var offset = 12
    while offset + 8 <= bytes.count {
      let type = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
      let length = Int(LittleEndian.uint32(bytes, offset + 4))
      guard length <= bytes.count - offset - 8 else { throw .truncatedWEBP(chunk: type) }
      let body = bytes[(offset + 8)..<(offset + 8 + length)]
      if type == "EXIF" { readEXIF(Array(body), into: &metadata) }
      offset += 8 + length + (length & 1)
    }
    return metadata
  }

  /// The ASCII and UNDEFINED strings of the first IFD that read `key:text`.
  static func readEXIF(_ body: [UInt8], into metadata: inout ImageMetadata) {
    var tiff = body[...]
    if tiff.starts(with: Array("Exif\0\0".utf8)) { tiff = tiff.dropFirst(6) }
    let data = Array(tiff)
    guard data.count >= 8 else { return }
    let little: Bool
    switch (data[0], data[1]) {
    case (0x49, 0x49): little = true
    case (0x4D, 0x4D): little = false
    default: return
    }
    func u16(_ at: Int) -> Int? {
      guard at >= 0, at + 2 <= data.count else { return nil }
      return little ? Int(data[at]) | Int(data[at + 1]) << 8 : Int(data[at]) << 8 | Int(data[at + 1])
    }
    func u32(_ at: Int) -> Int? {
      guard let high = u16(little ? at + 2 : at), let low = u16(little ? at : at + 2) else { return nil }
      return high << 16 | low
    }
    guard let ifd = u32(4), let count = u16(ifd) else { return }
    for index in 0..<count {
      let entry = ifd + 2 + index * 12
      guard let type = u16(entry + 2), let length = u32(entry + 4), type == 2 || type == 7 else { continue }
      let start = length <= 4 ? entry + 8 : (u32(entry + 8) ?? -1)
      guard start >= 0, length <= data.count - start else { continue }
      var text = data[start..<(start + length)]
      while text.last == 0 { text = text.dropLast() }
      let string = String(decoding: text, as: UTF8.self)
      guard let colon = string.firstIndex(of: ":") else { continue }
      metadata.entries.append(
        MetadataEntry(
          key: String(string[..<colon]), text: String(string[string.index(after: colon)...]),
          container: "WEBP EXIF"))
    }
  }
}

enum LittleEndian {
  static func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
      | UInt32(bytes[offset + 3]) << 24
  }
}
