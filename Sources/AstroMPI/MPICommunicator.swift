import AstroDistributed
import Foundation
import _CMPI

/// The ranks of an MPI job (`mpirun -np N ...`): MPI_COMM_WORLD over Open MPI.
///
/// MPI is initialised on a dedicated thread with `MPI_THREAD_FUNNELED`, and every MPI call of the process runs
/// on that thread: Swift code (the gradient buckets' background queue, concurrency tasks) may call from any
/// thread. A collective that has not completed after `timeout` seconds ends every rank of the job (`MPI_Abort`)
/// with a message naming the operation, instead of hanging; an error a collective returns is thrown.
public final class MPICommunicator: Communicator, @unchecked Sendable {
  public let rank: Int
  public let size: Int
  /// Seconds a collective may take before it is taken for a dead or hung rank.
  public let timeout: TimeInterval
  private let thread: CallThread

  nonisolated(unsafe) private static var world: MPICommunicator?
  private static let worldLock = NSLock()

  /// Whether this process was started by `mpirun`/`mpiexec` (Open MPI's or a PMIx launcher's environment).
  public static var isLaunchedByMPI: Bool {
    let environment = ProcessInfo.processInfo.environment
    return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
  }

  /// The world communicator, initialising MPI on first use. `timeout` applies to every collective; by default
  /// `ASTRO_MPI_TIMEOUT` seconds when set, otherwise 300 (a DenseNet121 epoch's validation pass fits well inside it).
  public static func world(timeout: TimeInterval? = nil) throws -> MPICommunicator {
    let environment = ProcessInfo.processInfo.environment["ASTRO_MPI_TIMEOUT"]
    let timeout = timeout ?? environment.flatMap(TimeInterval.init).flatMap { $0 > 0 ? $0 : nil } ?? 300
    return try worldLock.withLock {
      if let world { return world }
      let thread = CallThread()
      let box = UncheckedBox((rank: Int32(0), size: Int32(0), provided: Int32(0), code: Int32(0)))
      thread.runAndWait {
        box.value.code = MPI_Init_thread(nil, nil, astro_mpi_thread_funneled(), &box.value.provided)
        guard box.value.code == astro_mpi_success() else { return }
        // Errors come back as codes (turned into messages naming the operation) instead of aborting inside MPI.
        box.value.code = MPI_Comm_set_errhandler(astro_mpi_comm_world(), astro_mpi_errors_return())
        MPI_Comm_rank(astro_mpi_comm_world(), &box.value.rank)
        MPI_Comm_size(astro_mpi_comm_world(), &box.value.size)
      }
      let info = box.value
      guard info.code == astro_mpi_success() else {
        throw CommunicatorError("MPI_Init_thread failed: \(errorString(info.code))")
      }
      guard info.provided >= astro_mpi_thread_funneled() else {
        throw CommunicatorError("MPI provides thread level \(info.provided), AstroLearn needs MPI_THREAD_FUNNELED")
      }
      let communicator = MPICommunicator(rank: Int(info.rank), size: Int(info.size), timeout: timeout, thread: thread)
      world = communicator
      return communicator
    }
  }

  private init(rank: Int, size: Int, timeout: TimeInterval, thread: CallThread) {
    self.rank = rank
    self.size = size
    self.timeout = timeout
    self.thread = thread
  }

  public func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {
    try reduce(UnsafeMutableRawPointer(values.baseAddress), values.count, astro_mpi_float(), "allreduce of \(values.count) floats")
    if operation == .average { for i in values.indices { values[i] /= Float(size) } }
  }

  public func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws {
    try reduce(UnsafeMutableRawPointer(values.baseAddress), values.count, astro_mpi_double(), "allreduce of \(values.count) doubles")
    if operation == .average { for i in values.indices { values[i] /= Double(size) } }
  }

