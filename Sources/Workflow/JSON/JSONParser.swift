#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a JSON text could not be read, with the line and column where reading stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public let line: Int
  public let column: Int

  public var description: String { "line \(line), column \(column): \(message)" }
}

extension JSONValue {
  /// Parses JSON text losslessly (member order, number text, all escapes).
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    var copy = text
    let result: Result<JSONValue, JSONParseError> = copy.withUTF8 { buffer in
      Result { () throws(JSONParseError) in try parse(utf8: buffer) }
    }
    return try result.get()
  }

  /// Parses UTF-8 bytes; a leading byte-order mark is skipped.
  public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
      Result { () throws(JSONParseError) in try parse(utf8: buffer) }
    }
    return try result.get()
  }

  public static func parse(utf8 buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser(buffer)
    return try parser.parseDocument()
  }
}

/// A recursive-descent reader over UTF-8 bytes. Members and elements are gathered on shared stacks
/// and each object or list is made once at its full size; short strings are read once per distinct
/// text (`StringTable`), which also tells cheaply whether an object repeats a name.
struct JSONParser: ~Copyable {
  private let bytes: UnsafeBufferPointer<UInt8>
  private var index: Int = 0
  private var depth = 0
  private static let maximumDepth = 512
  /// Names of the members of the objects being read, innermost last; `keyIDs` holds their ids in
  /// `strings` (-1 for a name that is not in the table).
  private var keys = MovingStack<String>(capacity: 16)
  private var keyIDs = MovingStack<Int32>(capacity: 16)
  /// Values of the objects' members and the lists' elements being read, innermost last.
  private var values = MovingStack<JSONValue>(capacity: 16)
  /// Nil for a short text (a socket message), where making the table costs more than it saves.
  private var strings: StringTable?
  private static let smallestSharedText = 4096
  /// Told apart from every other object's by `StringTable.Entry.seenIn`.
  private var objectSerial: Int32 = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    if bytes.count >= Self.smallestSharedText { strings = StringTable(documentLength: bytes.count) }
  }

  mutating func parseDocument() throws(JSONParseError) -> JSONValue {
    skipWhitespace()
    guard index < bytes.count else { throw error("the text is empty; expected a JSON value") }
    let value = try parseValue()
    skipWhitespace()
    guard index == bytes.count else { throw error("unexpected text after the end of the JSON value") }
    return value
  }

  private mutating func parseValue() throws(JSONParseError) -> JSONValue {
    guard index < bytes.count else { throw error("the text ends where a value was expected") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString().text)
    case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    case let byte:
      if startsWith("NaN") || startsWith("Infinity") {
        throw error("NaN and Infinity are not JSON; write a number or null")
      }
      throw error("unexpected character \(Self.describe(byte)); expected a JSON value")
    }
  }

  private mutating func enter() throws(JSONParseError) {
    depth += 1
    if depth > Self.maximumDepth { throw error("nesting is deeper than \(Self.maximumDepth) levels") }
  }

  private mutating func parseObject() throws(JSONParseError) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    index += 1
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(JSONObject())
    }
    let base = keys.count
    let valueBase = values.count
    while true {
      skipWhitespace()
      guard index < bytes.count else {
        throw error("the text ends inside an object; expected a member or '}'")
      }
      guard bytes[index] == UInt8(ascii: "\"") else {
        throw error("expected a member name in double quotes")
      }
      let key = try parseString()
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
        throw error("expected ':' after the member name \"\(key.text)\"")
      }
      index += 1
      skipWhitespace()
      keys.push(key.text)
      keyIDs.push(key.id)
      values.push(try parseValue())
      skipWhitespace()
      guard index < bytes.count else { throw error("the text ends inside an object; expected ',' or '}'") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
        continue
      }
      if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(makeObject(keysFrom: base, valuesFrom: valueBase))
      }
      throw error("expected ',' or '}' after the member \"\(key.text)\"")
    }
  }

  /// The object of the members gathered since `base`, taken off the stacks. A name given twice keeps
  /// its first place and takes its last value, as assigning them in order would.
  private mutating func makeObject(keysFrom base: Int, valuesFrom valueBase: Int) -> JSONObject {
    let repeats = repeatsAName(from: base)
    let names = keys.popAll(from: base)
    let members = values.popAll(from: valueBase)
    keyIDs.drop(downTo: base)
    guard repeats else { return JSONObject(uncheckedUniqueKeys: names, values: members) }
    var object = JSONObject()
    for (name, value) in zip(names, members) { object[name] = value }
    return object
  }

  /// Whether two of the names since `base` are equal: names from the table are equal when their ids
  /// are; any other name (escaped, long, or read without a table) makes the check compare texts.
  private mutating func repeatsAName(from base: Int) -> Bool {
    objectSerial &+= 1
    let serial = objectSerial
    for position in base..<keyIDs.count {
      let id = keyIDs[position]
      guard id >= 0, strings != nil else { return textsRepeat(from: base) }
      if strings?.markSeen(id, in: serial) == true { return true }
    }
    return false
  }

  private func textsRepeat(from base: Int) -> Bool {
    let count = keys.count - base
    guard count > 8 else {
      for first in base..<keys.count {
        for second in (first + 1)..<keys.count where keys[first] == keys[second] { return true }
      }
      return false
    }
    var seen = Set<String>(minimumCapacity: count)
    for position in base..<keys.count where !seen.insert(keys[position]).inserted { return true }
    return false
  }

  private mutating func parseArray() throws(JSONParseError) -> JSONValue {
    try enter()
    defer { depth -= 1 }
    index += 1
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array([])
    }
    let base = values.count
    while true {
      skipWhitespace()
      values.push(try parseValue())
      skipWhitespace()
      guard index < bytes.count else { throw error("the text ends inside a list; expected ',' or ']'") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
        continue
      }
      if bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(values.popArray(from: base))
      }
      throw error("expected ',' or ']' in a list")
    }
  }

  private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
    let start = index
    func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 48 && bytes[i] <= 57 }
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard isDigit(index) else { throw error("a number needs digits after '-'") }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
      if isDigit(index) { throw error("numbers cannot have leading zeros") }
    } else {
      while isDigit(index) { index += 1 }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      guard isDigit(index) else { throw error("a number needs digits after '.'") }
      while isDigit(index) { index += 1 }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
        index += 1
      }
      guard isDigit(index) else { throw error("a number needs digits in its exponent") }
      while isDigit(index) { index += 1 }
    }
    return JSONNumber(uncheckedText: text(start..<index).text)
  }

  /// The text of bytes written without escapes, and its id in `strings` (-1 when it is not kept there).
  private mutating func text(_ range: Range<Int>) -> (text: String, id: Int32) {
    if let shared = strings?.string(bytes, start: range.lowerBound, count: range.count) {
      return shared
    }
    return (String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self), -1)
  }

  /// A string's text, and its id in `strings` (-1 when it is not kept there).
  private mutating func parseString() throws(JSONParseError) -> (text: String, id: Int32) {
    index += 1
    let start = index
    // Fast path: no escapes, so the bytes are the string.
    index = Self.endOfPlainText(bytes, from: index)
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let string = text(start..<index)
        index += 1
        return string
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw error("a control character must be escaped inside a string") }
      index += 1
    }
    var scalars = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        return (String(decoding: scalars, as: UTF8.self), -1)
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { break }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): scalars.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): scalars.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): scalars.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scalars.append(0x08)
        case UInt8(ascii: "f"): scalars.append(0x0C)
        case UInt8(ascii: "n"): scalars.append(0x0A)
        case UInt8(ascii: "r"): scalars.append(0x0D)
        case UInt8(ascii: "t"): scalars.append(0x09)
        case UInt8(ascii: "u"):
          var code = try parseHex4()
          if (0xD800...0xDBFF).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
            bytes[index + 1] == UInt8(ascii: "u")
          {
            let save = index
            index += 2
            let low = try parseHex4()
            if (0xDC00...0xDFFF).contains(low) {
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else {
              index = save
            }
          }
          // A lone surrogate cannot live in a Swift String; it becomes U+FFFD as in most decoders.
          let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
          scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
          index -= 1
          throw error("unknown escape \\\(Self.describe(escape)) in a string")
        }
      default:
        if byte < 0x20 { throw error("a control character must be escaped inside a string") }
        scalars.append(byte)
        index += 1
      }
    }
    throw error("the text ends inside a string; a closing '\"' is missing")
  }

  /// The first offset at or after `start` of a quote, a backslash or a control character, looking at
  /// eight bytes at a time.
  private static func endOfPlainText(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    guard let base = bytes.baseAddress else { return start }
    let ones: UInt64 = 0x0101_0101_0101_0101
    let high: UInt64 = 0x8080_8080_8080_8080
    var index = start
    while index + 8 <= bytes.count {
      let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
      let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
      let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
      // A zero byte of `quotes` or `backslashes`, or a byte below 0x20 (may flag a later byte too,
      // which the byte-by-byte loop then looks at).
      let found =
        ((quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | (word &- ones &* 0x20) & ~word)
        & high
      if found != 0 { return index + found.trailingZeroBitCount / 8 }
      index += 8
    }
    return index
  }

  private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("\\u needs four hex digits") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 48)
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 87)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 55)
      default: throw error("\\u needs four hex digits")
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }

  private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
    let count = literal.utf8CodeUnitCount
    let start = literal.utf8Start
    guard index + count <= bytes.count else { throw error("unexpected end of text; expected \(literal)") }
    for offset in 0..<count where bytes[index + offset] != start[offset] {
      throw error("unexpected text; expected \(literal)")
    }
    index += count
  }

  private func startsWith(_ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard index + count <= bytes.count else { return false }
    return (0..<count).allSatisfy { bytes[index + $0] == literal.utf8Start[$0] }
  }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x0A, 0x0D, 0x09: index += 1
      default: return
      }
    }
  }

  private func error(_ message: String) -> JSONParseError {
    var line = 1
    var lineStart = 0
    let end = min(index, bytes.count)
    for i in 0..<end where bytes[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    let column =
      String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<end]), as: UTF8.self).count + 1
    return JSONParseError(message: message, line: line, column: column)
  }

  private static func describe(_ byte: UInt8) -> String {
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "0x" + String(byte, radix: 16, uppercase: true)
  }
}

