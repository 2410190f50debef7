import AlertStore
import Foundation
import _CRdKafka

/// librdkafka's in-process mock Kafka cluster: real brokers speaking the Kafka protocol on loopback ports, held in
/// this process's memory. Consumers in this or other processes reach it through `bootstrapServers`, so tests and
/// benchmarks run the real consumer (groups, offset commits, redelivery) with no broker installed and no network.
///
///     let cluster = try KafkaMockCluster()
///     try cluster.createTopic("ztf_20240101_programid1", partitions: 2)
///     try cluster.produce(packets, topic: "ztf_20240101_programid1")
///     // alerts consume --bootstrap \(cluster.bootstrapServers) --topic ztf_20240101_programid1 ...
///
/// librdkafka marks the mock cluster as experimental; Debian's 2.0.2 supports what is used here. Each mock
/// partition keeps only its last 5 MB (about 80 ZTF packets with cutouts): spread a long stream over partitions.
public final class KafkaMockCluster: @unchecked Sendable {
  private let owner: KafkaClient
  private let cluster: OpaquePointer
  private let lock = NSLock()
  private var partitionCounts: [String: Int] = [:]
  /// `host:port,...` of the mock brokers.
  public let bootstrapServers: String

  public init(brokers: Int = 1) throws {
    owner = try KafkaClient(consumer: false, properties: [("log_level", "3")], source: "mock Kafka cluster")
    guard let cluster = rd_kafka_mock_cluster_new(owner.handle, Int32(brokers)) else {
      throw AlertStoreError(source: "mock Kafka cluster", reason: "librdkafka could not start the mock brokers")
    }
    self.cluster = cluster
    bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
  }

  deinit { rd_kafka_mock_cluster_destroy(cluster) }

  public func createTopic(_ name: String, partitions: Int = 1) throws {
    lock.lock()
    defer { lock.unlock() }
    let error = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), 1)
    guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
      throw AlertStoreError(source: name, reason: "cannot create the topic: \(KafkaClient.describe(error))")
    }
    partitionCounts[name] = partitions
  }

  /// Produces the messages to `topic`, round-robin over its partitions (librdkafka's sticky partitioner would put
  /// long runs into one partition, past what a mock partition keeps), and waits until every one is acknowledged.
  public func produce(_ messages: [Data], topic: String) throws {
    lock.lock()
    let partitions = partitionCounts[topic]
    lock.unlock()
    let producer = try KafkaClient(
      consumer: false, properties: [("bootstrap.servers", bootstrapServers), ("log_level", "3"), ("linger.ms", "5")],
      source: bootstrapServers)
    guard let handle = rd_kafka_topic_new(producer.handle, topic, nil) else {
      throw AlertStoreError(source: topic, reason: "cannot open the topic for producing")
    }
    defer { rd_kafka_topic_destroy(handle) }
    for (i, message) in messages.enumerated() {
      while true {
        let status = message.withUnsafeBytes { bytes in
          // RD_KAFKA_MSG_F_COPY (2): librdkafka copies the payload; RD_KAFKA_PARTITION_UA (-1): any partition.
          rd_kafka_produce(
            handle, partitions.map { Int32(i % $0) } ?? -1, 2, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count,
            nil, 0, nil)
        }
        if status == 0 { break }
        let error = rd_kafka_last_error()
        guard error == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
          throw AlertStoreError(source: topic, reason: "cannot produce message \(i): \(KafkaClient.describe(error))")
        }
        rd_kafka_poll(producer.handle, 50)
      }
      rd_kafka_poll(producer.handle, 0)
    }
    let flushed = rd_kafka_flush(producer.handle, 30_000)
    guard flushed == RD_KAFKA_RESP_ERR_NO_ERROR else {
      throw AlertStoreError(source: topic, reason: "messages not acknowledged: \(KafkaClient.describe(flushed))")
    }
  }
}