  private func reduce(_ buffer: UnsafeMutableRawPointer?, _ count: Int, _ type: MPI_Datatype, _ what: String) throws {
    guard count > 0 else { return }
    let box = UncheckedBox(buffer)
    try call(what) { MPI_Allreduce(astro_mpi_in_place(), box.value, Int32(count), type, astro_mpi_sum(), astro_mpi_comm_world()) }
  }

  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
    try checkRoot(root, "broadcast")
    guard values.count > 0 else { return }
    let box = UncheckedBox(values.baseAddress!)
    try call("broadcast of \(values.count) floats from rank \(root)") {
      MPI_Bcast(box.value, Int32(values.count), astro_mpi_float(), Int32(root), astro_mpi_comm_world())
    }
  }

  public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
    try checkRoot(root, "broadcast")
    var count = [Double(bytes.count)]
    try count.withUnsafeMutableBufferPointer { count in
      let box = UncheckedBox(count.baseAddress!)
      try call("broadcast of a byte count from rank \(root)") {
        MPI_Bcast(box.value, 1, astro_mpi_double(), Int32(root), astro_mpi_comm_world())
      }
    }
    if rank != root { bytes = [UInt8](repeating: 0, count: Int(count[0])) }
    guard !bytes.isEmpty else { return }
    let count32 = Int32(bytes.count)
    try bytes.withUnsafeMutableBufferPointer { buffer in
      let box = UncheckedBox(buffer.baseAddress!)
      try call("broadcast of \(count32) bytes from rank \(root)") {
        MPI_Bcast(box.value, count32, astro_mpi_byte(), Int32(root), astro_mpi_comm_world())
      }
    }
  }

  public func allgather(_ values: [Float]) throws -> [[Float]] {
    var counts = [Int32](repeating: 0, count: size)
    let mine = Int32(values.count)
    try counts.withUnsafeMutableBufferPointer { counts in
      let box = UncheckedBox(counts.baseAddress!)
      try call("allgather of counts") {
        var mine = mine
        return MPI_Allgather(&mine, 1, astro_mpi_int(), box.value, 1, astro_mpi_int(), astro_mpi_comm_world())
      }
    }
    var offsets = [Int32](repeating: 0, count: size)
    for r in 1..<max(size, 1) { offsets[r] = offsets[r - 1] + counts[r - 1] }
    let total = Int(counts.reduce(0, +))
    var gathered = [Float](repeating: 0, count: total)
    try values.withUnsafeBufferPointer { values in
      try gathered.withUnsafeMutableBufferPointer { gathered in
        let box = UncheckedBox((values.baseAddress, gathered.baseAddress, counts, offsets))
        try call("allgather of \(values.count) floats") {
          let (source, target, counts, offsets) = box.value
          return MPI_Allgatherv(source, mine, astro_mpi_float(), target, counts, offsets, astro_mpi_float(), astro_mpi_comm_world())
        }
      }
    }
    return (0..<size).map { Array(gathered[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
  }

  public func barrier() throws {
    try call("barrier") { MPI_Barrier(astro_mpi_comm_world()) }
  }

  /// Runs `body` as this process's rank of the MPI job (initialising MPI), then finalizes MPI. If `body` throws,
  /// the whole job ends with the error, prefixed by `what` and this rank: the other ranks would otherwise wait in
  /// their next collective.
  public static func runAsRank(_ what: String, _ body: (MPICommunicator) throws -> Void) throws {
    let world = try world()
    do {
      try body(world)
    } catch {
      world.abort("\(what): \(error)")
    }
    world.finalize()
  }

  /// Ends MPI for this process (every rank must call it once at the end; later collectives fail).
  public func finalize() {
    thread.runAndWait { _ = MPI_Finalize() }
  }

  /// Prints `message` on standard error and ends every rank of the job with `code` (MPI_Abort). For a rank whose
  /// work failed: the others would otherwise wait in their next collective until the timeout.
  public func abort(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("rank \(rank) of \(size): \(message)\n".utf8))
    // Called from this thread, not the MPI thread, which may be stuck in the collective that failed.
    MPI_Abort(astro_mpi_comm_world(), code)
    exit(code)
  }

  /// Runs `body` on the MPI thread; throws when it returns an error code, aborts the job when it does not return
  /// within `timeout`.
  private func call(_ operation: String, _ body: @escaping () -> Int32) throws {
    let result = UncheckedBox<Int32?>(nil)
    let done = DispatchSemaphore(value: 0)
    let job = UncheckedBox(body)
    thread.submit {
      result.value = job.value()
      done.signal()
    }
    if done.wait(timeout: .now() + timeout) == .timedOut {
      // The MPI thread is still inside the call, writing into the caller's buffers: returning (and freeing them)
      // is not safe, and the job cannot go on without that rank. End every rank now, with the reason.
      abort("\(operation) did not complete within \(Int(timeout)) s: another rank has died or hangs")
    }
    if let code = result.value, code != astro_mpi_success() {
      throw CommunicatorError("rank \(rank) of \(size): \(operation) failed: \(Self.errorString(code))")
    }
  }

  private static func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(astro_mpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &buffer, &length)
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// A value handed to the MPI thread while the caller waits for it: the caller keeps it alive and does not touch it
/// until the call returns, which is what makes the unchecked sendability sound.
private final class UncheckedBox<T>: @unchecked Sendable {
  var value: T
  init(_ value: T) { self.value = value }
}

/// One thread that runs submitted jobs in order: MPI's "funneled" thread.
private final class CallThread: @unchecked Sendable {
  private let condition = NSCondition()
  private var jobs: [@Sendable () -> Void] = []

  init() {
    let thread = Thread { [unowned self] in
      while true {
        condition.lock()
        while jobs.isEmpty { condition.wait() }
        let job = jobs.removeFirst()
        condition.unlock()
        job()
      }
    }
    thread.name = "astrolearn.mpi"
    thread.start()
  }

  func submit(_ job: @escaping @Sendable () -> Void) {
    condition.lock()
    jobs.append(job)
    condition.signal()
    condition.unlock()
  }

  func runAndWait(_ job: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    submit {
      job()
      done.signal()
    }
    done.wait()
  }
}
