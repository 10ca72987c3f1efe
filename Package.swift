// swift-tools-version: 6.2
import PackageDescription

/// Strict Swift 6 everywhere; `ExistentialAny` keeps protocol costs visible.
let strictSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "comfysh",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "comfysh", targets: ["comfysh"]),
    .library(name: "LineEditor", targets: ["LineEditor"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
    .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
  ],
  targets: [
    .executableTarget(
      name: "comfysh",
      dependencies: ["Shell", "ComfySim"],
      swiftSettings: strictSettings,
      // The static Swift runtime's link flags export every symbol of the program (35,000 of them):
      // start-up then relocates and searches them all. Nothing looks them up, so they stay private
      // (2.6 MB less resident, Docs/performance.md).
      linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))]
    ),
    .executableTarget(
      name: "comfysh-bench",
      dependencies: ["Shell", "ComfySim", "Workflow", "ComfyClient"],
      path: "Sources/Benchmarks",
      swiftSettings: strictSettings
    ),
    .target(
      name: "Workflow",
      dependencies: [.product(name: "OrderedCollections", package: "swift-collections")],
      swiftSettings: strictSettings
    ),
    .target(
      name: "ComfyClient",
      dependencies: [
        "Workflow",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "WSClient", package: "swift-websocket"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ],
      swiftSettings: strictSettings
    ),
    .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    .target(name: "LineEditor", dependencies: ["CLibEdit"], swiftSettings: strictSettings),
    .target(
      name: "ComfySim",
      dependencies: [
        "Workflow",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
      ],
      swiftSettings: strictSettings
    ),
    .target(
      name: "Shell",
      dependencies: ["Workflow", "ComfyClient", "LineEditor"],
      swiftSettings: strictSettings
    ),
    .testTarget(name: "WorkflowTests", dependencies: ["Workflow"], swiftSettings: strictSettings),
    .testTarget(name: "LineEditorTests", dependencies: ["LineEditor"], swiftSettings: strictSettings),
    .testTarget(
      name: "ComfySimTests",
      dependencies: [
        "ComfySim", "Workflow", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "WSClient", package: "swift-websocket"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "ComfyClientTests",
      dependencies: ["ComfyClient", "ComfySim", "Workflow"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "EndToEndTests", dependencies: ["Workflow", "ComfySim"], swiftSettings: strictSettings),
    .testTarget(
      name: "ShellTests",
      dependencies: ["Shell", "ComfySim", "Workflow"],
      swiftSettings: strictSettings
    ),
  ]
)
