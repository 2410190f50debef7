import AlertStore
import AlertStream
import ArgumentParser
import AstroKernels
import Dispatch
import Foundation

/// `alerts consume`: live ingestion from Kafka topics, with scoring on arrival.
struct ConsumeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consume",
    abstract: "Consume alert packets from Kafka topics into the store, at least once, scoring them as they arrive.",
    discussion: """
      Each batch is stored in one transaction and scored, and only then are its offsets committed to the group: a \
      consumer killed at any moment resumes where its group left off, and the alerts delivered again are stored \
      once. SIGINT or SIGTERM finishes the batch in hand, commits it and exits 0.

      ZTF messages are Avro container files; LSST's (a zero byte, a 4-byte schema id, one Avro datum) need the \
      writer schema, --schema FILE.avsc [--schema-id N].

        alerts consume --bootstrap broker:9092 --topic ztf_20240101_programid1 --group astro \\
          --db postgres://ztf@db/alerts --score braai
      """)

  @OptionGroup var store: StoreOptions

  @Option(name: .long, help: "Kafka brokers, host:port[,host:port...].")
  var bootstrap: String

  @Option(name: .long, help: "A topic to consume (repeat for several), e.g. ztf_20240101_programid1.")
  var topic: [String]

  @Option(name: .long, help: "Consumer group: where a restarted consumer resumes.")
  var group: String

  @Option(name: .long, help: "Models to score new alerts with, comma-separated: braai (the bundled d6_m7) or model artefacts.")
  var score: String?

  @Option(name: .long, help: "Writer schema (.avsc) of framed single-datum messages (LSST).")
  var schema: String?

  @Option(name: .long, help: "Schema id the framed messages must carry (default: any).")
  var schemaId: Int32?

  @Option(name: .long, parsing: .upToNextOption, help: "librdkafka properties, name=value (security.protocol=SASL_SSL ...).")
  var kafka: [String] = []

  @Option(name: .long, help: "Messages per batch (one transaction and one offset commit).")
  var batchSize = 500

  @Option(name: .long, help: "Stop after this many messages.")
  var maxMessages: Int?

  @Option(name: .long, help: "Stop once no message has arrived for this many seconds.")
  var untilIdle: Double?

  @Option(name: .long, help: "Seconds between status lines on standard error (0: after every batch).")
  var statusEvery = 5.0

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    if let maxMessages, maxMessages < 1 { throw ValidationError("--max-messages must be at least 1") }
    if let untilIdle, !(untilIdle > 0) { throw ValidationError("--until-idle must be a positive number of seconds") }
    if schemaId != nil && schema == nil { throw ValidationError("--schema-id goes with --schema") }
    for property in kafka where !property.contains("=") {
      throw ValidationError("--kafka \(property): expected name=value")
    }
  }

  func run() throws {
    var options = KafkaConsumerOptions(bootstrapServers: bootstrap, topics: topic, group: group)
    options.batchSize = batchSize
    options.maxMessages = maxMessages
    options.idleSeconds = untilIdle
    options.properties = kafka.map { p in
      let i = p.firstIndex(of: "=")!
      return (String(p[..<i]), String(p[p.index(after: i)...]))
    }
    options.framedSchema = try schema.map { try FramedSchema(file: $0, id: schemaId) }

    let database = try store.open(create: true)
    let models = try (score?.split(separator: ",").map(String.init) ?? []).map { try StoreModel(model: $0, database: database) }
    let consumer = try KafkaAlertConsumer(options: options)
    let stop = StopSignal()
    var lastStatus = Date.distantPast
    let final = try consumer.run(
      into: database,
      // Every alert of the batch, those stored before too: a batch delivered again after a crash may have been
      // stored but not scored. Scores replace earlier ones of the same model and version.
      committed: { records in
        for model in models {
          let report = try model.scorer.score(arrived: records, with: model.score)
          for failure in report.failures { printError("alerts: not scored by \(model.scorer.model)/\(model.scorer.version): \(failure)") }
        }
      },
      status: { state in
        if Date().timeIntervalSince(lastStatus) >= statusEvery {
          printError("alerts: \(state.line)")
          lastStatus = Date()
        }
      },
      failure: { printError("alerts: skipped \($0)") },
      shouldStop: { stop.requested })
    consumer.close()
    print(
      "consumed \(final.messages) messages from \(topic.joined(separator: ", ")) into \(store.name): \(final.inserted) new alerts, "
        + "\(final.duplicates) already stored, \(final.failed) failed, in \(String(format: "%.1f", final.seconds)) s"
        + (stop.requested ? " (stopped by signal)" : ""))
  }
}

/// Set by SIGINT or SIGTERM: the consumer finishes its batch, commits and returns.
private struct StopSignal {
  private let flag = LockedValue(false)
  private let sources: [DispatchSourceSignal]

  init() {
    sources = [SIGINT, SIGTERM].map { [flag] number in
      signal(number, SIG_IGN)  // handled by the dispatch source instead of ending the process
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { flag.set(true) }
      source.resume()
      return source
    }
  }

  var requested: Bool { flag.get() }
}
