/// What a video, audio or animation file holds, read from its headers without decoding a frame:
/// what `view` shows for an output it cannot draw.
public struct MediaInfo: Sendable, Equatable {
  public enum Container: String, Sendable, Equatable {
    case mp4 = "MP4"
    case quickTime = "QuickTime"
    case webm = "WebM"
    case matroska = "Matroska"
    case wav = "WAV"
    case flac = "FLAC"
    case mp3 = "MP3"
    case oggVorbis = "Ogg Vorbis"
    case oggOpus = "Ogg Opus"
    case ogg = "Ogg"
    case gif = "GIF"
    case webp = "WEBP"
    case png = "PNG"
    case jpeg = "JPEG"
  }

  public var container: Container
  /// Seconds; nil when the file does not say.
  public var duration: Double?
  public var width: Int?
  public var height: Int?
  public var sampleRate: Int?
  public var channels: Int?
  /// Frames of an animation (GIF, WEBP); nil for video, whose count the headers rarely give.
  public var frames: Int?
  public var hasVideo: Bool { width != nil }
  public var hasAudio: Bool { sampleRate != nil }

  public init(
    container: Container, duration: Double? = nil, width: Int? = nil, height: Int? = nil,
    sampleRate: Int? = nil,
    channels: Int? = nil, frames: Int? = nil
  ) {
    self.container = container
    self.duration = duration
    self.width = width
    self.height = height
    self.sampleRate = sampleRate
    self.channels = channels
    self.frames = frames
  }
}

public enum MediaInfoError: Error, Sendable, Equatable {
  /// Not a container this reader knows (`head` is the first bytes, for the message).
  case unknownFormat(head: [UInt8])
  /// The headers end early or contradict themselves.
  case malformed(MediaInfo.Container, reason: String)
}

public enum MediaProbe {
  /// Reads the container's headers: MP4/MOV, WebM/MKV, WAV, FLAC, MP3, Ogg (Vorbis, Opus),
  /// animated GIF/WEBP, and the size of PNG/JPEG stills.
  public static func probe(_ bytes: [UInt8]) throws(MediaInfoError) -> MediaInfo {
    func ascii(_ at: Int, _ text: String) -> Bool {
      let t = Array(text.utf8)
      return bytes.count >= at + t.count && Array(bytes[at..<(at + t.count)]) == t
    }
    if ascii(4, "ftyp") { return try ISOMedia.probe(bytes) }
    if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return try Matroska.probe(bytes) }
    if ascii(0, "RIFF") && ascii(8, "WAVE") { return try Wave.probe(bytes) }
    if ascii(0, "fLaC") { return try FLAC.probe(bytes) }
    if ascii(0, "OggS") { return try Ogg.probe(bytes) }
    switch ImageFormat.sniff(bytes) {
    case .gif:
      do {
        let animation = try GIFDecoder.animation(bytes)
        let size = ImageFiles.dimensions(of: bytes)
        return MediaInfo(
          container: .gif, duration: Double(animation.durationMs) / 1000, width: size?.width,
          height: size?.height,
          frames: animation.frames)
      } catch {
        throw .malformed(.gif, reason: "\(error)")
      }
    case .webp:
      do {
        let animation = try WebPDecoder.animation(bytes)
        let size = WebPDecoder.canvasSize(bytes)
        return MediaInfo(
          container: .webp, duration: Double(animation.durationMs) / 1000, width: size?.width,
          height: size?.height,
          frames: animation.frames)
      } catch {
        throw .malformed(.webp, reason: "\(error)")
      }
    case .png, .jpeg:
      let size = ImageFiles.dimensions(of: bytes)
      return MediaInfo(
        container: bytes[0] == 0x89 ? .png : .jpeg, width: size?.width, height: size?.height, frames: 1)
    case nil: break
    }
    if let info = MPEGAudio.probe(bytes) { return info }
    throw .unknownFormat(head: Array(bytes.prefix(8)))
  }
}

