import Media
import Workflow

extension Session {
  /// Says when a JSON file holds text that reads as U+FFFD (bytes that are not UTF-8, a lone `\uD800`),
  /// so a save would not give back what was there.
  func warnAboutLossyText(_ bytes: [UInt8], name: String) {
    guard !PNGChunks.isPNG(bytes), let lossy = LossyJSONText.find(in: bytes) else { return }
    let what =
      switch lossy.kind {
      case .invalidUTF8: "bytes that are not UTF-8"
      case .loneSurrogate: "a \\u escape of half a surrogate pair"
      }
    let more = lossy.count > 1 ? " (and \(lossy.count - 1) more)" : ""
    console.warning(
      "\(FileIO.baseName(of: name)) has \(what) at line \(lossy.line), column \(lossy.column)\(more); comfysh reads it as U+FFFD (�), so saving writes U+FFFD there"
    )
  }
}
