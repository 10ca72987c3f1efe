// swift-tools-version: 6.2
import PackageDescription

// libFuzzer targets for comfysh's parsers, built apart from the main package with
// `-sanitize=fuzzer,address` (Scripts/fuzz.sh); each is an executable whose main is libFuzzer's.

let strictSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
  .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: strictSettings)
}

let package = Package(
  name: "comfysh-fuzz",
  dependencies: [.package(name: "comfysh", path: "..")],
  targets: [
    .target(
      name: "FuzzSupport",
      dependencies: [
        .product(name: "Workflow", package: "comfysh"), .product(name: "ComfyRules", package: "comfysh"),
      ],
      swiftSettings: strictSettings),
    fuzzTarget("FuzzJSON", [.product(name: "Workflow", package: "comfysh")]),
    fuzzTarget(
      "FuzzPNG",
      [.product(name: "Media", package: "comfysh"), .product(name: "Workflow", package: "comfysh")]),
    fuzzTarget(
      "FuzzUIConversion",
      [.product(name: "ComfyRules", package: "comfysh"), .product(name: "Workflow", package: "comfysh")]),
    fuzzTarget("FuzzCommandLanguage", [.product(name: "Shell", package: "comfysh")]),
    fuzzTarget(
      "FuzzWebSocket",
      [.product(name: "ComfyClient", package: "comfysh"), .product(name: "Workflow", package: "comfysh")]),
    fuzzTarget("FuzzTranscript", [.product(name: "Shell", package: "comfysh")]),
    fuzzTarget(
      "FuzzObjectInfo",
      [.product(name: "ComfyRules", package: "comfysh"), .product(name: "Workflow", package: "comfysh")]),
  ]
)
