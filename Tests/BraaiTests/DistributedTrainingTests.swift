import AstroIO
import AstroNN
import Foundation
import SyntheticData
import TestSupport
import XCTest

/// `braai train --distributed` under Open MPI's `mpirun`: 2 and 3 ranks with the global batch 64 write the weights
/// of single-process training with batch 64; the collectives on 2 and 3 ranks; a killed or hung rank ends the job.
final class DistributedTrainingTests: XCTestCase {
  var folder: TemporaryFolder!

  override func setUpWithError() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else {
      throw XCTSkip("mpirun not found: `make deps` installs openmpi-bin and libopenmpi-dev")
    }
    folder = try TemporaryFolder("astro-mpi")
  }

  /// `mpirun -np ranks` of a product (as root in CI, as Open MPI then requires; oversubscribed beyond the cores).
  func mpirun(_ ranks: Int, _ product: String, _ arguments: [String]) throws -> ProductRun {
    try runExecutable(
      "/usr/bin/env",
      ["OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "/usr/bin/mpirun", "-np", "\(ranks)", "--oversubscribe",
       try SharedData.builtProduct(product)] + arguments)
  }

  func testCollectivesOnTwoAndThreeRanks() throws {
    for ranks in [2, 3] {
      let run = try mpirun(ranks, "astrolearn", ["mpi-check", "--timeout", "60"])
      XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
      for rank in 0..<ranks {
        XCTAssertTrue(run.stdout.contains("rank \(rank) of \(ranks): allreduce, broadcast, allgather, barrier ok"), run.stdout)
      }
    }
  }

  /// Generated ZTF-like triplets written as braai's `.npy` files.
  func writeTriplets(count: Int) throws -> String {
    let out = try ZTFTripletGenerator().generate(count: count, seed: 5)
    let data = folder.path("data")
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    try NpyArray(shape: [count, 63, 63, 3], floats: out.triplets).write(to: data + "/triplets.t.npy")
    try NpyArray(shape: [count], floats: out.labels).write(to: data + "/labels.t.npy")
    return data
  }

  func weights(in out: String, of make: () throws -> Model = { try VGG6.make(seed: 0) }) throws -> [[Float]] {
    let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasPrefix("braai_") && $0.hasSuffix(".h5") })
    let model = try make()
    try model.loadKerasWeights(from: out + "/" + file)
    return model.weights.map(\.values)
  }

  /// Relative L2 difference of each weight tensor of `a` from `b`. A tensor whose values are all below 1e-6 (a
  /// convolution's bias before batch normalisation: its true gradient is zero, so it moves by rounding noise alone)
  /// is measured against 1e-6 instead.
  func relativeDifferences(_ a: [[Float]], _ b: [[Float]]) -> [Double] {
    zip(a, b).map { a, b in
      let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
      let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
      return difference / max(norm, 1e-6 * Double(b.count).squareRoot())
    }
  }

  /// Trains with `arguments` once alone and once on each of 2 and 3 ranks (adding `ranksAlso`); returns, per rank count, the largest
  /// relative difference of a weight tensor from the single process's.
  func rankDifferences(
    _ arguments: [String], ranksAlso: [String] = [], weightsOf make: () throws -> Model = { try VGG6.make(seed: 0) }
  ) throws -> [Int: Double] {
    let single = try runProduct("braai", arguments + ["--out", folder.path("single")])
    XCTAssertEqual(single.status, 0, single.stderr)
    let reference = try weights(in: folder.path("single"), of: make)
    var worst: [Int: Double] = [:]
    for ranks in [2, 3] {
      let out = folder.path("ranks\(ranks)")
      let run = try mpirun(ranks, "braai", arguments + ranksAlso + ["--out", out, "--distributed"])
      XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
      XCTAssertTrue(run.stdout.contains("Data-parallel over \(ranks) ranks"), run.stdout)
      XCTAssertEqual(run.stdout.components(separatedBy: "Test: loss").count, 2, "rank 0 alone reports: \(run.stdout)")
      let all = relativeDifferences(try weights(in: out, of: make), reference); let w = try weights(in: out, of: make); print("DEBUG", ranks, all.enumerated().filter { $0.element > 1e-5 }.map { "\($0.offset):\($0.element) n=\(w[$0.offset].count) max=\(w[$0.offset].map(abs).max()!)" })
      worst[ranks] = all.max()!
    }
    return worst
  }

  /// braai's recipe (flips, dropout, class weights, validation) for one epoch of 6 steps of the global batch 64
  /// (the last one of 4 samples: 1, 1 and 2 on 3 ranks), with SGD, whose steps are proportional to the gradient.
  ///
  /// Adam is left out here on purpose: it divides each gradient element by its running magnitude, so elements whose
  /// gradient is near zero move by about the learning rate whatever the sign of their rounding noise. One process
  /// run with 1 and with 2 threads then already differs by 1e-6 to 1e-4 after a few steps, and training amplifies
  /// those differences step after step (measured in the issue's closing note), which no summation order can avoid.
  func testRanksWriteTheWeightsOfSingleProcessTraining() throws {
    let data = try writeTriplets(count: 400)
    let worst = try rankDifferences([
      "train", "--npy", data, "--stamp", "t", "--epochs", "1", "--batch", "64", "--optimizer", "sgd", "--lr", "0.01",
    ])
    for (ranks, difference) in worst { XCTAssertLessThan(difference, 1e-5, "\(ranks) ranks against one process") }
  }

  /// The issue's bar: a few hundred steps of braai's recipe as it is (Adam, flips, dropout, class weights,
  /// validation, early-stopping bookkeeping) on 2 and 3 ranks give the single process's weights. With gradients summed
  /// over micro-batches of 16 in double precision (`--micro-batch 16`) the sums do not depend on the split, so the
  /// weights agree to float rounding, far inside 1e-5.
  func testAFewHundredStepsOnRanksGiveTheSingleProcessWeights() throws {
    let data = try writeTriplets(count: 1000)
    // 810 training samples: 13 steps of the global batch 64 an epoch (the last of 42 samples), 23 epochs: 299 steps.
    let worst = try rankDifferences([
      "train", "--npy", data, "--stamp", "t", "--epochs", "23", "--batch", "64", "--patience", "100", "--micro-batch", "16",
    ])
    for (ranks, difference) in worst {
      // Measured: 5e-12 on 2 and 3 ranks (an element or two a float ulp apart, where a double sum was not exact);
      // without micro-batches the same run drifts to 1e-1 (see the issue's closing note).
      XCTAssertLessThan(difference, 1e-9, "\(ranks) ranks against one process after 299 steps")
    }
  }
}

