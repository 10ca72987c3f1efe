import Media
import TerminalGraphics
import Workflow

/// A page as one HTML file that works offline: an inline stylesheet, no scripts, no links out, and
/// every picture inside it as a `data:` URI.
enum NotebookHTML {
  /// Larger videos and sounds are named rather than put inside the page.
  static let embeddedMediaLimit = 16 << 20

  /// The page; `images` holds each cell's pictures (same order as `page.cells`), `read` gets a kept
  /// file's bytes (or why it cannot); `keptWord` says in captions where files on disk came from.
  static func render(
    _ page: NotebookPage, name: String, images: [[PageImage]], keptWord: String = "kept",
    read: (String) -> Result<[UInt8], PageImages.Reason>
  ) -> String {
    let title = page.title ?? name
    var html = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta name="generator" content="comfysh render">
      <title>\(escape(title))</title>
      <style>\(stylesheet)</style>
      </head>
      <body>
      <main>
      <header><h1>\(escape(title))</h1><p class="source">\(escape(name))</p></header>

      """
    var cellIndex = 0
    var figureNumber = 0
    for block in page.blocks {
      switch block {
      case .paragraph(let text):
        html += "<p>\(inline(text))</p>\n"
      case .preformatted(let lines):
        html += "<pre class=\"listing\">\(escape(lines.joined(separator: "\n")))</pre>\n"
      case .rule:
        html += "<hr>\n"
      case .cell(let cell):
        let pictures = cellIndex < images.count ? images[cellIndex] : []
        cellIndex += 1
        html += "<section class=\"cell\(cell.failed ? " failed" : "")\" id=\"line-\(cell.line)\">\n"
        html += "<pre class=\"command\"><code>\(escape(cell.source.joined(separator: "\n")))</code></pre>\n"
        if let failure = cell.failure {
          html += "<pre class=\"output error\">failed: \(escape(failure))</pre>\n"
        }
        if !cell.output.isEmpty {
          html += "<pre class=\"output\">"
          html += cell.output.map { line in
            line.hasPrefix("error: ") || line.hasPrefix("warning: ")
              ? "<span class=\"\(line.hasPrefix("error: ") ? "error" : "warning")\">\(escape(line))</span>"
              : escape(line)
          }.joined(separator: "\n")
          html += "</pre>\n"
        }
        for picture in pictures {
          figureNumber += 1
          html += figure(picture, number: figureNumber, keptWord: keptWord, read: read)
        }
        html += "</section>\n"
      }
    }
    html += "</main>\n</body>\n</html>\n"
    return html
  }

  /// One output: the picture (or video, sound), its name and where it came from; or why it is missing.
  static func figure(
    _ picture: PageImage, number: Int, keptWord: String, read: (String) -> Result<[UInt8], PageImages.Reason>
  ) -> String {
    let anchor = "id=\"output-\(number)\""
    var caption = escape(picture.serverPath ?? picture.name)
    caption += " · prompt \(escape(String(picture.promptID.prefix(8))))"
    if let node = picture.node { caption += " · node \(escape(node))" }
    let bytes: [UInt8]
    switch picture.content {
    case .missing(let reason):
      return
        "<figure class=\"missing\" \(anchor)><p>\(escape(reason))</p><figcaption>\(caption)</figcaption></figure>\n"
    case .bytes(let fetched):
      bytes = fetched
      caption += " · from the server"
    case .file(let path):
      switch read(path) {
      case .success(let kept): bytes = kept
      case .failure(let reason):
        return
          "<figure class=\"missing\" \(anchor)><p>\(escape(reason.description))</p><figcaption>\(caption)</figcaption></figure>\n"
      }
      caption += " · " + keptWord
    }
    let alt = escape(picture.name)
    if let format = ImageFormat.sniff(bytes) {
      var size = ""
      if let dimensions = ImageFiles.dimensions(of: bytes)
        ?? (try? ImageDecoder.decode(bytes)).map({ ($0.width, $0.height) })
      {
        size = " width=\"\(dimensions.0)\" height=\"\(dimensions.1)\""
        caption += " · \(dimensions.0)×\(dimensions.1)"
      }
      let uri = "data:\(mimeType(format));base64,\(Base64.encodeString(bytes))"
      return
        "<figure \(anchor)><img src=\"\(uri)\" alt=\"\(alt)\"\(size)><figcaption>\(caption)</figcaption></figure>\n"
    }
    if let info = try? MediaProbe.probe(bytes), let (tag, type) = mediaTag(info.container) {
      guard bytes.count <= embeddedMediaLimit else {
        return
          "<figure class=\"missing\" \(anchor)><p>\(alt): a \(info.container.rawValue) file of \(bytes.count >> 20) MiB, too large to put inside the page</p><figcaption>\(caption)</figcaption></figure>\n"
      }
      return
        "<figure \(anchor)><\(tag) controls src=\"data:\(type);base64,\(Base64.encodeString(bytes))\"></\(tag)><figcaption>\(caption) · \(info.container.rawValue)</figcaption></figure>\n"
    }
    return
      "<figure class=\"missing\" \(anchor)><p>\(alt): not a picture, video or sound this page can show (\(bytes.count) bytes)</p><figcaption>\(caption)</figcaption></figure>\n"
  }

  static func mimeType(_ format: ImageFormat) -> String {
    switch format {
    case .png: "image/png"
    case .jpeg: "image/jpeg"
    case .webp: "image/webp"
    case .gif: "image/gif"
    }
  }

  /// The element and MIME type a browser plays a container with, or nil.
  static func mediaTag(_ container: MediaInfo.Container) -> (String, String)? {
    switch container {
    case .mp4: ("video", "video/mp4")
    case .quickTime: ("video", "video/quicktime")
    case .webm: ("video", "video/webm")
    case .matroska: ("video", "video/x-matroska")
    case .wav: ("audio", "audio/wav")
    case .flac: ("audio", "audio/flac")
    case .mp3: ("audio", "audio/mpeg")
    case .oggVorbis, .oggOpus, .ogg: ("audio", "audio/ogg")
    case .gif, .webp, .png, .jpeg: nil
    }
  }

  /// Text as HTML: `&`, `<`, `>` and quotes escaped.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }

  /// Prose: escaped, with `backquoted` parts as code.
  static func inline(_ text: String) -> String {
    let parts = text.split(separator: "`", omittingEmptySubsequences: false)
    guard parts.count >= 3 else { return escape(text) }
    var out = ""
    for (index, part) in parts.enumerated() {
      let isCode = index % 2 == 1 && index < parts.count - (parts.count % 2 == 0 ? 1 : 0)
      if isCode {
        out += "<code>\(escape(String(part)))</code>"
      } else {
        if index % 2 == 1 { out += "`" }
        out += escape(String(part))
      }
    }
    return out
  }

  static let stylesheet = """

    :root { color-scheme: light; --ink: #1d1f23; --muted: #5b616b; --line: #d9dde3; --code: #f4f5f7; }
    body { margin: 0; background: #fff; color: var(--ink); font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
    main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
    h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
    header .source { color: var(--muted); margin: 0 0 1.5rem; font-family: ui-monospace, monospace; font-size: .9rem; }
    hr { border: 0; border-top: 1px solid var(--line); margin: 2rem 0; }
    code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .88rem; }
    p code { background: var(--code); padding: .05rem .3rem; border-radius: 3px; }
    pre { margin: 0; padding: .6rem .8rem; overflow-x: auto; white-space: pre; }
    pre.listing { background: var(--code); border-radius: 4px; margin: .75rem 0; }
    .cell { margin: 1rem 0; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
    .cell pre.command { background: #eef3fb; border-left: 4px solid #3b6fd8; }
    .cell pre.command::before { content: "comfy> "; color: var(--muted); }
    .cell pre.output { background: #fff; color: #2a2d33; border-top: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere; }
    .cell.failed pre.command { border-left-color: #c9352b; background: #fbefee; }
    .error { color: #b3261e; }
    .warning { color: #8a5a00; }
    figure { margin: 0; padding: .75rem .8rem; border-top: 1px solid var(--line); }
    figure img, figure video { display: block; max-width: 100%; height: auto; min-width: 192px; image-rendering: pixelated; border: 1px solid var(--line); }
    figure audio { display: block; width: 100%; }
    figcaption { color: var(--muted); font-size: .85rem; margin-top: .35rem; font-family: ui-monospace, monospace; }
    figure.missing p { margin: 0; color: #8a5a00; background: #fff8e6; border: 1px dashed #e0b44c; padding: .5rem .7rem; border-radius: 4px; }

    """
}
