import Media

/// An MP4 (ISO base media file) whose video track's samples are PNG pictures (QuickTime's `png `
/// codec): what the simulator's SaveVideo writes. It has ComfyUI's container, duration and frame
/// size, and ffmpeg and players that read QuickTime PNG tracks can play it, without a video encoder.
enum PNGMovie {
  static func mp4(frames: [[UInt8]], width: Int, height: Int, fps: Double) -> [UInt8] {
    // One sample lasts 1000 ticks of a timescale of fps × 1000 (30 fps → 30000), so 23.976 stays exact.
    let timescale = UInt32(max(1, (fps * 1000).rounded()))
    let delta: UInt32 = 1000
    let mediaDuration = UInt32(frames.count) * delta
    let milliseconds = UInt32((Double(frames.count) * 1000 / max(fps, 0.001)).rounded())
    let sizes = frames.map { UInt32($0.count) }

    let ftyp = box("ftyp", ascii("isom") + be32(512) + ascii("isom") + ascii("iso2") + ascii("mp41"))
    func moov(chunkOffset: UInt32) -> [UInt8] {
      let mvhd = fullBox(
        "mvhd", version: 0, flags: 0,
        be32(0) + be32(0) + be32(1000) + be32(milliseconds) + be32(0x0001_0000) + be16(0x0100)
          + zeros(10) + matrix + zeros(24) + be32(2))
      let tkhd = fullBox(
        "tkhd", version: 0, flags: 3,
        be32(0) + be32(0) + be32(1) + zeros(4) + be32(milliseconds) + zeros(8) + be16(0) + be16(0)
          + be16(0) + zeros(2) + matrix + be32(UInt32(width) << 16) + be32(UInt32(height) << 16))
      let mdhd = fullBox(
        "mdhd", version: 0, flags: 0,
        be32(0) + be32(0) + be32(timescale) + be32(mediaDuration) + be16(0x55C4) + be16(0))
      let hdlr = fullBox(
        "hdlr", version: 0, flags: 0, zeros(4) + ascii("vide") + zeros(12) + ascii("VideoHandler\0"))
      let vmhd = fullBox("vmhd", version: 0, flags: 1, zeros(8))
      let dinf = box(
        "dinf", fullBox("dref", version: 0, flags: 0, be32(1) + fullBox("url ", version: 0, flags: 1, [])))
      var compressor = [UInt8(3)] + ascii("png")
      compressor += zeros(32 - compressor.count)
      let sampleEntry = box(
        "png ",
        zeros(6) + be16(1) + zeros(16) + be16(UInt16(clamping: width)) + be16(UInt16(clamping: height))
          + be32(0x0048_0000) + be32(0x0048_0000) + zeros(4) + be16(1) + compressor + be16(0x0018)
          + be16(0xFFFF))
      let stsd = fullBox("stsd", version: 0, flags: 0, be32(1) + sampleEntry)
      let stts = fullBox("stts", version: 0, flags: 0, be32(1) + be32(UInt32(frames.count)) + be32(delta))
      let stsc = fullBox(
        "stsc", version: 0, flags: 0, be32(1) + be32(1) + be32(UInt32(frames.count)) + be32(1))
      let stsz = fullBox(
        "stsz", version: 0, flags: 0, be32(0) + be32(UInt32(frames.count)) + sizes.flatMap(be32))
      let stco = fullBox("stco", version: 0, flags: 0, be32(1) + be32(chunkOffset))
      let stbl = box("stbl", stsd + stts + stsc + stsz + stco)
      let minf = box("minf", vmhd + dinf + stbl)
      let mdia = box("mdia", mdhd + hdlr + minf)
      return box("moov", mvhd + box("trak", tkhd + mdia))
    }
    // The chunk offset's width does not depend on its value: size the moov once, then write it.
    let moovSize = moov(chunkOffset: 0).count
    let payload = frames.flatMap { $0 }
    let mdatHeader = be32(UInt32(8 + payload.count)) + ascii("mdat")
    return ftyp + moov(chunkOffset: UInt32(ftyp.count + moovSize + 8)) + mdatHeader + payload
  }

  private static let matrix =
    be32(0x0001_0000) + zeros(12) + be32(0x0001_0000) + zeros(12) + be32(0x4000_0000)

  private static func box(_ type: String, _ body: [UInt8]) -> [UInt8] {
    be32(UInt32(8 + body.count)) + ascii(type) + body
  }

  private static func fullBox(_ type: String, version: UInt8, flags: UInt32, _ body: [UInt8]) -> [UInt8] {
    box(type, [version, UInt8((flags >> 16) & 0xFF), UInt8((flags >> 8) & 0xFF), UInt8(flags & 0xFF)] + body)
  }

  private static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
  private static func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }
  private static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
  private static func be32(_ value: UInt32) -> [UInt8] {
    var bytes: [UInt8] = []
    BigEndian.appendUInt32(&bytes, value)
    return bytes
  }
}
