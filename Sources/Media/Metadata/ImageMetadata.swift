/// A text entry an image file carries: a PNG text chunk, or a `key:text` string in a WEBP's EXIF.
public struct MetadataEntry: Sendable, Equatable {
  public var key: String
  public var text: String
  /// Where it was: `tEXt`, `zTXt`, `iTXt`, `iTXt (compressed)` or `WEBP EXIF`.
  public var container: String

  public init(key: String, text: String, container: String) {
    self.key = key
    self.text = text
    self.container = container
  }
}

/// A text entry that is there but cannot be read, with why.
public struct UnreadableEntry: Sendable, Equatable {
  public var key: String
  public var container: String
  public var reason: String

  public init(key: String, container: String, reason: String) {
    self.key = key
    self.container = container
    self.reason = reason
  }
}

/// The text metadata of a PNG or WEBP file, where ComfyUI stores `prompt` (API format) and
/// `workflow` (the UI's graph).
public struct ImageMetadata: Sendable, Equatable {
  public enum Format: String, Sendable { case png = "PNG", webp = "WEBP" }

  public var format: Format
  public var entries: [MetadataEntry]
  public var unreadable: [UnreadableEntry]

  /// The first readable entry with this key.
  public subscript(key: String) -> MetadataEntry? { entries.first { $0.key == key } }

  public static func isWEBP(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 12 && bytes[0..<4].elementsEqual("RIFF".utf8) && bytes[8..<12].elementsEqual("WEBP".utf8)
  }

  /// True for the files this reader understands (PNG and WEBP).
  public static func isImage(_ bytes: [UInt8]) -> Bool { PNGChunks.isPNG(bytes) || isWEBP(bytes) }

  /// Most text a compressed chunk may inflate to (a workflow is a few MB at most).
  static let inflateLimit = 256 << 20

  /// Reads the text entries of a PNG (tEXt, zTXt, iTXt) or a WEBP (EXIF); a file cut short is an error
  /// that says so, not an image without metadata.
  public static func read(_ bytes: [UInt8]) throws(MetadataError) -> ImageMetadata {
    if isWEBP(bytes) { return try WEBPMetadata.read(bytes) }
    let chunks: [PNGChunks.Chunk]
    do {
      chunks = try PNGChunks.read(bytes)
    } catch {
      throw .png(error)
    }
    // The chunk reader stops quietly when fewer than a chunk header's bytes remain: no IEND means the
    // file was cut.
    guard chunks.last?.type == "IEND" else { throw .truncatedPNG(lastChunk: chunks.last?.type) }
    var metadata = ImageMetadata(format: .png, entries: [], unreadable: [])
    for chunk in chunks { PNGText.read(chunk, into: &metadata) }
    return metadata
  }
}

/// Why an image's metadata could not be read.
public enum MetadataError: Error, Sendable, Equatable, CustomStringConvertible {
  case png(PNGError)
  /// The PNG ends before its IEND chunk.
  case truncatedPNG(lastChunk: String?)
  /// The WEBP's RIFF chunks run past the end of the file.
  case truncatedWEBP(chunk: String)

  public var description: String {
    switch self {
    case .png(let error): error.description
    case .truncatedPNG(let last):
      "the PNG file is truncated (it ends \(last.map { "after its \($0) chunk" } ?? "in its first chunk"), "
        + "before the IEND chunk that closes every PNG)"
    case .truncatedWEBP(let chunk):
      "the WEBP file is truncated (its \(chunk) chunk runs past the end of the file)"
    }
  }
}

/// PNG text chunks (PNG spec 11.3.4): tEXt is Latin-1; zTXt is zlib-compressed Latin-1; iTXt is UTF-8,
/// compressed or not.
enum PNGText {
  static func read(_ chunk: PNGChunks.Chunk, into metadata: inout ImageMetadata) {
    guard ["tEXt", "zTXt", "iTXt"].contains(chunk.type), let nul = chunk.data.firstIndex(of: 0) else {
      return
    }
    let key = latin1(chunk.data[..<nul])
    let rest = chunk.data[(nul + 1)...]
    func unreadable(_ container: String, _ reason: String) {
      metadata.unreadable.append(UnreadableEntry(key: key, container: container, reason: reason))
    }
    switch chunk.type {
    case "tEXt":
      metadata.entries.append(MetadataEntry(key: key, text: latin1(rest), container: "tEXt"))
    case "zTXt":
      // keyword \0 method compressed-text
      guard let method = rest.first else { return unreadable("zTXt", "it has no compression method") }
      guard method == 0 else { return unreadable("zTXt", "it uses compression method \(method), not zlib") }
      guard let text = Inflate.zlib(Array(rest.dropFirst()), limit: ImageMetadata.inflateLimit) else {
        return unreadable("zTXt", "its zlib data does not inflate")
      }
      metadata.entries.append(MetadataEntry(key: key, text: latin1(text[...]), container: "zTXt"))
    default:
      // keyword \0 compression-flag method language \0 translated-keyword \0 text
      guard rest.count >= 2 else { return unreadable("iTXt", "it ends after its keyword") }
      let flag = rest[rest.startIndex]
      let method = rest[rest.startIndex + 1]
      let afterFlags = rest.dropFirst(2)
      guard let languageEnd = afterFlags.firstIndex(of: 0),
        let translatedEnd = afterFlags[(languageEnd + 1)...].firstIndex(of: 0)
      else { return unreadable("iTXt", "its language and translated keyword are not terminated") }
      let body = Array(afterFlags[(translatedEnd + 1)...])
      if flag == 0 {
        metadata.entries.append(
          MetadataEntry(key: key, text: String(decoding: body, as: UTF8.self), container: "iTXt"))
        return
      }
      guard method == 0 else {
        return unreadable("iTXt (compressed)", "it uses compression method \(method), not zlib")
      }
      guard let text = Inflate.zlib(body, limit: ImageMetadata.inflateLimit) else {
        return unreadable("iTXt (compressed)", "its zlib data does not inflate")
      }
      metadata.entries.append(
        MetadataEntry(key: key, text: String(decoding: text, as: UTF8.self), container: "iTXt (compressed)"))
    }
  }

  static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
    String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
  }
}

extension PNGChunks {
  /// The keyword → text pairs of every readable text chunk (tEXt, zTXt, iTXt), in file order.
  public static func textEntries(_ chunks: [Chunk]) -> [(key: String, text: String)] {
    var metadata = ImageMetadata(format: .png, entries: [], unreadable: [])
    for chunk in chunks { PNGText.read(chunk, into: &metadata) }
    return metadata.entries.map { ($0.key, $0.text) }
  }
}
