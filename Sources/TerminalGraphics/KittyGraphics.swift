import Media

/// The kitty graphics protocol (also Ghostty, WezTerm, Konsole): APC `ESC _ G keys ; payload ESC \`,
/// the payload base64 in chunks of at most 4096 bytes (`m=1` on all but the last).
public enum KittyGraphics {
  /// How the pixels travel.
  public enum Encoding: Sendable, Equatable {
    /// A PNG file (`f=100`): smallest for pictures with flat areas.
    case png
    /// Raw RGBA (`f=32`), zlib-compressed (`o=z`): no PNG filtering work for the terminal.
    case rgba
  }

  public static let chunkSize = 4096

  /// Sends `image` and shows it at the cursor over `placement` cells: `a=T`, quiet (`q=2`: the
  /// terminal sends no reply that could land in the line editor). With an `imageID` and
  /// `placementID`, sending again replaces the earlier picture in place (a live preview); with
  /// `moveCursor: false` (`C=1`) the cursor stays where it was.
  public static func display(
    _ image: RGBAImage, placement: Placement, encoding: Encoding = .png, imageID: UInt32? = nil,
    placementID: UInt32? = nil, moveCursor: Bool = true
  ) -> [UInt8] {
    var keys = ["a=T", "q=2"]
    let payload: [UInt8]
    switch encoding {
    case .png:
      keys.append("f=100")
      payload = PNGEncoder.encode(image, effort: .fast)
    case .rgba:
      keys += ["f=32", "s=\(image.width)", "v=\(image.height)", "o=z"]
      payload = Deflate.zlib(image.pixels, effort: .fast)
    }
    if let imageID { keys.append("i=\(imageID)") }
    if let placementID { keys.append("p=\(placementID)") }
    keys += ["c=\(placement.columns)", "r=\(placement.rows)"]
    if !moveCursor { keys.append("C=1") }
    return command(keys: keys.joined(separator: ","), payload: payload)
  }

  /// Removes an image and frees its data (`a=d,d=I`).
  public static func delete(imageID: UInt32) -> [UInt8] {
    command(keys: "a=d,d=I,i=\(imageID),q=2", payload: [])
  }

  /// Asks whether the terminal speaks the protocol: a 1×1 pixel query (`a=q`) that a kitty-capable
  /// terminal answers with `ESC _ G i=ID ; OK ESC \` and any other ignores.
  public static func query(imageID: UInt32 = 31) -> [UInt8] {
    command(keys: "i=\(imageID),s=1,v=1,a=q,t=d,f=24", payload: [0, 0, 0])
  }

  /// One command, split into chunks.
  static func command(keys: String, payload: [UInt8]) -> [UInt8] {
    let data = Base64.encode(payload)
    var out: [UInt8] = []
    out.reserveCapacity(data.count + data.count / chunkSize * 16 + keys.utf8.count + 16)
    var offset = 0
    var first = true
    repeat {
      let end = min(data.count, offset + chunkSize)
      let more = end < data.count
      out += [Escape.esc, UInt8(ascii: "_"), UInt8(ascii: "G")]
      if first {
        out += Array(keys.utf8)
        if more || offset > 0 { out += Array(",m=\(more ? 1 : 0)".utf8) }
      } else {
        out += Array("m=\(more ? 1 : 0)".utf8)
      }
      if end > offset {
        out.append(UInt8(ascii: ";"))
        out += data[offset..<end]
      }
      out += Escape.st
      offset = end
      first = false
    } while offset < data.count
    return out
  }
}
