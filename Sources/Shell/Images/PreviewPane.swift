import ComfyClient
import Media
import TerminalGraphics

/// The rows above `watch`'s live line where `--preview` draws the sampler's latest preview, each
/// one over the last. Like the live line it is decoration: never recorded, and cleared before a
/// real line is printed where it is.
@MainActor
final class PreviewPane {
  private let pictures: TerminalPictures
  /// Rows the pane holds now; 0 when it is not shown.
  private(set) var rows = 0
  private(set) var latest: RGBAImage?
  /// The node whose previews these are.
  private(set) var node: String?
  private(set) var framesShown = 0
  private var lastDraw = -1.0
  private static let kittyIDs: (image: UInt32, placement: UInt32) = (image: 0x636F_6D66, placement: 1)

  init(pictures: TerminalPictures) { self.pictures = pictures }

  /// Keeps `image` and draws it at most every 0.1 s (unless `force`); the cursor must be at the
  /// start of the (cleared) live line, and is left there.
  func show(_ image: RGBAImage, node: String?, force: Bool = false) -> Bool {
    latest = image
    self.node = node
    let now = Monotonic.now()
    guard force || now - lastDraw >= 0.1 else { return false }
    lastDraw = now
    let size = pictures.terminalSize()
    let paneRows = min(12, max(4, (size?.rows ?? 24) / 3))
    let target = pictures.target(maxColumns: 48, maxRows: paneRows)
    let kitty = target.graphics == .kitty
    guard
      let drawn = PictureWriter.draw(image, on: target, enlarge: true, kittyIDs: kitty ? Self.kittyIDs : nil)
    else { return false }
    var out: [UInt8] = Array("\r\u{1B}[2K".utf8)
    let needed = drawn.placement.rows
    if rows == 0 {
      out += [UInt8](repeating: 0x0A, count: needed) + Array("\u{1B}[\(needed)A".utf8)
    } else if needed > rows {
      out += [UInt8](repeating: 0x0A, count: needed - rows) + Array("\u{1B}[\(needed)A".utf8)
    } else {
      out += Array("\u{1B}[\(rows)A".utf8)
    }
    rows = max(rows, needed)
    // Saved and restored around the picture: each protocol leaves the cursor somewhere else.
    out += Array("\r\u{1B}7".utf8) + drawn.bytes + Array("\u{1B}8\u{1B}[\(rows)B\r".utf8)
    pictures.write(out)
    framesShown += 1
    return true
  }

  /// Removes the pane; the cursor must be at the start of the (cleared) live line and ends where the
  /// pane began, so the next line is printed there.
  func clear() {
    guard rows > 0 else { return }
    var out = Array("\r\u{1B}[2K\u{1B}[\(rows)A\r\u{1B}[J".utf8)
    if pictures.decision().graphics == .kitty {
      var bytes = KittyGraphics.delete(imageID: Self.kittyIDs.image)
      if pictures.decision().throughTmux { bytes = TmuxPassthrough.wrapEach(bytes) }
      out += bytes
    }
    pictures.write(out)
    rows = 0
  }

  /// Draws the kept preview again (after a line was printed where it was).
  func redraw() {
    guard let latest else { return }
    _ = show(latest, node: node, force: true)
  }

  /// The preview belongs to a node that ended: nothing is drawn again.
  func finish() {
    clear()
    latest = nil
    node = nil
  }
}
