import Media

/// What a picture may cover and how the terminal takes it: the decision `GraphicsDetection` made,
/// the box in cells, and the cell size in pixels.
public struct PictureTarget: Sendable, Equatable {
  public var graphics: GraphicsProtocol
  public var maxColumns: Int
  public var maxRows: Int
  public var cellWidth: Int
  public var cellHeight: Int
  /// Sixel colour registers (XTSMGRAPHICS' answer; 256 when not asked).
  public var sixelColours: Int
  /// Wrap each sequence for tmux passthrough.
  public var throughTmux: Bool

  public init(
    graphics: GraphicsProtocol, maxColumns: Int, maxRows: Int, cellWidth: Int = 8, cellHeight: Int = 16,
    sixelColours: Int = 256, throughTmux: Bool = false
  ) {
    self.graphics = graphics
    self.maxColumns = maxColumns
    self.maxRows = maxRows
    self.cellWidth = cellWidth
    self.cellHeight = cellHeight
    self.sixelColours = sixelColours
    self.throughTmux = throughTmux
  }
}

/// A picture turned into terminal output, and the cells it covers.
public struct DrawnPicture: Sendable, Equatable {
  public var bytes: [UInt8]
  public var placement: Placement
}

/// Fits, scales and encodes a picture for one protocol: the one place the protocols meet the cell
/// box, used by `view`, `watch` and the demo program.
public enum PictureWriter {
  /// `image` drawn at the cursor, scaled down to the box (never up unless `enlarge`); the cursor
  /// ends at the start of the line below the picture. With `kittyIDs`, kitty replaces an earlier
  /// picture of the same ids in place and leaves the cursor where it was (live previews). Nil for `.off`.
  public static func draw(
    _ image: RGBAImage, on target: PictureTarget, enlarge: Bool = false,
    kittyIDs: (image: UInt32, placement: UInt32)? = nil
  ) -> DrawnPicture? {
    switch target.graphics {
    case .off:
      return nil
    case .blocks, .blocks256:
      let fit = CellFit.fit(
        width: image.width, height: image.height, maxColumns: target.maxColumns, maxRows: target.maxRows,
        cellWidth: 1, cellHeight: 2, enlarge: enlarge)
      let scaled = ImageScaling.resized(image, width: fit.pixelWidth, height: fit.pixelHeight)
      return DrawnPicture(
        bytes: HalfBlocks.render(scaled, trueColour: target.graphics == .blocks),
        placement: Placement(columns: fit.pixelWidth, rows: (fit.pixelHeight + 1) / 2))
    case .kitty, .iterm, .sixel:
      let fit = CellFit.fit(
        width: image.width, height: image.height, maxColumns: target.maxColumns, maxRows: target.maxRows,
        cellWidth: target.cellWidth, cellHeight: target.cellHeight, enlarge: enlarge)
      let scaled =
        fit.pixelWidth == image.width && fit.pixelHeight == image.height
        ? image : ImageScaling.resized(image, width: fit.pixelWidth, height: fit.pixelHeight)
      let placement = Placement(columns: fit.columns, rows: fit.rows)
      var bytes: [UInt8]
      switch target.graphics {
      case .kitty:
        bytes = KittyGraphics.display(
          scaled, placement: placement, imageID: kittyIDs?.image, placementID: kittyIDs?.placement,
          moveCursor: kittyIDs == nil)
      case .iterm:
        bytes = ITermImages.display(scaled, placement: placement)
      default:
        bytes = Sixel.encode(scaled, colours: target.sixelColours)
      }
      if target.throughTmux { bytes = TmuxPassthrough.wrapEach(bytes) }
      if kittyIDs == nil { bytes.append(0x0A) }
      return DrawnPicture(bytes: bytes, placement: placement)
    }
  }
}