/// A stack that moves its top elements into a new array of their size: popping them one at a time off
/// an `Array` and reversing them cost more than the rest of making an object.
struct MovingStack<Element>: ~Copyable {
  private var base: UnsafeMutablePointer<Element>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int) {
    self.capacity = max(capacity, 1)
    base = .allocate(capacity: self.capacity)
  }

  deinit {
    base.deinitialize(count: count)
    base.deallocate()
  }

  mutating func push(_ element: consuming Element) {
    if count == capacity { grow() }
    (base + count).initialize(to: element)
    count += 1
  }

  subscript(position: Int) -> Element {
    precondition(position >= 0 && position < count, "position outside the stack")
    return base[position]
  }

  /// The elements from `start` to the top, in order, moved into an array of their own size.
  mutating func popAll(from start: Int) -> ContiguousArray<Element> {
    precondition(start >= 0 && start <= count, "start outside the stack")
    // Not `init(unsafeUninitializedCapacity:)`: the standard library makes its buffer unspecialized,
    // looking the element type's metadata up on every call.
    var popped = ContiguousArray<Element>()
    popped.reserveCapacity(count - start)
    for position in start..<count { popped.append((base + position).move()) }
    count = start
    return popped
  }

  /// Takes the elements from `start` to the top off the stack.
  mutating func drop(downTo start: Int) {
    precondition(start >= 0 && start <= count, "start outside the stack")
    (base + start).deinitialize(count: count - start)
    count = start
  }

  /// `popAll` as an `Array`, for a list.
  mutating func popArray(from start: Int) -> [Element] {
    precondition(start >= 0 && start <= count, "start outside the stack")
    var popped: [Element] = []
    popped.reserveCapacity(count - start)
    for position in start..<count { popped.append((base + position).move()) }
    count = start
    return popped
  }

  private mutating func grow() {
    let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
    larger.moveInitialize(from: base, count: count)
    base.deallocate()
    base = larger
    capacity *= 2
  }
}

