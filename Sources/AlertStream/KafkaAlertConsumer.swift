import AlertStore
import Foundation
import _CRdKafka

/// What to consume and how.
public struct KafkaConsumerOptions: Sendable {
  /// `host:port[,host:port...]`.
  public var bootstrapServers: String
  /// Topics to subscribe to, e.g. `ztf_20240101_programid1` (an explicit list, as BOOM does: a pattern would also
  /// match the expired nights the broker keeps advertising).
  public var topics: [String]
  /// Consumer group: its committed offsets are where a restarted consumer resumes.
  public var group: String
  /// Further librdkafka properties (`security.protocol`, `sasl.mechanism`, `sasl.username`, ...).
  public var properties: [(String, String)] = []
  /// Messages per batch: one store transaction, then one offset commit.
  public var batchSize = 500
  /// Stop after this many messages (nil: no limit).
  public var maxMessages: Int?
  /// Stop once no message has arrived for this many seconds while partitions were assigned (nil: wait for more).
  public var idleSeconds: Double?
  /// For messages framed as one Avro datum (LSST); containers (ZTF) need none.
  public var framedSchema: FramedSchema?

  public init(bootstrapServers: String, topics: [String], group: String) {
    self.bootstrapServers = bootstrapServers
    self.topics = topics
    self.group = group
  }
}

/// Where a consumer stands, after each stored batch.
public struct ConsumerStatus: Sendable {
  public var messages = 0
  public var inserted = 0
  public var duplicates = 0
  /// Messages that were not alerts (undecodable, invalid): reported, skipped, and their offsets committed.
  public var failed = 0
  public var batches = 0
  public var seconds = 0.0
  /// Messages left on the subscribed partitions past the last stored one (from the brokers' high watermarks).
  public var lag: Int64 = 0
  /// `topic[partition]@offset` of the last message of the last batch.
  public var lastOffset = ""

  /// Messages per second since the start.
  public var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }

  /// One line for a terminal or a log.
  public var line: String {
    String(
      format: "%d messages (%.0f/s): %d new alerts, %d already stored, %d failed; lag %lld; last %@", messages,
      messagesPerSecond, inserted, duplicates, failed, lag, lastOffset)
  }
}

/// Consumes alert packets from Kafka topics into an alert store, at least once.
///
/// Each batch of messages is ingested in one transaction (`AlertIngester`), then handed to `committed` (scoring on
/// arrival), and only then are the batch's offsets committed to the group. A consumer killed at any point
/// therefore loses nothing: its group resumes from the last committed offsets, the batch in flight is delivered
/// again, and ingest, being idempotent by candid, stores each alert once. Messages that are not alerts are
/// reported and skipped, so one bad message cannot stall the stream.
public final class KafkaAlertConsumer {
  public let options: KafkaConsumerOptions
  private let client: KafkaClient
  private var closed = false

