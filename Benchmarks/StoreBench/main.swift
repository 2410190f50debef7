// Alert-store benchmark, on either backend:
//   swift run -c release store-bench [--alerts N] [--packets N] [--queries N] [--writers K] [--consume N]
//                                    [--db PATH | --db postgres://.../EMPTY_DATABASE] [--reuse]
// (--reuse: measure the queries on the store a previous run with the same --alerts and --packets filled, keeping it)
//
// 1. Ingest rate: N generated alert packets (real ZTF packet bytes with new ids, positions and times, cutouts
//    included) written as .avro files, then ingested by AlertIngester (read, decode on all cores, batched writes),
//    from K writers at once (each its own share of the files, its own connection).
// 2. Fill the same store up to --alerts alerts (generated records without cutouts, their candidate record cut to
//    its candid: 10M alerts' stamps would need ~700 GB and their full records ~50 GB; cone and light-curve queries
//    never read the cutouts, and read the candidate record of the alerts they return only).
// 3. On the full store, through a freshly opened connection: median/p90/p99 time of 5-arcsec cone searches
//    (half centred on stored alerts, half at random) and of light-curve fetches of random objects.
// 4. With --consume N: N more packets produced to librdkafka's mock Kafka cluster in this process, then consumed
//    into the store by KafkaAlertConsumer (batches of 500, offsets committed after each), without and with scoring
//    by braai d6_m7 on arrival.
// Prints readable lines, then one JSON line with the numbers.
import AlertStore
import AlertStream
import Braai
import Dispatch
import Foundation

struct Options {
  var alerts = 1_000_000
  var packets = 20_000
  var queries = 2000
  var db: String? = nil
  var template: String? = nil
  var writers = 1
  var consume = 0
  var reuse = false

  init(_ arguments: [String]) {
    var i = 1
    func value() -> String {
      i += 1
      guard i < arguments.count else { fail("missing value after \(arguments[i - 1])") }
      return arguments[i]
    }
    func count() -> Int {
      let text = value()
      guard let n = Int(text), n >= 0 else { fail("\(arguments[i - 1]) needs a count, got '\(text)'") }
      return n
    }
    while i < arguments.count {
      switch arguments[i] {
      case "--alerts": alerts = count()
      case "--packets": packets = count()
      case "--queries": queries = max(1, count())
      case "--db": db = value()
      case "--template": template = value()
      case "--writers": writers = max(1, count())
      case "--consume": consume = count()
      case "--reuse": reuse = true
      default:
        fail("unknown argument \(arguments[i]) (use --alerts N --packets N --queries N --writers K --consume N --db PATH|URL --template FILE)")
      }
      i += 1
    }
    if alerts < packets { alerts = packets }
  }
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("store-bench: \(message)\n".utf8))
  exit(2)
}

func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

/// The bundled ZTF20aajcdad packet (it has detections and upper limits in prv_candidates).
func templatePath(_ given: String?) -> String {
  if let given { return given }
  let name = "Datasets/ztf-alerts/1127495406315015005.avro"
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  for candidate in [FileManager.default.currentDirectoryPath + "/" + name, root.path + "/" + name]
  where FileManager.default.fileExists(atPath: candidate) {
    return candidate
  }
  fail("template packet \(name) not found; give --template FILE")
}

func seconds(_ start: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

/// Median, p90 and p99 of durations, in milliseconds.
func percentiles(_ samples: [Double]) -> (median: Double, p90: Double, p99: Double) {
  let s = samples.sorted()
  func at(_ q: Double) -> Double { s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))] * 1000 }
  return (at(0.5), at(0.9), at(0.99))
}

/// Results slots for a concurrent loop.
final class Slots<T>: @unchecked Sendable {
  private var items: [T?]
  private let lock = NSLock()
  init(_ count: Int) { items = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ v: T) {
    lock.lock()
    items[i] = v
    lock.unlock()
  }
  var values: [T] { items.map { $0! } }
}

let options = Options(CommandLine.arguments)
let template = templatePath(options.template)
// The packets ingested and consumed come as a stream does: every object's first detection in the same night (0.3 d),
// its later ones a night apart. The fill spreads objects over 300 nights, as an archive holds them.
let streamGenerator: SyntheticAlerts
let generator: SyntheticAlerts
do {
  let bytes = try Data(contentsOf: URL(fileURLWithPath: template))
  streamGenerator = try SyntheticAlerts(templatePacket: bytes, label: template, alertsPerObject: 10, firstNightSpan: 0.3)
  generator = try SyntheticAlerts(templatePacket: bytes, label: template, alertsPerObject: 10)
} catch { fail("\(error)") }

