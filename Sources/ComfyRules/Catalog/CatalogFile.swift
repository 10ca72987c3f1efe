import OrderedCollections
import Workflow

/// A node catalog saved so that one class can be found and parsed without reading the others: a line
/// naming the format, a one-line JSON index (each class's name, display name, category, flags and the
/// byte range of its entry, its search aliases), then the object_info JSON itself. Opening it maps the file and parses only
/// the index; `Catalog` parses an entry when its class is first looked up.
///
/// ```
/// comfysh-catalog 2
/// {"body_bytes":465818,"facts":{…},"classes":[["KSampler","KSampler","sampling",0,1,3120,[]],…]}
/// {"KSampler":{…},…}
/// ```
/// Offsets count from the first byte of the body. `facts` say what the file was made from (a server and
/// version, a catalog file's size and time), so the reader can tell a stale file.
public final class CatalogFile: Sendable {
  public static let formatLine = "comfysh-catalog 2"

  /// What the file was made from, as the writer gave it.
  public let facts: JSONObject
  let summaries: [ClassSummary]
  private let mapping: MappedFile
  /// Each class's entry, as positions in `mapping.bytes`.
  private let ranges: [Range<Int>]

  /// Why a file cannot be used as a catalog file; any of these means "read the catalog again".
  public enum OpenError: Error, Sendable, Equatable {
    case unreadable(FileError)
    /// The first line is not `formatLine` (another version of comfysh, or another file).
    case otherFormat(firstLine: String)
    /// The body is shorter or longer than the index says (a cut write, a file edited by hand).
    case wrongLength(expected: Int, actual: Int)
    /// The index is not what the writer writes, or a range falls outside the body.
    case badIndex(String)
  }

  /// Flags of a class in the index.
  private enum Flag {
    static let apiNode = 1
    static let outputNode = 2
    static let deprecated = 4
    static let experimental = 8
  }

  public static func open(_ path: String) throws(OpenError) -> CatalogFile {
    let mapping: MappedFile
    do {
      mapping = try MappedFile(path, limit: .catalog)
    } catch {
      throw .unreadable(error)
    }
    return try CatalogFile(mapping: mapping)
  }

  private init(mapping: MappedFile) throws(OpenError) {
    let bytes = mapping.bytes
    let newline = UInt8(ascii: "\n")
    guard let firstEnd = bytes.firstIndex(of: newline) else {
      throw .otherFormat(firstLine: String(decoding: bytes.prefix(40), as: UTF8.self))
    }
    let firstLine = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<firstEnd]), as: UTF8.self)
    guard firstLine == Self.formatLine else { throw .otherFormat(firstLine: String(firstLine.prefix(40))) }
    guard let indexEnd = bytes[(firstEnd + 1)...].firstIndex(of: newline) else {
      throw .badIndex("the index line does not end")
    }
    let index: JSONValue
    do {
      index = try JSONValue.parse(utf8: UnsafeBufferPointer(rebasing: bytes[(firstEnd + 1)..<indexEnd]))
    } catch {
      throw .badIndex("the index is not JSON (\(error))")
    }
    let bodyStart = indexEnd + 1
    guard let declared = index["body_bytes"]?.numberValue?.int64Value.map(Int.init) else {
      throw .badIndex("body_bytes is missing")
    }
    guard declared == bytes.count - bodyStart else {
      throw .wrongLength(expected: declared, actual: bytes.count - bodyStart)
    }
    guard let entries = index["classes"]?.arrayValue else { throw .badIndex("classes is missing") }
    var summaries: [ClassSummary] = []
    var ranges: [Range<Int>] = []
    summaries.reserveCapacity(entries.count)
    ranges.reserveCapacity(entries.count)
    for entry in entries {
      guard let fields = entry.arrayValue, fields.count == 7,
        let name = fields[0].stringValue, let displayName = fields[1].stringValue,
        let category = fields[2].stringValue,
        let flags = fields[3].numberValue?.int64Value,
        let offset = fields[4].numberValue?.int64Value.map(Int.init),
        let length = fields[5].numberValue?.int64Value.map(Int.init),
        offset >= 0, length >= 2, offset <= declared - length, let aliases = fields[6].arrayValue
      else {
        throw .badIndex(
          "entry \(summaries.count) is not [name, display, category, flags, offset, length, aliases]")
      }
      let range = (bodyStart + offset)..<(bodyStart + offset + length)
      guard bytes[range.lowerBound] == UInt8(ascii: "{"), bytes[range.upperBound - 1] == UInt8(ascii: "}")
      else { throw .badIndex("the entry of \(name) is not an object at its offset") }
      summaries.append(
        ClassSummary(
          name: name, displayName: displayName, category: category,
          isAPINode: flags & Int64(Flag.apiNode) != 0, isOutputNode: flags & Int64(Flag.outputNode) != 0,
          isDeprecated: flags & Int64(Flag.deprecated) != 0,
          isExperimental: flags & Int64(Flag.experimental) != 0,
          searchAliases: aliases.compactMap(\.stringValue)))
      ranges.append(range)
    }
    self.facts = index["facts"]?.objectValue ?? [:]
    self.summaries = summaries
    self.ranges = ranges
    self.mapping = mapping
  }

  /// The catalog, parsing each class when it is first looked up.
  public func catalog(comfyUIVersion: String? = nil) -> Catalog {
    Catalog(file: self, comfyUIVersion: comfyUIVersion)
  }

  /// The class at `position`, parsed from its entry; nil if the entry is not a JSON object (a file
  /// changed after it was opened cannot be, since it is replaced by rename, never rewritten).
  func nodeClass(at position: Int) -> NodeClass? {
    guard ranges.indices.contains(position) else { return nil }
    let entry = UnsafeBufferPointer(rebasing: mapping.bytes[ranges[position]])
    guard case .object(let fields) = try? JSONValue.parse(utf8: entry) else { return nil }
    return CatalogParser.nodeClass(name: summaries[position].name, fields: fields)
  }

  /// The file's bytes for `catalog` (whose classes keep the entries the server wrote, as catalogs
  /// read from object_info do) and `facts`.
  public static func encode(_ catalog: Catalog, facts: JSONObject = [:]) -> [UInt8] {
    var body: [UInt8] = [UInt8(ascii: "{")]
    var index: [JSONValue] = []
    for nodeClass in catalog.classes {
      if body.count > 1 { body.append(UInt8(ascii: ",")) }
      body.append(contentsOf: JSONValue.string(nodeClass.name).serialized().utf8)
      body.append(UInt8(ascii: ":"))
      let offset = body.count
      body.append(contentsOf: JSONValue.object(nodeClass.raw).serialized().utf8)
      var flags = 0
      if nodeClass.isAPINode { flags |= Flag.apiNode }
      if nodeClass.isOutputNode { flags |= Flag.outputNode }
      if nodeClass.isDeprecated { flags |= Flag.deprecated }
      if nodeClass.isExperimental { flags |= Flag.experimental }
      index.append(
        .array([
          .string(nodeClass.name), .string(nodeClass.displayName), .string(nodeClass.category),
          .int(flags), .int(offset), .int(body.count - offset),
          .array(nodeClass.searchAliases.map { .string($0) }),
        ]))
    }
    body.append(UInt8(ascii: "}"))
    let header: JSONValue = [
      "body_bytes": .int(body.count), "facts": .object(facts), "classes": .array(index),
    ]
    var file = Array((formatLine + "\n").utf8)
    file.append(contentsOf: header.serialized().utf8)
    file.append(UInt8(ascii: "\n"))
    file.append(contentsOf: body)
    return file
  }
}