  /// Connects (lazily: librdkafka connects in the background) and subscribes to the topics.
  public init(options: KafkaConsumerOptions) throws {
    guard !options.topics.isEmpty else { throw AlertStoreError(source: options.bootstrapServers, reason: "no topic to consume") }
    self.options = options
    client = try KafkaClient(
      consumer: true,
      properties: [
        ("bootstrap.servers", options.bootstrapServers), ("group.id", options.group),
        // Offsets are committed by hand, after the store has the batch; a new group starts at the beginning.
        ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"), ("auto.offset.reset", "earliest"),
        ("log_level", "4"),
      ] + options.properties,
      source: options.bootstrapServers)
    rd_kafka_poll_set_consumer(client.handle)
    let list = rd_kafka_topic_partition_list_new(Int32(options.topics.count))
    defer { rd_kafka_topic_partition_list_destroy(list) }
    for topic in options.topics { rd_kafka_topic_partition_list_add(list, topic, -1) }
    let error = rd_kafka_subscribe(client.handle, list)
    guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
      throw AlertStoreError(
        source: options.bootstrapServers,
        reason: "cannot subscribe to \(options.topics.joined(separator: ", ")): \(KafkaClient.describe(error))")
    }
  }

  deinit { close() }

  /// Leaves the group (its partitions go to the other members at once) and closes the connection.
  public func close() {
    guard !closed else { return }
    closed = true
    rd_kafka_consumer_close(client.handle)
  }

  /// One message taken from a partition.
  struct Message {
    var topic: String
    var partition: Int32
    var offset: Int64
    var payload: Data
    var label: String { "\(topic)[\(partition)]@\(offset)" }
  }

  /// Consumes until `shouldStop` returns true (checked at least every 0.2 s; the batch in hand is stored and
  /// committed first), `maxMessages` are consumed, or the stream has been idle for `idleSeconds`.
  ///
  /// `committed(records)` runs after each batch is stored and before its offsets are committed; `status` after
  /// each commit; `failure` for each message skipped. A store error or a Kafka error ends the call, with nothing
  /// of the batch in flight committed.
  public func run(
    into database: any AlertDatabase, committed: (([AlertIngestRecord]) throws -> Void)? = nil,
    status: ((ConsumerStatus) -> Void)? = nil, failure: ((IngestFailure) -> Void)? = nil,
    shouldStop: () -> Bool = { false }
  ) throws -> ConsumerStatus {
    let start = Date()
    var state = ConsumerStatus()
    var lastMessage = Date()
    while !shouldStop() {
      if let limit = options.maxMessages, state.messages >= limit { break }
      let room = min(options.batchSize, (options.maxMessages ?? .max) - state.messages)
      let batch = try pollBatch(room, shouldStop: shouldStop)
      guard !batch.isEmpty else {
        // Idle time counts only while partitions are assigned: joining the group (or waiting for a killed member's
        // session to expire before a rebalance) is not an idle stream.
        if !hasAssignment() { lastMessage = Date() }
        if let idle = options.idleSeconds, Date().timeIntervalSince(lastMessage) >= idle { break }
        continue
      }
      lastMessage = Date()
      let packets = batch.map { PacketInput.bytes($0.payload, label: $0.label, framedSchema: options.framedSchema) }
      let report = try AlertIngester(database: database, batchSize: packets.count).ingest(packets, committed: committed)
      for f in report.failures { failure?(f) }
      try commitOffsets(of: batch)
      state.messages += batch.count
      state.inserted += report.progress.inserted
      state.duplicates += report.progress.duplicates
      state.failed += report.progress.failed
      state.batches += 1
      state.lastOffset = batch.last!.label
      state.lag = lag()
      state.seconds = Date().timeIntervalSince(start)
      status?(state)
    }
    state.seconds = Date().timeIntervalSince(start)
    return state
  }

  /// Up to `limit` messages: waits up to 0.2 s for the first, then takes what has already arrived.
  private func pollBatch(_ limit: Int, shouldStop: () -> Bool) throws -> [Message] {
    var batch: [Message] = []
    while batch.count < limit {
      guard let raw = rd_kafka_consumer_poll(client.handle, batch.isEmpty ? 200 : 0) else { break }
      defer { rd_kafka_message_destroy(raw) }
      let m = raw.pointee
      if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
        let reason = KafkaClient.describe(m.err)
        // Errors about the connection are retried by librdkafka itself; a topic that does not exist, or an
        // authorisation failure, will not mend on its own.
        if m.err == RD_KAFKA_RESP_ERR__FATAL {
          var text = [CChar](repeating: 0, count: 512)
          let cause = rd_kafka_fatal_error(client.handle, &text, text.count)
          throw AlertStoreError(
            source: options.bootstrapServers, reason: "fatal Kafka error: \(KafkaClient.text(text)) (\(KafkaClient.describe(cause)))")
        }
        if m.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
          || m.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || m.err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED
          || m.err == RD_KAFKA_RESP_ERR__AUTHENTICATION || m.err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED
        {
          let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? options.topics.joined(separator: ", ")
          throw AlertStoreError(source: topic, reason: reason)
        }
        continue
      }
      let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
      let payload = m.payload.map { Data(bytes: $0, count: m.len) } ?? Data()
      batch.append(Message(topic: topic, partition: m.partition, offset: m.offset, payload: payload))
      if shouldStop() { break }
    }
    return batch
  }

  /// Commits, synchronously, the offset after the last message of each partition in the batch.
  private func commitOffsets(of batch: [Message]) throws {
    var next: [String: (topic: String, partition: Int32, offset: Int64)] = [:]
    for m in batch {
      let key = "\(m.topic)/\(m.partition)"
      next[key] = (m.topic, m.partition, max(next[key]?.offset ?? 0, m.offset + 1))
    }
    let list = rd_kafka_topic_partition_list_new(Int32(next.count))
    defer { rd_kafka_topic_partition_list_destroy(list) }
    for entry in next.values {
      rd_kafka_topic_partition_list_add(list, entry.topic, entry.partition)?.pointee.offset = entry.offset
    }
    let error = rd_kafka_commit(client.handle, list, 0)
    // The group moved this batch's partitions to another member meanwhile: the batch is stored, and the new owner
    // starts from the last committed offsets (at most this batch again, which ingest stores once). Not an error.
    let rebalanced = [
      RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
      RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST, RD_KAFKA_RESP_ERR__STATE,
    ]
    guard error == RD_KAFKA_RESP_ERR_NO_ERROR || rebalanced.contains(error) else {
      throw AlertStoreError(
        source: options.bootstrapServers,
        reason: "stored the batch ending at \(batch.last!.label) but could not commit its offsets: \(KafkaClient.describe(error)) "
          + "(it will be delivered again; ingest is idempotent)")
    }
  }

  private func hasAssignment() -> Bool {
    var assigned: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    guard rd_kafka_assignment(client.handle, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR, let assigned else { return false }
    defer { rd_kafka_topic_partition_list_destroy(assigned) }
    return assigned.pointee.cnt > 0
  }

  /// Messages past our position on the assigned partitions, from the cached high watermarks.
  private func lag() -> Int64 {
    var assigned: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    guard rd_kafka_assignment(client.handle, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR, let assigned else { return 0 }
    defer { rd_kafka_topic_partition_list_destroy(assigned) }
    _ = rd_kafka_position(client.handle, assigned)
    var total: Int64 = 0
    for i in 0..<Int(assigned.pointee.cnt) {
      let p = assigned.pointee.elems[i]
      var low: Int64 = 0
      var high: Int64 = 0
      guard rd_kafka_get_watermark_offsets(client.handle, p.topic, p.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
        high >= 0
      else { continue }
      let position = p.offset >= 0 ? p.offset : low
      total += max(0, high - position)
    }
    return total
  }
}
