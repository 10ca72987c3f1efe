/// A page as Markdown: prose as paragraphs, commands and outputs in fenced blocks, pictures as
/// `![name](path)` links relative to the page (the files themselves stay beside it).
enum NotebookMarkdown {
  /// `images` holds each cell's pictures (same order as `page.cells`); `link` gives the path of a
  /// picture relative to the page, or nil with the reason it is missing.
  static func render(
    _ page: NotebookPage, name: String, images: [[PageImage]],
    link: (PageImage) -> Result<String, PageImages.Reason>
  ) -> String {
    var parts: [String] = ["# " + (page.title ?? name)]
    var cellIndex = 0
    for block in page.blocks {
      switch block {
      case .paragraph(let text):
        parts.append(text)
      case .preformatted(let lines):
        parts.append(fenced(lines, info: ""))
      case .rule:
        parts.append("---")
      case .cell(let cell):
        let pictures = cellIndex < images.count ? images[cellIndex] : []
        cellIndex += 1
        parts.append(fenced(cell.source, info: "comfysh"))
        if let failure = cell.failure {
          parts.append("**failed:** " + failure.split(whereSeparator: \.isNewline).joined(separator: " "))
        }
        if !cell.output.isEmpty { parts.append(fenced(cell.output, info: "text")) }
        for picture in pictures {
          let caption = (picture.serverPath ?? picture.name) + " · prompt " + picture.promptID.prefix(8)
          if case .missing(let reason) = picture.content {
            parts.append("> **missing:** \(reason)")
            continue
          }
          switch link(picture) {
          case .success(let path):
            parts.append("![\(label(picture.name))](\(destination(path)))  \n*\(label(caption))*")
          case .failure(let reason):
            parts.append("> **missing:** \(reason.description)")
          }
        }
      }
    }
    return parts.joined(separator: "\n\n") + "\n"
  }

  /// A fenced block whose fence is longer than any run of backquotes inside it.
  static func fenced(_ lines: [String], info: String) -> String {
    var longest = 0
    for line in lines {
      var run = 0
      for character in line {
        run = character == "`" ? run + 1 : 0
        longest = max(longest, run)
      }
    }
    let fence = String(repeating: "`", count: max(3, longest + 1))
    return fence + info + "\n" + lines.joined(separator: "\n") + "\n" + fence
  }

  /// Link text with the characters that would end or mark it escaped.
  static func label(_ text: String) -> String {
    var out = ""
    for character in text {
      if "[]*_`\\<>".contains(character) { out.append("\\") }
      out.append(character)
    }
    return out
  }

  /// A relative path as a link destination: spaces, parentheses and other specials percent-encoded.
  static func destination(_ path: String) -> String {
    var out = ""
    for byte in path.utf8 {
      let scalar = Unicode.Scalar(byte)
      let safe =
        byte < 0x80
        && (scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar))
          || "-._~/".unicodeScalars.contains(scalar))
      if safe {
        out.unicodeScalars.append(scalar)
      } else {
        out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    return out
  }
}

extension String {
  /// Zeros before a number's digits up to `width`.
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