/// Little- and big-endian reads that return nil past the end instead of trapping.
struct ByteView {
  let bytes: [UInt8]
  func u8(_ at: Int) -> Int? { at >= 0 && at < bytes.count ? Int(bytes[at]) : nil }
  func be(_ at: Int, _ n: Int) -> UInt64? {
    guard at >= 0, n <= 8, at + n <= bytes.count else { return nil }
    var v: UInt64 = 0
    for i in 0..<n { v = v << 8 | UInt64(bytes[at + i]) }
    return v
  }
  func le(_ at: Int, _ n: Int) -> UInt64? {
    guard at >= 0, n <= 8, at + n <= bytes.count else { return nil }
    var v: UInt64 = 0
    for i in (0..<n).reversed() { v = v << 8 | UInt64(bytes[at + i]) }
    return v
  }
  func text(_ at: Int, _ n: Int) -> String? {
    guard at >= 0, at + n <= bytes.count else { return nil }
    return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
  }
}

/// MP4 and QuickTime: the `moov` box's movie header and each track's header and sample description.
enum ISOMedia {
  static func probe(_ bytes: [UInt8]) throws(MediaInfoError) -> MediaInfo {
    let view = ByteView(bytes: bytes)
    let brand = view.text(8, 4) ?? ""
    var info = MediaInfo(container: brand == "qt  " ? .quickTime : .mp4)
    var foundMovie = false
    func boxes(
      _ start: Int, _ end: Int, _ visit: (String, Int, Int) throws(MediaInfoError) -> Void
    ) throws(MediaInfoError) {
      var offset = start
      while offset + 8 <= end {
        guard var size = view.be(offset, 4).map(Int.init), let type = view.text(offset + 4, 4) else { return }
        var header = 8
        if size == 1 {
          guard let large = view.be(offset + 8, 8) else { return }
          size = Int(clamping: large)
          header = 16
        } else if size == 0 {
          size = end - offset
        }
        guard size >= header else { throw .malformed(info.container, reason: "box \(type) of size \(size)") }
        try visit(type, offset + header, min(end, offset + size))
        offset += size
      }
    }
    try boxes(0, bytes.count) { (type, start, end) throws(MediaInfoError) in
      guard type == "moov" else { return }
      foundMovie = true
      try boxes(start, end) { (type, start, end) throws(MediaInfoError) in
        if type == "mvhd", let version = view.u8(start) {
          let (scaleAt, durationAt, durationBytes) =
            version == 1 ? (start + 20, start + 24, 8) : (start + 12, start + 16, 4)
          if let scale = view.be(scaleAt, 4), scale > 0, let duration = view.be(durationAt, durationBytes) {
            info.duration = Double(duration) / Double(scale)
          }
        }
        guard type == "trak" else { return }
        var handler = ""
        var trackSize: (Int, Int)?
        var audio: (rate: Int, channels: Int)?
        try boxes(start, end) { (type, start, end) throws(MediaInfoError) in
          if type == "tkhd", let version = view.u8(start) {
            let at = start + (version == 1 ? 88 : 76)
            if let w = view.be(at, 4), let h = view.be(at + 4, 4), w > 0, h > 0 {
              trackSize = (Int(w >> 16), Int(h >> 16))
            }
          }
          guard type == "mdia" else { return }
          try boxes(start, end) { (type, start, end) throws(MediaInfoError) in
            if type == "hdlr" { handler = view.text(start + 8, 4) ?? "" }
            guard type == "minf" else { return }
            try boxes(start, end) { (type, start, end) throws(MediaInfoError) in
              guard type == "stbl" else { return }
              try boxes(start, end) { (type, start, end) throws(MediaInfoError) in
                // stsd: version/flags, entry count, then the first sample entry (size, format, fields).
                guard type == "stsd", handler == "soun" else { return }
                let entry = start + 8
                if let channels = view.be(entry + 24, 2), let rate = view.be(entry + 32, 4) {
                  // MP4 writers put 2 here whatever the stream has; AAC's own configuration says.
                  audio = (Int(rate >> 16), aacChannels(view, from: entry + 36, to: end) ?? Int(channels))
                }
              }
            }
          }
        }
        if handler == "vide", let (w, h) = trackSize, info.width == nil {
          info.width = w
          info.height = h
        }
        if handler == "soun", let audio, info.sampleRate == nil {
          info.sampleRate = audio.rate
          info.channels = audio.channels
        }
      }
    }
    guard foundMovie else { throw .malformed(info.container, reason: "no moov box") }
    return info
  }