/// The strings of one document up to `maximumLength` bytes, each made once and shared by every place
/// that writes the same bytes (a workflow repeats its member names, class names and small numbers on
/// every node). Only strings written without escapes are kept, so equal ids mean equal text.
struct StringTable {
  struct Entry {
    let start: Int
    let count: Int
    let text: String
    /// The last object that used this entry as a member name (`JSONParser.repeatsAName`).
    var seenIn: Int32 = 0
  }

  static let maximumLength = 32
  private var entries: [Entry] = []
  /// Open addressing over `entries`: each slot holds an entry's index + 1, or 0 when empty.
  private var slots: [Int32]

  /// Sized for a document of `documentLength` bytes (a workflow has a distinct string every 80 bytes
  /// or so), so that a large one does not grow the table a dozen times.
  init(documentLength: Int) {
    var slotCount = 64
    while slotCount < documentLength / 32 { slotCount *= 2 }
    slots = [Int32](repeating: 0, count: slotCount)
    entries.reserveCapacity(slotCount / 4)
  }

  /// The text of `bytes[start..<start + count]` (decoded, ill-formed UTF-8 repaired) and its id, or -1.
  mutating func string(
    _ bytes: UnsafeBufferPointer<UInt8>, start: Int, count: Int
  ) -> (text: String, id: Int32) {
    guard count <= Self.maximumLength, let base = bytes.baseAddress else {
      return (
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + count)]), as: UTF8.self), -1
      )
    }
    let mask = slots.count - 1
    var slot =
      Int(truncatingIfNeeded: Self.hash(base + start, count: count, readable: bytes.count - start)) & mask
    while true {
      let position = Int(slots[slot]) - 1
      if position < 0 { break }
      if entries[position].count == count,
        Self.same(base + entries[position].start, base + start, count: count)
      {
        return (entries[position].text, Int32(position))
      }
      slot = (slot + 1) & mask
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + count)]), as: UTF8.self)
    let id = Int32(entries.count)
    entries.append(Entry(start: start, count: count, text: text))
    slots[slot] = id + 1
    if entries.count * 2 > slots.count { grow(base, total: bytes.count) }
    return (text, id)
  }

  /// Records that object `serial` has a member named by entry `id`; true when it already had one.
  mutating func markSeen(_ id: Int32, in serial: Int32) -> Bool {
    let position = Int(id)
    if entries[position].seenIn == serial { return true }
    entries[position].seenIn = serial
    return false
  }

  private mutating func grow(_ base: UnsafePointer<UInt8>, total: Int) {
    slots = [Int32](repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (position, entry) in entries.enumerated() {
      let readable = total - entry.start
      var slot =
        Int(truncatingIfNeeded: Self.hash(base + entry.start, count: entry.count, readable: readable)) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(position + 1)
    }
  }

  /// Whether `count` bytes at `first` and `second` are equal, compared without calling `memcmp` (its
  /// call cost more than comparing the few words of a short string).
  private static func same(_ first: UnsafePointer<UInt8>, _ second: UnsafePointer<UInt8>, count: Int) -> Bool
  {
    var offset = 0
    while offset + 8 <= count {
      if UnsafeRawPointer(first + offset).loadUnaligned(as: UInt64.self)
        != UnsafeRawPointer(second + offset).loadUnaligned(as: UInt64.self)
      {
        return false
      }
      offset += 8
    }
    while offset < count {
      if first[offset] != second[offset] { return false }
      offset += 1
    }
    return true
  }

  /// A hash of `count` bytes at `start`, reading whole words where `readable` bytes allow (the bytes
  /// after the string count for nothing).
  private static func hash(_ start: UnsafePointer<UInt8>, count: Int, readable: Int) -> UInt64 {
    let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    var hash = UInt64(truncatingIfNeeded: count) &* multiplier
    var offset = 0
    while offset + 8 <= count {
      hash = (hash ^ UnsafeRawPointer(start + offset).loadUnaligned(as: UInt64.self)) &* multiplier
      hash ^= hash &>> 29
      offset += 8
    }
    if offset < count {
      var tail: UInt64 = 0
      if offset + 8 <= readable {
        let word = UInt64(littleEndian: UnsafeRawPointer(start + offset).loadUnaligned(as: UInt64.self))
        tail = word & (UInt64.max &>> UInt64(64 - (count - offset) * 8))
      } else {
        for position in offset..<count { tail |= UInt64(start[position]) &<< UInt64((position - offset) * 8) }
      }
      hash = (hash ^ tail) &* multiplier
    }
    return hash ^ hash &>> 32
  }

}
