/// Control sequence prefixes, named once.
enum Escape {
  static let esc: UInt8 = 0x1B
  /// String terminator `ESC \`.
  static let st: [UInt8] = [0x1B, 0x5C]
  static let bel: UInt8 = 0x07
}

/// Where a picture goes and how big: the cells it covers and the pixels it was scaled to.
public struct Placement: Sendable, Equatable {
  public var columns: Int
  public var rows: Int

  public init(columns: Int, rows: Int) {
    self.columns = columns
    self.rows = rows
  }
}
