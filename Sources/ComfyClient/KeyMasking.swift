#if canImport(Glibc)
import Glibc
#endif

/// Replaces secrets in text by their masked form (`Secrets.mask`, e.g. `comfyui-87d0…c1f2`): every
/// known secret, and anything shaped like a Comfy API key (`comfyui-` and 16 or more letters or
/// digits) even when comfysh does not know it (a key pasted at the prompt, another client's key in
/// `queue`).
///
/// `Console` runs every line through `apply`, so it must be cheap when there is nothing to mask: one
/// `memchr`/`memcmp` scan per known secret and one for `comfyui-`, on the string's own UTF-8 storage.
public struct KeyMasking: Sendable {
  /// Longest first, so a secret that contains another is masked as itself.
  private let secrets: [[UInt8]]
  private let masks: [String]
  private static let keyPrefix = Array(Secrets.keyPrefix.utf8)
  /// Letters or digits after `comfyui-` that make text key-shaped.
  public static let keyShapedMinimumTail = 16

  /// `secrets` shorter than `Secrets.minimumLength` are ignored: no key is that short, and masking
  /// them would mangle ordinary words.
  public init(secrets: [String] = []) {
    var unique: [String] = []
    for secret in secrets where secret.utf8.count >= Secrets.minimumLength && !unique.contains(secret) {
      unique.append(secret)
    }
    unique.sort { $0.utf8.count > $1.utf8.count }
    self.secrets = unique.map { Array($0.utf8) }
    masks = unique.map(Secrets.mask)
  }

  /// How many known secrets are masked (the key-shaped rule always applies).
  public var secretCount: Int { secrets.count }

  /// `text` with every known secret and every key-shaped word masked; `text` itself when there is
  /// none (the common case, without copying).
  public func apply(_ text: String) -> String {
    var text = text
    let found = text.withUTF8 { buffer -> Bool in
      guard let base = buffer.baseAddress, !buffer.isEmpty else { return false }
      for secret in secrets where Self.contains(base, buffer.count, secret) { return true }
      return Self.contains(base, buffer.count, Self.keyPrefix)
    }
    guard found else { return text }
    return replaceAll(in: text)
  }

  /// The slow path, only for lines that hold something to mask.
  private func replaceAll(in text: String) -> String {
    let bytes = Array(text.utf8)
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    let shaped = Self.keyShapedRanges(in: bytes)
    var shapedIndex = 0
    var i = 0
    outer: while i < bytes.count {
      for (index, secret) in secrets.enumerated() where Self.matches(bytes, at: i, secret) {
        output += Array(masks[index].utf8)
        i += secret.count
        continue outer
      }
      while shapedIndex < shaped.count && shaped[shapedIndex].upperBound <= i { shapedIndex += 1 }
      if shapedIndex < shaped.count && shaped[shapedIndex].lowerBound == i {
        let range = shaped[shapedIndex]
        output += Array(Secrets.mask(String(decoding: bytes[range], as: UTF8.self)).utf8)
        i = range.upperBound
        continue
      }
      output.append(bytes[i])
      i += 1
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// Byte ranges of key-shaped words: `comfyui-` (not inside a longer word) followed by at least 16
  /// ASCII letters or digits, up to the first other character.
  public static func keyShapedRanges(in bytes: [UInt8]) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var i = 0
    let prefix = keyPrefix
    while i + prefix.count <= bytes.count {
      guard matches(bytes, at: i, prefix) else {
        i += 1
        continue
      }
      var end = i + prefix.count
      while end < bytes.count && Secrets.isASCIILetterOrDigit(bytes[end]) { end += 1 }
      let startsWord = i == 0 || !Secrets.isASCIILetterOrDigit(bytes[i - 1])
      if startsWord && end - (i + prefix.count) >= keyShapedMinimumTail {
        ranges.append(i..<end)
        i = end
      } else {
        i += 1
      }
    }
    return ranges
  }

  private static func matches(_ bytes: [UInt8], at index: Int, _ needle: [UInt8]) -> Bool {
    guard index + needle.count <= bytes.count else { return false }
    for j in 0..<needle.count where bytes[index + j] != needle[j] { return false }
    return true
  }

  /// `memchr` for the first byte, `memcmp` for the rest (Glibc's Swift module has no `memmem`).
  private static func contains(_ base: UnsafePointer<UInt8>, _ count: Int, _ needle: [UInt8]) -> Bool {
    guard let first = needle.first, count >= needle.count else { return false }
    return needle.withUnsafeBufferPointer { n -> Bool in
      guard let needleBase = n.baseAddress else { return false }
      let last = count - n.count
      var offset = 0
      while offset <= last {
        guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
        let index = offset + UnsafeRawPointer(base + offset).distance(to: UnsafeRawPointer(hit))
        if memcmp(base + index, needleBase, n.count) == 0 { return true }
        offset = index + 1
      }
      return false
    }
  }
}
