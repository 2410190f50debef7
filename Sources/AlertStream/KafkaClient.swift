import AlertStore
import Foundation
import _CRdKafka

/// A librdkafka client handle (consumer or producer) made from librdkafka configuration properties.
///
/// Why librdkafka: it is the Kafka client every other language's client wraps (the Rust `rdkafka` crate BOOM uses,
/// confluent-kafka in Python), and Debian ships it; no Swift Kafka client is among the packages we may use.
final class KafkaClient {
  let handle: OpaquePointer
  let source: String

  /// `properties` are librdkafka's (`bootstrap.servers`, `group.id`, `security.protocol`, ...); a bad name or value
  /// is refused with librdkafka's own explanation.
  init(consumer: Bool, properties: [(String, String)], source: String) throws {
    let configuration = rd_kafka_conf_new()
    var message = [CChar](repeating: 0, count: 512)
    for (name, value) in properties {
      guard rd_kafka_conf_set(configuration, name, value, &message, message.count) == RD_KAFKA_CONF_OK else {
        rd_kafka_conf_destroy(configuration)
        throw AlertStoreError(source: source, reason: "Kafka setting \(name)=\(value): \(Self.text(message))")
      }
    }
    guard let handle = rd_kafka_new(consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, configuration, &message, message.count)
    else {
      rd_kafka_conf_destroy(configuration)
      throw AlertStoreError(source: source, reason: "cannot make a Kafka client: \(Self.text(message))")
    }
    self.handle = handle
    self.source = source
  }

  deinit { rd_kafka_destroy(handle) }

  static func describe(_ error: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(error)) }

  /// The text librdkafka wrote into an error buffer (up to its terminating zero).
  static func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