  /// The channel configuration in an `esds` box's AudioSpecificConfig (ISO 14496-1 descriptors).
  static func aacChannels(_ view: ByteView, from start: Int, to end: Int) -> Int? {
    var at = start
    while at + 8 <= end {
      if view.text(at + 4, 4) == "esds" { break }
      at += 1
    }
    guard at + 8 <= end else { return nil }
    var p = at + 12
    func descriptor(_ tag: Int) -> Bool {
      guard view.u8(p) == tag else { return false }
      p += 1
      for _ in 0..<4 {
        guard let b = view.u8(p) else { return false }
        p += 1
        if b & 0x80 == 0 { break }
      }
      return true
    }
    guard descriptor(0x03), let flags = view.u8(p + 2) else { return nil }
    p += 3
    if flags & 0x80 != 0 { p += 2 }
    if flags & 0x40 != 0, let length = view.u8(p) { p += 1 + length }
    if flags & 0x20 != 0 { p += 2 }
    guard descriptor(0x04) else { return nil }
    p += 13
    guard descriptor(0x05), let config = view.be(p, 2) else { return nil }
    let channels = Int(config >> 3 & 0xF)
    return channels > 0 ? channels : nil
  }
}

/// WebM and Matroska: EBML elements down to the segment's Info (duration) and Tracks.
enum Matroska {
  static func probe(_ bytes: [UInt8]) throws(MediaInfoError) -> MediaInfo {
    let view = ByteView(bytes: bytes)
    /// A variable-length integer: (value, length); `marker` keeps the length bits (element ids).
    func vint(_ at: Int, keepMarker: Bool) -> (UInt64, Int)? {
      guard let first = view.u8(at), first != 0 else { return nil }
      var length = 1
      while first & (0x80 >> (length - 1)) == 0 { length += 1 }
      guard var value = view.be(at, length) else { return nil }
      if !keepMarker { value &= (1 << UInt64(7 * length)) - 1 }
      return (value, length)
    }
    var info = MediaInfo(container: .matroska)
    var scale = 1_000_000.0
    var rawDuration: Double?
    func float(_ at: Int, _ size: Int) -> Double? {
      if size == 4, let bits = view.be(at, 4) { return Double(Float(bitPattern: UInt32(bits))) }
      if size == 8, let bits = view.be(at, 8) { return Double(bitPattern: bits) }
      return nil
    }
    struct Track {
      var type: UInt64 = 0
      var width: Int?
      var height: Int?
      var rate: Int?
      var channels: Int?
      var codec = ""
    }
    var track = Track()
    func walk(_ start: Int, _ end: Int, depth: Int) {
      var offset = start
      while offset < end, depth < 8 {
        guard let (id, idLength) = vint(offset, keepMarker: true),
          let (size, sizeLength) = vint(offset + idLength, keepMarker: false)
        else { return }
        let dataStart = offset + idLength + sizeLength
        let unknown = size == (1 << UInt64(7 * sizeLength)) - 1
        let dataEnd = unknown ? end : min(end, dataStart + Int(clamping: size))
        let length = dataEnd - dataStart
        switch id {
        case 0x4282:
          if let text = view.text(dataStart, length), text.hasPrefix("webm") { info.container = .webm }
        case 0x1A45_DFA3, 0x1853_8067, 0x1549_A966, 0x1654_AE6B, 0xE0, 0xE1:
          walk(dataStart, dataEnd, depth: depth + 1)
        case 0xAE:
          track = Track()
          walk(dataStart, dataEnd, depth: depth + 1)
          if track.type == 1, info.width == nil, let width = track.width, let height = track.height {
            info.width = width
            info.height = height
          }
          if track.type == 2, info.sampleRate == nil, let rate = track.rate {
            // Opus decodes at 48 kHz whatever input rate the track header records.
            info.sampleRate = track.codec == "A_OPUS" ? 48000 : rate
            info.channels = track.channels ?? 1
          }
        case 0x2A_D7B1: if let v = view.be(dataStart, length) { scale = Double(v) }
        case 0x4489: rawDuration = float(dataStart, length)
        case 0x86: track.codec = view.text(dataStart, length) ?? ""
        case 0x83: track.type = view.be(dataStart, length) ?? 0
        case 0xB0: track.width = view.be(dataStart, length).map(Int.init)
        case 0xBA: track.height = view.be(dataStart, length).map(Int.init)
        case 0xB5: track.rate = float(dataStart, length).map { Int($0) }
        case 0x9F: track.channels = view.be(dataStart, length).map(Int.init)
        default: break
        }
        offset = dataEnd
      }
    }
    walk(0, bytes.count, depth: 0)
    if let rawDuration { info.duration = rawDuration * scale / 1e9 }
    guard info.duration != nil || info.width != nil || info.sampleRate != nil else {
      throw .malformed(info.container, reason: "no segment information")
    }
    return info
  }
}

