import Foundation
import ZTFAlerts

extension FuzzTargets {
  /// Alert packets as a stream delivers them, and the pieces inside them.
  static let alertTargets: [FuzzTarget] = [
    FuzzTarget("avro", "an Avro object container file (header, schema, blocks, null and deflate codecs)") { data in
      _ = try AvroContainer(data: data, source: "fuzz.avro")
    },
    FuzzTarget("alert", "a ZTF alert packet decoded into alerts, as `alerts ingest` reads it") { data in
      let alerts = try AlertReader(data: data, source: "fuzz.avro").alerts
      for alert in alerts { _ = alert.candidate.candid }
    },
    FuzzTarget("triplet", "a ZTF alert packet to braai's 63x63x3 triplets, as `braai score` builds them") { data in
      for alert in try AlertReader(data: data, source: "fuzz.avro").alerts {
        _ = try Triplet.make(alert, normalization: .row)
      }
    },
    FuzzTarget("gzip", "a gzip stream, inflated under a 1 MiB limit (the cutout stamps)") { data in
      _ = try Gzip.decompress(data, source: "fuzz.gz", limit: 1 << 20)
    },
    FuzzTarget("fits", "a FITS image (header cards, BITPIX, NAXIS, data)") { data in
      _ = try FITSImage(data: data, source: "fuzz.fits")
    },
  ]
}
