/// tmux passes an escape sequence through to the terminal outside it only when wrapped in
/// `ESC P tmux ; … ESC \` with every ESC inside doubled, and (since tmux 3.3) only when the
/// `allow-passthrough` option is on.
public enum TmuxPassthrough {
  /// Wraps one sequence (wrap each sequence separately: tmux ends the passthrough at the first
  /// unpaired `ESC \`).
  public static func wrap(_ sequence: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [Escape.esc, UInt8(ascii: "P")] + Array("tmux;".utf8)
    out.reserveCapacity(sequence.count + sequence.count / 64 + 10)
    for byte in sequence {
      if byte == Escape.esc { out.append(Escape.esc) }
      out.append(byte)
    }
    return out + Escape.st
  }

  /// Wraps every escape sequence of a protocol's output (kitty sends one per chunk).
  public static func wrapEach(_ output: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var start = 0
    var i = 0
    while i < output.count {
      if i + 1 < output.count, output[i] == Escape.esc, output[i + 1] == 0x5C {
        out += wrap(Array(output[start...(i + 1)]))
        i += 2
        start = i
        continue
      }
      i += 1
    }
    if start < output.count { out += wrap(Array(output[start...])) }
    return out
  }

  /// Whether passthrough works: tmux before 3.3 always passes wrapped sequences; later versions
  /// need `allow-passthrough` `on` or `all`. `version` is `tmux -V`'s output ("tmux 3.4"),
  /// `option` is `tmux show-options -gv allow-passthrough`'s (nil when it failed).
  public static func isEnabled(version: String?, option: String?) -> Bool {
    if let value = option?.trimmingWhitespace, value == "on" || value == "all" { return true }
    guard let version else { return false }
    let digits = version.split(separator: " ").last.map(String.init) ?? ""
    let parts = digits.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
    guard let major = parts.first else { return false }
    let minor = parts.count > 1 ? parts[1] : 0
    return major < 3 || (major == 3 && minor < 3)
  }
}

extension String {
  var trimmingWhitespace: String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