enum Wave {
  static func probe(_ bytes: [UInt8]) throws(MediaInfoError) -> MediaInfo {
    let view = ByteView(bytes: bytes)
    var info = MediaInfo(container: .wav)
    var bytesPerSecond: UInt64 = 0
    var offset = 12
    while offset + 8 <= bytes.count, let size = view.le(offset + 4, 4).map(Int.init),
      let type = view.text(offset, 4)
    {
      if type == "fmt ", let channels = view.le(offset + 10, 2), let rate = view.le(offset + 12, 4),
        let perSecond = view.le(offset + 16, 4)
      {
        info.channels = Int(channels)
        info.sampleRate = Int(rate)
        bytesPerSecond = perSecond
      }
      if type == "data", bytesPerSecond > 0 {
        info.duration = Double(min(size, bytes.count - offset - 8)) / Double(bytesPerSecond)
      }
      offset += 8 + size + (size & 1)
    }
    guard info.sampleRate != nil else { throw .malformed(.wav, reason: "no fmt chunk") }
    return info
  }
}

enum FLAC {
  static func probe(_ bytes: [UInt8]) throws(MediaInfoError) -> MediaInfo {
    let view = ByteView(bytes: bytes)
    // The first metadata block must be STREAMINFO (type 0, 34 bytes).
    guard view.u8(4).map({ $0 & 0x7F }) == 0, let packed = view.be(18, 8) else {
      throw .malformed(.flac, reason: "no STREAMINFO block")
    }
    let rate = Int(packed >> 44)
    let channels = Int(packed >> 41 & 7) + 1
    let samples = packed & 0xF_FFFF_FFFF
    guard rate > 0 else { throw .malformed(.flac, reason: "sample rate 0") }
    return MediaInfo(
      container: .flac, duration: samples > 0 ? Double(samples) / Double(rate) : nil, sampleRate: rate,
      channels: channels)
  }
}

