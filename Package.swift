// swift-tools-version: 6.0
import PackageDescription

// Module boundaries follow ../shared/docs/architecture.md:
// SCSI is pure (Foundation only); only system-library targets touch C;
// only Catalog imports GRDB; only executables import ArgumentParser.
let package = Package(
    name: "tapelib",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tapelib", targets: ["tapelib"]),
        .executable(name: "tapelib-tools", targets: ["tapelib-tools"]),
        .executable(name: "tapelib-bench", targets: ["TapelibBench"]),
        .library(name: "HWSim", targets: ["HWSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The REST API (module API only): HTTP server, bcrypt, JWT, metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // The shared catalog of several media servers (module Catalog only).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Pure SCSI layer: CDB builders, parsers, sense, the transport protocol.
        .target(name: "SCSI", path: "Sources/SCSI"),
        // Meaningful changer and drive operations over any SCSITransport.
        .target(name: "TapeHardware", dependencies: ["SCSI"], path: "Sources/TapeHardware"),
        // LTFS format and read-only check over TapeDrive.
        .target(name: "LTFS", dependencies: ["SCSI", "TapeHardware"], path: "Sources/LTFS"),
        // libudev, through pkg-config `libudev` (Debian: libudev-dev).
        .systemLibrary(name: "CUdev", path: "Sources/CUdev", pkgConfig: "libudev",
                       providers: [.apt(["libudev-dev"])]),
        // libsgutils2's sg_pt API; the library ships no pkg-config file (Debian: libsgutils2-dev).
        .systemLibrary(name: "CSGUtils", path: "Sources/CSGUtils", providers: [.apt(["libsgutils2-dev"])]),
        .target(name: "SGTransport", dependencies: ["SCSI", "CSGUtils"], path: "Sources/SGTransport"),
        // libiscsi, through pkg-config `libiscsi` (Debian: libiscsi-dev).
        .systemLibrary(name: "CISCSI", path: "Sources/CISCSI", pkgConfig: "libiscsi",
                       providers: [.apt(["libiscsi-dev"])]),
        .target(name: "ISCSITransport", dependencies: ["SCSI", "CISCSI"], path: "Sources/ISCSITransport"),
        // The one device opener: a device address (DeviceAddress) → its transport, for the
        // command-line tools and the service alike.
        .target(name: "DeviceAccess", dependencies: ["SCSI", "TapeHardware", "SGTransport", "HWSimServer", "ISCSITransport"],
                path: "Sources/DeviceAccess"),
        // Discovery asks changers for their inventory through TapeHardware (one implementation
        // of paging and the DVCID field quirks), so it sits above TapeHardware.
        .target(name: "Discovery", dependencies: [
            "SCSI", "TapeHardware", "CUdev",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Sources/Discovery"),
        // The catalog: GRDB over the system SQLite (libsqlite3-dev).
        // PostgreSQL (postgres-nio) when several media servers share one catalog.
        .target(name: "Catalog", dependencies: [.product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                                                .product(name: "PostgresNIO", package: "postgres-nio"),
                                                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                .product(name: "Logging", package: "swift-log")],
                path: "Sources/Catalog"),
        // Task queue, sync and device presence: runs library operations on the hardware. It
        // reaches a hwsim server's library (`tapelib serve --hwsim`) through HWSimServer's
        // client transport, which needs only SCSI.
        .target(name: "LibraryService", dependencies: [
            "SCSI", "TapeHardware", "LTFS", "Catalog", "Discovery", "HWSimServer", "HWSim", "DeviceAccess",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], path: "Sources/LibraryService"),
        // The REST API: routes, auth (JWT, CSRF, bcrypt, roles), the OpenAPI document, error
        // code → HTTP status and envelope, metrics. The only module that imports Hummingbird.
        .target(name: "API", dependencies: [
            "LibraryService", "Catalog", "Discovery", "SCSI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Sources/API", resources: [.copy("Resources")]),
        // The byte-level simulator of changers and drives.
        .target(name: "HWSim", dependencies: ["SCSI"], path: "hwsim/Sources/HWSim",
                resources: [.copy("Profiles")]),
        // The hwsim socket protocol, server over any SCSITransports, and its client transport.
        .target(name: "HWSimServer", dependencies: ["SCSI"], path: "hwsim/Sources/HWSimServer"),
        .executableTarget(name: "tapelib-hwsim",
                          dependencies: ["HWSim", "HWSimServer", "SCSI", "SGTransport",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "hwsim/Sources/tapelib-hwsim"),
        // Device opening (--device URLs) and the resolution of a library's drive N to the
        // drive's own node by serial (Discovery's udev enumeration and bay matching, the one
        // `library add` uses), error and output formatting shared by the CLI's two
        // executables; no argument parsing.
        .target(name: "CLISupport",
                dependencies: ["SCSI", "TapeHardware", "HWSim", "DeviceAccess", "HWSimServer", "Discovery"],
                path: "Sources/CLISupport"),
        // `tapelib`: the device commands (changer, drive, inquiry); it hands ltfs, discover and
        // catalog to `tapelib-tools` next to it, so its process stays small (start-up, issue 4).
        .executableTarget(
            name: "tapelib",
            dependencies: [
                "SCSI", "TapeHardware", "CLISupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/tapelib"),
        .executableTarget(
            name: "tapelib-tools",
            dependencies: [
                "SCSI", "TapeHardware", "LTFS", "Discovery", "Catalog", "HWSim", "CLISupport", "LibraryService",
                "DeviceAccess", "API",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/tapelib-tools"),
        .executableTarget(
            name: "TapelibBench",
            // LibraryService, Discovery and SGTransport: the engine's sync of a library, also
            // through the sg shim (SG_IO, as mtx reaches it).
            dependencies: ["SCSI", "TapeHardware", "HWSim", "Catalog", "LTFS", "LibraryService", "Discovery",
                           "SGTransport", "PostgresTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            path: "Benchmarks/TapelibBench"),

        // A real PostgreSQL 15 for the tests and the benchmark (scripts/pg-server.sh): no mock.
        .target(name: "PostgresTestSupport", dependencies: ["Catalog"], path: "Tests/PostgresTestSupport"),

        .testTarget(name: "SCSITests", dependencies: ["SCSI"], path: "Tests/SCSITests"),
        .testTarget(name: "HWSimTests", dependencies: ["HWSim", "SCSI"], path: "Tests/HWSimTests"),
        .testTarget(name: "TapeHardwareTests", dependencies: ["TapeHardware", "HWSim", "SCSI"],
                    path: "Tests/TapeHardwareTests"),
        .testTarget(name: "LTFSTests", dependencies: ["LTFS", "TapeHardware", "HWSim", "SCSI"],
                    path: "Tests/LTFSTests"),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "PostgresTestSupport"], path: "Tests/CatalogTests",
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DiscoveryTests", dependencies: [
            "Discovery", "HWSim", "SCSI",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
                    path: "Tests/DiscoveryTests"),
        .testTarget(name: "SGTransportTests", dependencies: ["SGTransport", "SCSI"],
                    path: "Tests/SGTransportTests"),
        .testTarget(name: "ConformanceTests",
                    dependencies: ["HWSimServer", "HWSim", "SGTransport", "ISCSITransport", "SCSI", "tapelib-hwsim", "tapelib",
                                   "tapelib-tools"],
                    path: "Tests/ConformanceTests"),
        .testTarget(name: "LibraryServiceTests", dependencies: [
            "LibraryService", "Catalog", "Discovery", "TapeHardware", "HWSim", "SCSI", "PostgresTestSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/LibraryServiceTests"),
        // The REST API in process (HummingbirdTesting's router framework) over an in-process simulated library.
        .testTarget(name: "APITests", dependencies: [
            "API", "LibraryService", "Catalog", "HWSim",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/APITests"),
        // The crash test (CrashRecoveryTests) also runs tapelib-hwsim, drives it through
        // HWSimServer's control channel and reads the catalog the service writes.
        .testTarget(name: "IntegrationTests", dependencies: ["tapelib", "tapelib-tools", "tapelib-hwsim", "HWSim", "HWSimServer",
                                                            "SCSI", "TapeHardware", "Catalog", "PostgresTestSupport"],
                    path: "Tests/IntegrationTests", exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