let work = FileManager.default.temporaryDirectory.appendingPathComponent("store-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: work + "/packets", withIntermediateDirectories: true)
let dbPath = options.db ?? work + "/alerts.sqlite"
let onServer = PostgresAlertDatabase.isURL(dbPath)
defer { try? FileManager.default.removeItem(atPath: work) }
if !onServer && !options.reuse { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) } }

do {
  let store = try openAlertDatabase(dbPath, create: true)
  var ingestRate = 0.0
  var fillRate = 0.0
  if options.reuse {
    guard try store.alertCount() >= options.alerts else { fail("--reuse: the store holds fewer than --alerts \(options.alerts) alerts") }
    log("reusing the \(options.alerts) alerts of \(PostgresAlertDatabase.redacted(dbPath)): ingest and fill not measured")
  } else {
    (ingestRate, fillRate) = try load(into: store)
  }

  // 3. Queries through a fresh connection pool.
  let reader = try openAlertDatabase(dbPath, readOnly: true)
  let stats = try reader.statistics()
  var rng = SystemRandomNumberGenerator()
  _ = try reader.coneSearch(ConeQuery(ra: 1, dec: 1, radiusArcsec: 5))  // prepares the statement
  var hitTimes: [Double] = []
  var randomTimes: [Double] = []
  var found = 0
  for q in 0..<options.queries {
    let query: ConeQuery
    if q % 2 == 0 {
      let i = Int.random(in: 0..<options.alerts, using: &rng)
      let p = generator.objectPosition(i)
      query = ConeQuery(ra: p.ra, dec: p.dec, radiusArcsec: 5)
    } else {
      query = ConeQuery(
        ra: Double.random(in: 0..<360, using: &rng), dec: asin(Double.random(in: -1...1, using: &rng)) * 180 / .pi,
        radiusArcsec: 5)
    }
    let start = DispatchTime.now()
    let matches = try reader.coneSearch(query)
    let t = seconds(start)
    if q % 2 == 0 {
      hitTimes.append(t)
      found += matches.count
    } else {
      randomTimes.append(t)
    }
  }
  var curveTimes: [Double] = []
  var points = 0
  for _ in 0..<options.queries {
    let objectId = generator.objectId(Int.random(in: 0..<options.alerts, using: &rng))
    let start = DispatchTime.now()
    points += try reader.lightCurve(objectId: objectId).count
    curveTimes.append(seconds(start))
  }
  let hits = percentiles(hitTimes)
  let random = percentiles(randomTimes)
  let curves = percentiles(curveTimes)
  let consumeRates = try options.consume > 0 ? consumeRates(options.consume, into: store) : (0, 0)
  print(String(format: "store: %d alerts, %d objects, %d light-curve points", stats.alerts, stats.objects,
    stats.detections + stats.upperLimits))
  print(String(format: "ingest (packets with cutouts, decode + write): %.0f alerts/s", ingestRate))
  print(String(format: "fill (records without cutouts): %.0f alerts/s", fillRate))
  print(String(format: "5\" cone on a stored object: median %.3f ms, p90 %.3f ms, p99 %.3f ms (%.1f alerts per cone)",
    hits.median, hits.p90, hits.p99, Double(found) / Double(hitTimes.count)))
  print(String(format: "5\" cone at a random position: median %.3f ms, p90 %.3f ms, p99 %.3f ms", random.median, random.p90, random.p99))
  print(String(format: "light-curve fetch: median %.3f ms, p90 %.3f ms, p99 %.3f ms (%.1f points each)",
    curves.median, curves.p90, curves.p99, Double(points) / Double(curveTimes.count)))
  if options.consume > 0 {
    print(String(format: "consume from Kafka (mock cluster): %.0f alerts/s; with braai scoring on arrival: %.0f alerts/s",
      consumeRates.0, consumeRates.1))
  }
  print(
    String(
      format: "{\"workload\":\"alert-store\",\"backend\":\"%@\",\"alerts\":%d,\"writers\":%d,\"ingest_alerts_per_s\":%.0f,"
        + "\"fill_alerts_per_s\":%.0f,\"cone5_hit_median_ms\":%.4f,\"cone5_random_median_ms\":%.4f,\"lightcurve_median_ms\":%.4f,"
        + "\"consume_alerts_per_s\":%.0f,\"consume_score_alerts_per_s\":%.0f}",
      onServer ? "postgresql" : "sqlite", stats.alerts, options.writers, ingestRate, fillRate, hits.median, random.median,
      curves.median, consumeRates.0, consumeRates.1))
} catch {
  fail("\(error)")
}

