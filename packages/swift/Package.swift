// swift-tools-version:5.7
// Swift bindings for the crdt-merge Rust core (UniFFI). Build the native
// library first: `cargo build --release -p crdt-merge-uniffi` (from the repo root).
import PackageDescription

let package = Package(
    name: "CrdtMerge",
    products: [
        .library(name: "CrdtMerge", targets: ["CrdtMerge"]),
    ],
    targets: [
        .target(
            name: "CrdtMergeFFI",
            path: "Sources/CrdtMergeFFI",
            linkerSettings: [
                .linkedLibrary("crdt_merge_uniffi"),
                .unsafeFlags(["-L../../target/release", "-Xlinker", "-rpath", "-Xlinker", "../../target/release"]),
            ]
        ),
        .target(name: "CrdtMerge", dependencies: ["CrdtMergeFFI"], path: "Sources/CrdtMerge"),
        .testTarget(name: "CrdtMergeTests", dependencies: ["CrdtMerge"], path: "Tests/CrdtMergeTests"),
    ]
)