extension DistributedTrainingTests {
  /// Synchronised batch normalisation through the MPI communicator (its reductions queued in order with the
  /// gradient buckets) on braai's ResNet18 (20 batch normalisations): one SGD step on 27 samples moves the weights
  /// as one process's step does, and each rank's own statistics (the default) do not.
  ///
  /// One step, because the synchronised statistics equal one process's to rounding only: a ReLU input within
  /// rounding of zero then switches sides (measured: the whole update differs by 2e-4), and later steps build on it.
  func testSynchronizedBatchNormalizationOverMPI() throws {
    let data = try writeTriplets(count: 34)  // 27 training samples: one batch, 9 on each of 3 ranks
    let common = [
      "train", "--npy", data, "--stamp", "t", "--epochs", "1", "--batch", "27", "--model", "resnet18", "--optimizer", "sgd",
      "--lr", "0.01",
    ]
    let initial = try ResNet.resnet18(inputShape: [63, 63, 3], seed: 42).weights.map(\.values)  // braai's seed
    func update(_ out: String) throws -> [Float] {
      zip(try weights(in: out, of: { try ResNet.resnet18(inputShape: [63, 63, 3]) }), initial).flatMap { zip($0, $1).map { $0 - $1 } }
    }
    func relative(_ a: [Float], _ b: [Float]) -> Double {
      let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
      return (difference / b.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
    }
    let single = try runProduct("braai", common + ["--out", folder.path("single")])
    XCTAssertEqual(single.status, 0, single.stderr)
    let reference = try update(folder.path("single"))
    for (ranks, synchronized) in [(2, true), (3, true), (2, false)] {
      let out = folder.path("bn\(ranks)\(synchronized)")
      let run = try mpirun(ranks, "braai", common + ["--out", out, "--distributed"] + (synchronized ? ["--sync-batch-norm"] : []))
      XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
      let difference = relative(try update(out), reference)
      if synchronized {
        XCTAssertLessThan(difference, 1e-3, "\(ranks) ranks, synchronised: the update of one process")
      } else {
        XCTAssertGreaterThan(difference, 0.1, "each rank's own statistics make another update")
      }
    }
  }

  /// A run checkpointed by 2 ranks and resumed on 3 continues as one process would (micro-batches, so exactly).
  func testResumeOnAnotherNumberOfRanks() throws {
    let data = try writeTriplets(count: 300)
    let common = ["train", "--npy", data, "--stamp", "t", "--batch", "32", "--micro-batch", "8", "--patience", "100"]
    let single = try runProduct("braai", common + ["--epochs", "2", "--out", folder.path("single")])
    XCTAssertEqual(single.status, 0, single.stderr)
    let out = folder.path("resumed")
    let first = try mpirun(2, "braai", common + ["--epochs", "1", "--out", out, "--distributed"])
    XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
    let resumed = try mpirun(3, "braai", common + ["--epochs", "2", "--out", out, "--distributed", "--resume"])
    XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("Resuming from"), resumed.stdout)
    let difference = relativeDifferences(try weights(in: out), try weights(in: folder.path("single"))).max()!
    XCTAssertLessThan(difference, 1e-9, "2 ranks for epoch 1, 3 ranks for epoch 2, against one process for both")
  }
}