enum Ogg {
  static func probe(_ bytes: [UInt8]) throws(MediaInfoError) -> MediaInfo {
    let view = ByteView(bytes: bytes)
    guard let segments = view.u8(26) else { throw .malformed(.ogg, reason: "short first page") }
    let packet = 27 + segments
    var info = MediaInfo(container: .ogg)
    var preSkip = 0
    var granuleRate = 0
    if view.text(packet, 7) == "\u{01}vorbis", let channels = view.u8(packet + 11),
      let rate = view.le(packet + 12, 4)
    {
      info.container = .oggVorbis
      info.channels = channels
      info.sampleRate = Int(rate)
      granuleRate = Int(rate)
    } else if view.text(packet, 8) == "OpusHead", let channels = view.u8(packet + 9),
      let skip = view.le(packet + 10, 2), let rate = view.le(packet + 12, 4)
    {
      info.container = .oggOpus
      info.channels = channels
      _ = rate  // the encoder's input rate; Opus always decodes at 48 kHz
      info.sampleRate = 48000
      preSkip = Int(skip)
      granuleRate = 48000  // Opus granules always count 48 kHz samples
    } else {
      throw .malformed(.ogg, reason: "neither Vorbis nor Opus")
    }
    // The last page's granule position is the stream's length in samples.
    var at = bytes.count - 27
    while at >= 0 {
      if bytes[at] == 0x4F, view.text(at, 4) == "OggS", let granule = view.le(at + 6, 8),
        granule != UInt64.max
      {
        if granuleRate > 0 { info.duration = Double(max(0, Int(granule) - preSkip)) / Double(granuleRate) }
        break
      }
      at -= 1
    }
    return info
  }
}

enum MPEGAudio {
  static func probe(_ bytes: [UInt8]) -> MediaInfo? {
    let view = ByteView(bytes: bytes)
    var start = 0
    if view.text(0, 3) == "ID3", let size = view.be(6, 4) {
      // A syncsafe size: 7 bits a byte.
      let s = Int(size)
      start = 10 + ((s >> 24 & 0x7F) << 21 | (s >> 16 & 0x7F) << 14 | (s >> 8 & 0x7F) << 7 | s & 0x7F)
    }
    var at = start
    while at + 4 <= min(bytes.count, start + 65536) {
      if bytes[at] == 0xFF, bytes[at + 1] & 0xE0 == 0xE0, let header = frame(view, at) {
        return header
      }
      at += 1
    }
    return nil
  }

  static let bitratesV1L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
  static let bitratesV1L2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
  static let bitratesV1L1 = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
  static let bitratesV2L1 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
  static let bitratesV2L23 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]

  static func frame(_ view: ByteView, _ at: Int) -> MediaInfo? {
    guard let b1 = view.u8(at + 1), let b2 = view.u8(at + 2), let b3 = view.u8(at + 3) else { return nil }
    let version = b1 >> 3 & 3  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    let layer = b1 >> 1 & 3  // 1: layer III, 2: II, 3: I
    let bitrateIndex = b2 >> 4
    let rateIndex = b2 >> 2 & 3
    guard version != 1, layer != 0, bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3 else { return nil }
    let baseRate = [44100, 48000, 32000][rateIndex]
    let sampleRate = version == 3 ? baseRate : version == 2 ? baseRate / 2 : baseRate / 4
    let table =
      version == 3
      ? (layer == 1 ? bitratesV1L3 : layer == 2 ? bitratesV1L2 : bitratesV1L1)
      : (layer == 3 ? bitratesV2L1 : bitratesV2L23)
    let bitrate = table[bitrateIndex] * 1000
    let mono = b3 >> 6 == 3
    let samplesPerFrame = layer == 3 ? 384 : (layer == 1 && version != 3 ? 576 : 1152)
    // A Xing/Info (or VBRI) header in the first frame gives the frame count.
    let sideInfo = version == 3 ? (mono ? 17 : 32) : (mono ? 9 : 17)
    var frames: Int?
    let xing = at + 4 + sideInfo
    if let tag = view.text(xing, 4), tag == "Xing" || tag == "Info", let flags = view.be(xing + 4, 4),
      flags & 1 != 0,
      let count = view.be(xing + 8, 4)
    {
      frames = Int(count)
    } else if view.text(at + 36, 4) == "VBRI", let count = view.be(at + 36 + 14, 4) {
      frames = Int(count)
    }
    let duration: Double
    if let frames {
      duration = Double(frames * samplesPerFrame) / Double(sampleRate)
    } else {
      duration = Double(view.bytes.count - at) * 8 / Double(bitrate)
    }
    return MediaInfo(container: .mp3, duration: duration, sampleRate: sampleRate, channels: mono ? 1 : 2)
  }
}
