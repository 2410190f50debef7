import ArgumentParser
import AstroDistributed
import AstroMPI
import Foundation

/// `mpirun -np N astrolearn mpi-check`: every collective on the job's ranks, checked against the values it must give.
struct MPICheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mpi-check",
    abstract: "Check MPI under mpirun: allreduce, broadcast, allgather and barrier on every rank, against their expected results.")

  @Option(help: "Seconds a collective may take before it counts as a dead or hung rank.") var timeout: Double = 60
  @Option(help: "Also time allreduce of these sizes in MB (the median of 10; rank 0 prints the bus bandwidth, 2(N-1)/N bytes per byte).")
  var timeMB: [Double] = []

  func run() throws {
    let world = try MPICommunicator.world(timeout: timeout)
    let failures: [String]
    do {
      failures = try Self.check(world)
    } catch {
      world.abort("mpi-check: \(error)")
    }
    print("rank \(world.rank) of \(world.size): " + (failures.isEmpty ? "allreduce, broadcast, allgather, barrier ok" : "FAILED " + failures.joined(separator: "; ")))
    for megabytes in timeMB {
      var buffer = [Float](repeating: 1, count: max(1, Int(megabytes * 1e6) / 4))
      var seconds: [Double] = []
      for _ in 0..<10 {
        try world.barrier()
        let start = Date()
        try buffer.withUnsafeMutableBufferPointer { try world.allreduce($0, .sum) }
        seconds.append(Date().timeIntervalSince(start))
      }
      let median = seconds.sorted()[5], bytes = Double(buffer.count * 4)
      let bus = 2 * Double(world.size - 1) / Double(world.size) * bytes / median
      if world.rank == 0 {
        print(String(format: "allreduce %.1f MB: %.2f ms (median of 10), bus bandwidth %.2f Gbit/s", bytes / 1e6, median * 1e3, bus * 8 / 1e9))
      }
    }
    world.finalize()
    if !failures.isEmpty { throw ExitCode.failure }
  }

  /// Runs each collective with rank-dependent values; returns what differs from the closed-form result.
  static func check(_ c: Communicator) throws -> [String] {
    var failures: [String] = []
    func expect<T: Equatable>(_ what: String, _ got: T, _ want: T) { if got != want { failures.append("\(what): \(got), expected \(want)") } }
    let r = Float(c.rank), n = Float(c.size), total = n * (n - 1) / 2
    // Large enough to take MPI's segmented (pipelined) code paths.
    let large = (0..<300_000).map { Float($0 % 1000) + r }
    let summed = try c.allreduce(large, .sum)
    expect("allreduce sum of 300000 floats", summed.enumerated().allSatisfy { $0.element == n * Float($0.offset % 1000) + total }, true)
    expect("allreduce average", try c.allreduce([r, 4], .average), [total / n, 4])
    expect("allreduce of doubles", try c.allreduce([Double(c.rank) * 1e12 + 1], .sum), [Double(total) * 1e12 + Double(n)])
    let root = c.size - 1
    expect("broadcast from rank \(root)", try c.broadcast(c.rank == root ? [1.5, -2, 3] : [0, 0, 0], root: root), [Float(1.5), -2, 3])
    var bytes: [UInt8] = c.rank == 0 ? Array("state from rank 0".utf8) : []
    try c.broadcast(&bytes, root: 0)
    expect("broadcast of bytes", String(decoding: bytes, as: UTF8.self), "state from rank 0")
    let gathered = try c.allgather(Array(repeating: r, count: c.rank + 1))
    expect("allgather", gathered, (0..<c.size).map { Array(repeating: Float($0), count: $0 + 1) })
    try c.barrier()
    return failures
  }
}