/// Alerts per second consumed from a mock Kafka cluster into `store`: `count` new packets, then `count` more with
/// braai scoring each batch on arrival.
func consumeRates(_ count: Int, into store: any AlertDatabase) throws -> (Double, Double) {
  let cluster = try KafkaMockCluster()
  let braai = try BraaiArtefact.load(model: nil, weights: nil)
  let scorer = StoredAlertScorer(database: store, model: "braai", version: braai.version)
  var rates: [Double] = []
  for (round, scoring) in [false, true].enumerated() {
    let topic = "ztf_bench_\(round)"
    // A mock partition keeps its last 5 MB: about 70 packets each.
    try cluster.createTopic(topic, partitions: count / 40 + 1)
    let first = options.alerts + 1_000_000 * (round + 1)
    let slots = Slots<Data>(count)
    DispatchQueue.concurrentPerform(iterations: count) { i in
      do { slots.set(i, try streamGenerator.packet(first + i)) } catch { fail("packet \(first + i): \(error)") }
    }
    try cluster.produce(slots.values, topic: topic)
    var consumerOptions = KafkaConsumerOptions(bootstrapServers: cluster.bootstrapServers, topics: [topic], group: "bench")
    consumerOptions.maxMessages = count
    let consumer = try KafkaAlertConsumer(options: consumerOptions)
    var started: DispatchTime?
    var firstBatch = 0
    let status = try consumer.run(
      into: store,
      committed: { records in
        guard scoring else { return }
        _ = try scorer.score(arrived: records) { try braai.scorer.score(triplets: $0, batchSize: 256) }
      },
      status: { state in
        // Timed from the end of the first batch: joining the group takes seconds that are not throughput.
        if started == nil {
          started = DispatchTime.now()
          firstBatch = state.messages
        }
      })
    consumer.close()
    let rate = Double(status.messages - firstBatch) / max(seconds(started ?? DispatchTime.now()), 1e-9)
    log(String(format: "consume%@: %d messages, %.0f alerts/s", scoring ? " + braai" : "", status.messages, rate))
    rates.append(rate)
  }
  return (rates[0], rates[1])
}

/// Steps 1 and 2: ingest rate of packets with cutouts, then the fill; returns both rates.
func load(into store: any AlertDatabase) throws -> (Double, Double) {
  // 1. Packets -> files -> ingest.
  log("writing \(options.packets) generated packets to \(work)/packets ...")
  DispatchQueue.concurrentPerform(iterations: options.packets) { i in
    do {
      try streamGenerator.packet(i).write(to: URL(fileURLWithPath: work + String(format: "/packets/%08d.avro", i)))
    } catch { fail("packet \(i): \(error)") }
  }
  guard try store.alertCount() == 0 else { fail("\(PostgresAlertDatabase.redacted(dbPath)) is not empty: give an empty database") }
  let files = try PacketInput.files(in: [work + "/packets"])
  /// Alerts per second of K concurrent ingesters, each with its own contiguous share of the files.
  func timedIngest() throws -> Double {
    let start = DispatchTime.now()
    let share = (files.count + options.writers - 1) / options.writers
    let errors = Slots<String>(options.writers)
    DispatchQueue.concurrentPerform(iterations: options.writers) { w in
      let mine = Array(files[min(files.count, w * share)..<min(files.count, (w + 1) * share)])
      do {
        let report = try AlertIngester(database: store, batchSize: 500).ingest(mine)
        errors.set(w, report.failures.first.map { "\($0)" } ?? "")
      } catch { errors.set(w, "\(error)") }
    }
    if let error = errors.values.first(where: { !$0.isEmpty }) { fail("ingest: \(error)") }
    return Double(files.count) / seconds(start)
  }
  let ingestRate = try timedIngest()
  log(String(format: "ingest: %d packets (with cutouts), %d writer(s): %.0f alerts/s", options.packets, options.writers, ingestRate))
  let againRate = try timedIngest()
  log(String(format: "re-ingest of the same packets (all duplicates): %.0f alerts/s", againRate))
  try? FileManager.default.removeItem(atPath: work + "/packets")

  // 2. Fill to options.alerts with generated records (parallel generation, 5000 per transaction).
  let fillStart = DispatchTime.now()
  let chunk = 5000
  for first in stride(from: options.packets, to: options.alerts, by: chunk) {
    let n = min(chunk, options.alerts - first)
    let slots = Slots<AlertIngestRecord>(n)
    DispatchQueue.concurrentPerform(iterations: n) { i in
      do {
        var record = try generator.record(first + i, cutouts: false)
        record.candidateJSON = "{\"candid\":\(record.candid)}"
        slots.set(i, record)
      } catch { fail("record \(first + i): \(error)") }
    }
    _ = try store.insert(slots.values)
    if (first + n) % 100_000 < chunk { log("filled \(first + n) alerts (\(Int(seconds(fillStart))) s)") }
  }
  let fillSeconds = seconds(fillStart)
  let fillRate = Double(options.alerts - options.packets) / max(fillSeconds, 1e-9)
  log(String(format: "fill: %d records (no cutouts) in %.1f s = %.0f alerts/s", options.alerts - options.packets, fillSeconds, fillRate))
  return (ingestRate, fillRate)
}