/// A rank that dies or hangs ends the whole job with a message instead of leaving the others waiting.
extension DistributedTrainingTests {
  /// Starts `mpirun -np 2 braai train --distributed` for many epochs; returns the process once training is under way
  /// (its first checkpoint written), with its output files.
  func startLongTraining(timeout: Int) throws -> (Process, out: String, stderr: String) {
    let data = folder.path("data")
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    let generated = try ZTFTripletGenerator().generate(count: 300, seed: 8)
    try NpyArray(shape: [300, 63, 63, 3], floats: generated.triplets).write(to: data + "/triplets.t.npy")
    try NpyArray(shape: [300], floats: generated.labels).write(to: data + "/labels.t.npy")
    let out = folder.path("run")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "ASTRO_MPI_TIMEOUT=\(timeout)", "/usr/bin/mpirun", "-np", "2",
      try SharedData.builtProduct("braai"), "train", "--npy", data, "--stamp", "t", "--epochs", "100000", "--batch", "32",
      "--out", out, "--distributed",
    ]
    let stderr = folder.path("stderr.txt")
    _ = FileManager.default.createFile(atPath: stderr, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    process.standardError = FileHandle(forWritingAtPath: stderr)
    try process.run()
    let deadline = Date(timeIntervalSinceNow: 120)
    while !FileManager.default.fileExists(atPath: out + "/checkpoint.h5") && process.isRunning && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.1)
    }
    XCTAssertTrue(process.isRunning, "training must be under way: " + ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""))
    return (process, out, stderr)
  }

  /// The pid of the braai process that is rank `rank` of the job writing to `out`.
  func pid(ofRank rank: Int, out: String) throws -> Int32 {
    for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
      guard let pid = Int32(entry),
        let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
        String(decoding: command, as: UTF8.self).contains(out),
        let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
        String(decoding: environment, as: UTF8.self).split(separator: "\0").contains("OMPI_COMM_WORLD_RANK=\(rank)")
      else { continue }
      return pid
    }
    throw XCTSkip("rank \(rank) of the job writing \(out) not found in /proc")
  }

  /// Waits up to `seconds` for `process` to end; kills it (and fails) otherwise.
  func waitForExit(_ process: Process, within seconds: Double) -> Double {
    let start = Date()
    while process.isRunning && Date().timeIntervalSince(start) < seconds { Thread.sleep(forTimeInterval: 0.1) }
    if process.isRunning {
      process.terminate()
      XCTFail("the job still runs \(seconds) s after the rank failed")
    }
    process.waitUntilExit()
    return Date().timeIntervalSince(start)
  }

  func testAKilledRankEndsTheJob() throws {
    let (process, out, stderr) = try startLongTraining(timeout: 300)
    kill(try pid(ofRank: 1, out: out), SIGKILL)
    let seconds = waitForExit(process, within: 30)
    XCTAssertNotEqual(process.terminationStatus, 0)
    let message = try String(contentsOfFile: stderr, encoding: .utf8)
    XCTAssertTrue(message.contains("rank 1") && message.contains("signal 9"), message)
    print("a killed rank ended the job in \(String(format: "%.1f", seconds)) s")
  }

  func testAHungRankEndsTheJobAfterTheCollectiveTimeout() throws {
    let (process, out, stderr) = try startLongTraining(timeout: 5)
    let hung = try pid(ofRank: 1, out: out)
    kill(hung, SIGSTOP)
    defer { kill(hung, SIGKILL) }
    let seconds = waitForExit(process, within: 60)
    XCTAssertNotEqual(process.terminationStatus, 0)
    let message = try String(contentsOfFile: stderr, encoding: .utf8)
    XCTAssertTrue(message.contains("rank 0 of 2: ") && message.contains("did not complete within 5 s: another rank has died or hangs"), message)
    XCTAssertGreaterThanOrEqual(seconds, 4.5)
    print("a hung rank ended the job in \(String(format: "%.1f", seconds)) s")
  }
}
