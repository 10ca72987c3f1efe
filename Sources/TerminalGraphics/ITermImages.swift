import Media

/// iTerm2's inline images (also WezTerm, and mintty, Konsole, VS Code's terminal):
/// `OSC 1337 ; File = inline=1 ; size=N ; width=C ; height=R : base64 BEL`.
public enum ITermImages {
  /// Shows `image` (sent as a compressed PNG) at the cursor over `placement` cells.
  public static func display(_ image: RGBAImage, placement: Placement, name: String? = nil) -> [UInt8] {
    display(png: PNGEncoder.encode(image, effort: .fast), placement: placement, name: name)
  }

  /// Shows a file the terminal decodes itself (PNG, JPEG, GIF…), unchanged.
  public static func display(png file: [UInt8], placement: Placement, name: String? = nil) -> [UInt8] {
    var arguments = ["inline=1", "size=\(file.count)"]
    if let name { arguments.append("name=\(Base64.encodeString(Array(name.utf8)))") }
    arguments += ["width=\(placement.columns)", "height=\(placement.rows)", "preserveAspectRatio=1"]
    var out: [UInt8] = [Escape.esc, UInt8(ascii: "]")]
    out += Array("1337;File=\(arguments.joined(separator: ";")):".utf8)
    out += Base64.encode(file)
    out.append(Escape.bel)
    return out
  }
}
