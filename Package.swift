// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "AstroLearn",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "AstroKernels", targets: ["AstroKernels"]),
    .library(name: "AstroTensor", targets: ["AstroTensor"]),
    .library(name: "AstroNN", targets: ["AstroNN"]),
    .library(name: "AstroDistributed", targets: ["AstroDistributed"]),
    .library(name: "AstroMPI", targets: ["AstroMPI"]),
    .library(name: "AstroIO", targets: ["AstroIO"]),
    .library(name: "ZTFAlerts", targets: ["ZTFAlerts"]),
    .executable(name: "astrolearn", targets: ["AstroLearnCLI"]),
    .executable(name: "train-demo", targets: ["TrainDemo"]),
    .executable(name: "quick-start", targets: ["QuickStart"]),
    .executable(name: "custom-layer", targets: ["CustomLayer"]),
    .executable(name: "bench", targets: ["Bench"]),
    .executable(name: "store-bench", targets: ["StoreBench"]),
    .library(name: "Braai", targets: ["Braai"]),
    .executable(name: "braai", targets: ["BraaiCLI"]),
    .library(name: "AstroPlot", targets: ["AstroPlot"]),
    .library(name: "AstroEval", targets: ["AstroEval"]),
    .library(name: "SyntheticData", targets: ["SyntheticData"]),
    .library(name: "AstroInt8", targets: ["AstroInt8"]),
    .library(name: "AstroTFLite", targets: ["AstroTFLite"]),
    .library(name: "AstroQuantization", targets: ["AstroQuantization"]),
    .library(name: "AstroONNX", targets: ["AstroONNX"]),
    .library(name: "AstroArtefacts", targets: ["AstroArtefacts"]),
    .executable(name: "make-datasets", targets: ["MakeDatasets"]),
    .library(name: "AlertStore", targets: ["AlertStore"]),
    .library(name: "AlertStream", targets: ["AlertStream"]),
    .executable(name: "alerts", targets: ["AlertsCLI"]),
    .executable(name: "label", targets: ["LabelCLI"]),
    .library(name: "DeepStreaks", targets: ["DeepStreaks"]),
    .library(name: "ActiveLearning", targets: ["ActiveLearning"]),
    .library(name: "Labeling", targets: ["Labeling"]),
    .executable(name: "deepstreaks", targets: ["DeepStreaksCLI"]),
    .executable(name: "astro-fuzz", targets: ["AstroFuzz"]),
    .executable(name: "astro-h5check", targets: ["H5Check"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    // SHA-256 of labellers' bearer tokens (only the hash is stored).
    .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"4.0.0"),
    // The labelling server (`label serve`).
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
    // `make docs`: DocC catalogs of every library (swift package generate-documentation).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // System libraries (Debian packages; the Makefile installs them).
    .systemLibrary(name: "_COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "_CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(name: "_CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "_CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // libdeflate: the fast inflate of alert cutouts (zlib still diagnoses a stream libdeflate refuses).
    .systemLibrary(name: "_CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),
    // libpq, PostgreSQL's C client: the alert store's PostgreSQL backend.
    .systemLibrary(name: "_CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    // librdkafka, the Kafka C client, with its in-process mock cluster: live ingestion of alert streams.
    .systemLibrary(name: "_CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),

    // Vector kernels in C++ (AVX-512, AVX2 + FMA, VNNI for int8; NEON on arm64), chosen at run time (Swift itself
    // targets baseline x86-64).
    .target(name: "AstroKernelsC"),
    // Numeric kernels on raw buffers: BLAS, im2col, pooling, normalisation. No autodiff.
    .target(
      name: "AstroKernels",
      dependencies: [.target(name: "_COpenBLAS", condition: .when(platforms: [.linux])), "AstroKernelsC"]),
    // Tensors and hand-written reverse-mode autodiff; each op's forward and backward side by side.
    .target(name: "AstroTensor", dependencies: ["AstroKernels"]),
    // File formats on plain arrays: HDF5 (the container of Keras weights), NumPy .npy. No tensors, no autodiff.
    .target(name: "AstroIO", dependencies: ["_CHDF5"]),
    // Collectives for data-parallel training (rank, size, allreduce, broadcast, allgather, barrier): the protocol and
    // an in-process group of threads. No tensors, no MPI.
    .target(name: "AstroDistributed"),
    // Open MPI (Debian's libopenmpi-dev; the Makefile installs it) behind a C shim: its handles are macros over
    // globals that Swift cannot import.
    .systemLibrary(name: "_CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
    // The MPI communicator: every MPI call on one dedicated thread.
    .target(name: "AstroMPI", dependencies: ["AstroDistributed", "_CMPI"]),
    // Layers, models, builders (VGG6, ResNet, DenseNet), losses, optimizers, Keras weight files, data-parallel training.
    .target(name: "AstroNN", dependencies: ["AstroTensor", "AstroIO", "AstroKernels", "AstroDistributed"]),

    // Full-integer (int8/uint8) graphs and their interpreter, bit-exact with LiteRT's reference kernels.
    .target(name: "AstroInt8", dependencies: ["AstroKernels", "AstroKernelsC"]),
    // TFLite flatbuffers: read any int8 .tflite into a graph, write graphs for LiteRT and the Edge TPU.
    .target(name: "AstroTFLite", dependencies: ["AstroInt8", "AstroIO"]),
    // Post-training and quantization-aware int8 quantization of any model, with per-layer error reports.
    .target(name: "AstroQuantization", dependencies: ["AstroNN", "AstroTensor", "AstroInt8"]),

    // ONNX files: a hand-written protobuf codec, export of any model (NCHW, IR 8 / opset 13 by default), import.
    .target(name: "AstroONNX", dependencies: ["AstroNN", "AstroTensor", "AstroIO", "AstroInt8", "AstroKernels"]),

    // Model artefacts: a manifest (inputs, preprocessing, outputs, thresholds, provenance, weight hash) carried by
    // .h5, .onnx and .tflite files alike; loading any model file with its manifest checked.
    .target(
      name: "AstroArtefacts",
      dependencies: ["AstroNN", "AstroIO", "AstroONNX", "AstroTFLite", .product(name: "Crypto", package: "swift-crypto")]),

    // Active learning for any model: acquisition functions, pools streamed from disk, stopping criteria.
    .target(name: "ActiveLearning", dependencies: ["AstroNN", "AstroTensor", "AstroKernels", "AstroIO", "AstroEval", "AstroPlot"]),

    // Labelling: projects, items, labellers, the append-only label log, queue, agreement, consensus, exports.
    .target(
      name: "Labeling",
      dependencies: [
        "ActiveLearning", "AstroNN", "AstroIO", "AstroTensor", "AstroPlot", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .executableTarget(
      name: "LabelCLI",
      dependencies: [
        "Labeling", "ActiveLearning", "AstroNN", "AstroTensor", "AstroIO", "AstroEval", "SyntheticData", "ZTFAlerts",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ],
      path: "Examples/LabelCLI"),

    // ZTF alert packets: Avro container files, gzip FITS cutouts, braai triplets. Plain arrays, no tensors.
    .target(name: "ZTFAlerts", dependencies: ["AstroKernels", "_CZlib", "_CDeflate"]),

    // PNG images through libpng, a small rasteriser with a bitmap font, and charts (axes, lines, points).
    .target(name: "AstroPlot", dependencies: ["_CPNG", "AstroIO"]),
    // Evaluation: confusion matrices, FNR/FPR, ROC/AUC, thresholds, JSON/Markdown reports and their plots.
    .target(name: "AstroEval", dependencies: ["AstroPlot", "AstroIO"]),
    // Seeded synthetic ZTF-like triplets (63x63x3) and DeepStreaks-like streak cutouts (144x144x1).
    .target(name: "SyntheticData", dependencies: ["AstroIO", "AstroKernels"]),
    .executableTarget(
      name: "MakeDatasets",
      dependencies: ["SyntheticData", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Datasets/Generate"),
    // The alert and light-curve store (embedded SQLite through GRDB, or a PostgreSQL server with q3c through libpq;
    // Kowalski-like queries).
    .target(
      name: "AlertStore",
      dependencies: ["ZTFAlerts", "AstroPlot", "AstroKernels", "_CLibPQ", .product(name: "GRDB", package: "GRDB.swift")]),
    // Live ingestion: Kafka topics of alert packets (ZTF's Avro containers, LSST's framed datums) into a store, at
    // least once, with scoring on arrival; librdkafka's mock cluster for tests without a broker.
    .target(name: "AlertStream", dependencies: ["AlertStore", "ZTFAlerts", "_CRdKafka"]),
    .executableTarget(
      name: "AlertsCLI",
      dependencies: [
        "AlertStore", "AlertStream", "Braai", "AstroArtefacts", "ZTFAlerts", "AstroKernels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
      ],
      path: "Examples/AlertsCLI", exclude: ["openapi.yaml"]),

    // braai: the ZTF real/bogus classifier on top (VGG6 + triplets + bundled d6_m7 weights).
    .target(
      name: "Braai",
      dependencies: [
        "AstroNN", "AstroTensor", "AstroKernels", "AstroIO", "ZTFAlerts", "AstroEval", "AstroInt8", "AstroTFLite", "AstroQuantization",
        "AstroArtefacts", "AstroDistributed",
      ]),
    .executableTarget(
      name: "BraaiCLI",
      dependencies: [
        "Braai", "AstroNN", "AstroEval", "ZTFAlerts", "AstroIO", "AstroTensor", "AstroQuantization", "AstroTFLite", "AstroMPI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/BraaiCLI"),

    // DeepStreaks: rb/sl/kd families of VGG6/ResNet50/DenseNet121 on 144x144x1 streak cutouts.
    .target(name: "DeepStreaks", dependencies: ["AstroNN", "AstroTensor", "AstroIO", "AstroEval", "AstroDistributed"]),
    .executableTarget(
      name: "DeepStreaksCLI",
      dependencies: [
        "DeepStreaks", "AstroNN", "AstroTensor", "AstroEval", "AstroIO", "AstroMPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/DeepStreaksCLI"),

    // astrolearn: summary and predict for any Keras model file.
    .executableTarget(
      name: "AstroLearnCLI",
      dependencies: [
        "AstroNN", "AstroIO", "AstroTensor", "AstroInt8", "AstroQuantization", "AstroTFLite", "ActiveLearning", "SyntheticData",
        "AstroONNX", "AstroArtefacts", "AstroDistributed", "AstroMPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/AstroLearnCLI"),
    // Fuzz targets (one per parser entry point) and their driver; `make fuzz` builds it with libFuzzer.
    .target(
      name: "FuzzTargets",
      dependencies: ["ZTFAlerts", "AstroIO", "AstroNN", "AstroTensor", "AstroInt8", "AstroTFLite", "AstroQuantization", "AstroONNX",
                     "AstroArtefacts", "Braai", "Labeling", "AstroKernels"]),
    .executableTarget(name: "AstroFuzz", dependencies: ["FuzzTargets"], path: "Fuzz/Driver"),
    // The child process HDF5Isolation reads untrusted .h5 files in.
    .executableTarget(name: "H5Check", dependencies: ["AstroIO"], path: "Examples/H5Check"),
    .executableTarget(name: "TrainDemo", dependencies: ["AstroNN", "AstroTensor"], path: "Examples/TrainDemo"),
    .executableTarget(name: "QuickStart", dependencies: ["AstroNN", "AstroTensor"], path: "Examples/QuickStart"),
    .executableTarget(name: "CustomLayer", dependencies: ["AstroNN", "AstroTensor"], path: "Examples/CustomLayer"),
    .executableTarget(
      name: "Bench", dependencies: ["AstroNN", "AstroTensor", "AstroKernels", "AstroInt8", "AstroQuantization", "Braai", "ActiveLearning", "AstroIO"],
      path: "Benchmarks/Bench"),
    .executableTarget(name: "StoreBench", dependencies: ["AlertStore", "AlertStream", "Braai"], path: "Benchmarks/StoreBench"),

    .target(name: "TestSupport", dependencies: ["AstroTensor"], path: "Tests/TestSupport"),
    .testTarget(name: "AstroKernelsTests", dependencies: ["AstroKernels"]),
    .testTarget(name: "AstroTensorTests", dependencies: ["AstroTensor", "AstroKernels", "TestSupport"]),
    .testTarget(name: "AstroNNTests", dependencies: ["AstroNN", "AstroTensor", "AstroIO", "AstroKernels", "AstroDistributed", "TestSupport"]),
    .testTarget(name: "AstroDistributedTests", dependencies: ["AstroDistributed", "TestSupport"]),
    .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "TestSupport"]),
    .testTarget(name: "AstroIOTests", dependencies: ["AstroIO", "_CHDF5"]),
    .testTarget(name: "ZTFAlertsTests", dependencies: ["ZTFAlerts", "_CZlib", "TestSupport"]),
    .testTarget(
      name: "BraaiTests",
      dependencies: [
        "Braai", "AstroIO", "AstroNN", "AstroTensor", "AstroEval", "ZTFAlerts", "SyntheticData", "AstroInt8", "AstroQuantization", "TestSupport",
      ]),
    .testTarget(name: "AstroPlotTests", dependencies: ["AstroPlot", "TestSupport"]),
    .testTarget(name: "AstroEvalTests", dependencies: ["AstroEval", "AstroPlot", "TestSupport"]),
    .testTarget(name: "SyntheticDataTests", dependencies: ["SyntheticData", "TestSupport"]),
    .testTarget(
      name: "AlertStoreTests",
      dependencies: ["AlertStore", "AlertStream", "AstroIO", "AstroPlot", "Braai", "ZTFAlerts", .product(name: "GRDB", package: "GRDB.swift"), "TestSupport"]),
    .testTarget(
      name: "AstroInt8Tests",
      dependencies: ["AstroInt8", "AstroTFLite", "AstroQuantization", "AstroNN", "AstroTensor", "AstroIO", "AstroKernels", "TestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "DeepStreaksTests", dependencies: ["DeepStreaks", "AstroNN", "AstroTensor", "AstroQuantization", "SyntheticData", "TestSupport"]),
    .testTarget(name: "LabelingTests", dependencies: ["Labeling", "TestSupport"], exclude: ["Browser"]),
    .testTarget(
      name: "AstroArtefactsTests", dependencies: ["AstroArtefacts", "AstroONNX", "AstroTFLite", "AstroNN", "AstroTensor", "Braai", "ZTFAlerts", "TestSupport"]),
    .testTarget(
      name: "AstroONNXTests",
      dependencies: ["AstroONNX", "AstroNN", "AstroTensor", "AstroIO", "AstroInt8", "AstroQuantization", "AstroTFLite", "Braai", "TestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "ActiveLearningTests", dependencies: ["ActiveLearning", "AstroNN", "AstroTensor", "AstroIO", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6],
  cxxLanguageStandard: .cxx17
)
