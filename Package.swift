// swift-tools-version: 6.2
import PackageDescription

// Built and tested on Linux (Debian) only; no Apple platform is claimed.

/// Strict Swift 6 everywhere; `ExistentialAny` keeps protocol costs visible.
let strictSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
]

let orderedCollections = Target.Dependency.product(name: "OrderedCollections", package: "swift-collections")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

let package = Package(
  name: "comfysh",
  products: [
    .executable(name: "comfysh", targets: ["comfysh"]),
    .library(name: "LineEditor", targets: ["LineEditor"]),
    // For the fuzz targets in Fuzz/, a package of their own built with sanitizers (Scripts/fuzz.sh).
    .library(name: "Media", targets: ["Media"]),
    .library(name: "Workflow", targets: ["Workflow"]),
    .library(name: "ComfyRules", targets: ["ComfyRules"]),
    .library(name: "ComfyClient", targets: ["ComfyClient"]),
    .library(name: "Shell", targets: ["Shell"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
    .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
  ],
  targets: [
    // The thin executable: the command line, then the shell or the simulator.
    .executableTarget(
      name: "comfysh",
      dependencies: ["Shell", "ComfySim", "Workflow"],
      swiftSettings: strictSettings,
      // The static Swift runtime's link flags export every symbol of the program (35,000 of them):
      // start-up then relocates and searches them all. Nothing looks them up, so they stay private
      // (2.6 MB less resident, Docs/performance.md).
      linkerSettings: [
        .unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux])),
        // A release build is linked by lld (it comes with Swift) with packed relative relocations: the
        // 87,000 pointers the loader fixes at start are a 17 KB bitmap instead of 2 MB of records it
        // must read, and the executable stays position-independent (needs glibc 2.36, Debian 12's).
        // The functions a session runs are laid out together (Scripts/release/symbol-order.txt), so
        // the kernel maps a few hundred KB of code around them instead of most of the 21 MB of it.
        // Together: a one-job run resident in 18 MB instead of 25 (Docs/performance.md, "Memory").
        .unsafeFlags(
          [
            "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Scripts/release/symbol-order.txt",
            "-Xlinker", "--no-warn-symbol-ordering",
          ],
          .when(platforms: [.linux], configuration: .release)),
      ]
    ),
    .executableTarget(
      name: "comfysh-bench",
      dependencies: [
        "Shell", "ComfySim", "ComfyRules", "Workflow", "ComfyClient", "Media", "TerminalGraphics",
      ],
      path: "Sources/Benchmarks",
      swiftSettings: strictSettings
    ),

    // Image and container formats: PNG chunks, DEFLATE, image decoding, media information.
    .target(name: "Media", swiftSettings: strictSettings),
    // Pictures in a terminal: kitty, iTerm2, sixel and half-block encoders, tmux passthrough,
    // capability detection, the terminal query.
    .target(name: "TerminalGraphics", dependencies: ["Media"], swiftSettings: strictSettings),
    // Decoding and terminal-encoding times for Docs/performance.md (Scripts/bench/media.sh); apart
    // from comfysh-bench so that a release build of it compiles two modules, not the whole shell.
    .executableTarget(
      name: "comfysh-media-bench", dependencies: ["Media", "TerminalGraphics"],
      path: "Sources/MediaBenchmark",
      swiftSettings: strictSettings),
    // Writes a picture with one of the protocols: the terminal screenshot rig's test program.
    .executableTarget(
      name: "comfysh-media-demo", dependencies: ["Media", "TerminalGraphics"], path: "Sources/MediaDemo",
      swiftSettings: strictSettings),
    // The document: lossless JSON, the API-format graph, addresses, files.
    .target(name: "Workflow", dependencies: ["Media", orderedCollections], swiftSettings: strictSettings),
    // What ComfyUI decides: the catalog, validation, UI→API conversion, Python's value semantics.
    .target(
      name: "ComfyRules", dependencies: ["Workflow", orderedCollections], swiftSettings: strictSettings),
    // Talking to a server: HTTP, the WebSocket, prompt tracking.
    .target(
      name: "ComfyClient",
      dependencies: [
        "Workflow",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "WSClient", package: "swift-websocket"),
        nioCore,
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        logging,
      ],
      swiftSettings: strictSettings
    ),
    .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    .target(name: "LineEditor", dependencies: ["CLibEdit"], swiftSettings: strictSettings),
    // The ComfyUI simulator.
    .target(
      name: "ComfySim",
      dependencies: [
        "Workflow", "ComfyRules", "Media",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        nioCore,
        logging,
      ],
      swiftSettings: strictSettings
    ),
    // The shell: the command language, the commands, the session and its parts.
    .target(
      name: "Shell",
      dependencies: ["Workflow", "ComfyRules", "ComfyClient", "LineEditor", "Media", "TerminalGraphics"],
      swiftSettings: strictSettings
    ),

    // The fault proxy (Tests/FaultProxy): between comfysh and a server in tests, and by hand in
    // front of a real ComfyUI (`comfysh-fault-proxy`).
    .target(name: "FaultProxy", path: "Tests/FaultProxy", swiftSettings: strictSettings),
    .executableTarget(
      name: "comfysh-fault-proxy", dependencies: ["FaultProxy"], path: "Tests/FaultProxyTool",
      swiftSettings: strictSettings),
    .testTarget(
      name: "FaultProxyTests",
      dependencies: ["FaultProxy", "ComfySim", "Workflow"],
      swiftSettings: strictSettings
    ),

    // What several test targets share: the recorded fixtures, a closed port.
    .target(
      name: "TestSupport", dependencies: ["ComfyRules", "Workflow", "Media", "TerminalGraphics"],
      path: "Tests/TestSupport",
      swiftSettings: strictSettings),
    .testTarget(
      name: "WorkflowTests", dependencies: ["Workflow", "TestSupport"], swiftSettings: strictSettings),
    .testTarget(
      name: "ComfyRulesTests", dependencies: ["ComfyRules", "Workflow", "TestSupport"],
      swiftSettings: strictSettings),
    .testTarget(name: "MediaTests", dependencies: ["Media", "TestSupport"], swiftSettings: strictSettings),
    .testTarget(
      name: "TerminalGraphicsTests", dependencies: ["TerminalGraphics", "Media", "TestSupport"],
      swiftSettings: strictSettings),
    .testTarget(name: "LineEditorTests", dependencies: ["LineEditor"], swiftSettings: strictSettings),
    .testTarget(
      name: "ComfySimTests",
      dependencies: [
        "ComfySim", "ComfyRules", "Media", "Workflow", "TestSupport",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "WSClient", package: "swift-websocket"),
        nioCore,
        .product(name: "NIOHTTP1", package: "swift-nio"),
        logging,
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "ComfyClientTests",
      dependencies: ["ComfyClient", "ComfySim", "Workflow", "TestSupport"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["Workflow", "ComfySim", "Media", "TerminalGraphics", "TestSupport"],
      swiftSettings: strictSettings),
    .testTarget(
      name: "ShellTests",
      dependencies: [
        "Shell", "ComfySim", "ComfyRules", "ComfyClient", "Media", "TerminalGraphics", "Workflow",
        "TestSupport",
        "FaultProxy",
      ],
      swiftSettings: strictSettings
    ),
  ]
)
