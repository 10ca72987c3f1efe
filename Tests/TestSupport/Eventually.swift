/// Polls `condition` until it holds or `within` has passed; true when it held. The deadline is generous
/// on purpose: on a fresh clone under load a step that takes milliseconds can take seconds, and a test
/// that waits for a condition costs nothing when it holds at once.
public func eventually(
  within: Duration = .seconds(60), every: Duration = .milliseconds(10),
  isolation: isolated (any Actor)? = #isolation, _ condition: () async throws -> Bool
) async rethrows -> Bool {
  let clock = ContinuousClock()
  let deadline = clock.now + within
  while true {
    if try await condition() { return true }
    if clock.now >= deadline { return false }
    try? await Task.sleep(for: every)
  }
}
