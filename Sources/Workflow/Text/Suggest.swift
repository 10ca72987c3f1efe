/// "Did you mean" suggestions by edit distance.
public enum Suggest {
  /// The candidate closest to `word` if it is close enough to be a likely typo (case ignored).
  public static func closest(_ word: String, in candidates: [String]) -> String? {
    ranked(word, in: candidates, limit: 1).first
  }

  /// Up to `limit` candidates, nearest first: prefix matches, then those within a typo's distance.
  public static func ranked(_ word: String, in candidates: [String], limit: Int = 3) -> [String] {
    let target = Array(word.lowercased())
    guard !target.isEmpty else { return [] }
    let allowed = max(1, min(3, target.count / 3))
    var scored: [(distance: Int, candidate: String)] = []
    for candidate in candidates {
      let folded = Array(candidate.lowercased())
      if folded == target { scored.append((0, candidate)); continue }
      if folded.starts(with: target)
        || (target.count >= 3 && folded.count > target.count && String(folded).contains(String(target)))
      {
        scored.append((1, candidate))
        continue
      }
      let d = distance(target, folded, cutoff: allowed)
      if d <= allowed { scored.append((d + 1, candidate)) }
    }
    return scored.sorted {
      $0.distance != $1.distance ? $0.distance < $1.distance : $0.candidate < $1.candidate
    }
    .prefix(limit).map(\.candidate)
  }

  /// Levenshtein distance with transpositions counted as one edit; stops early above `cutoff`.
  public static func distance(_ a: [Character], _ b: [Character], cutoff: Int = .max) -> Int {
    if abs(a.count - b.count) > cutoff { return cutoff + 1 }
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      var rowMinimum = current[0]
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, previous2[j - 2] + 1)
        }
        current[j] = value
        rowMinimum = min(rowMinimum, value)
      }
      if rowMinimum > cutoff { return cutoff + 1 }
      (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
  }
}
