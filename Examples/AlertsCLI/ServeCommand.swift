import AlertStore
import ArgumentParser
import Foundation
import Hummingbird

/// `alerts serve`: the query API over HTTP.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the store over HTTP: Kowalski-like queries (cone_search, find, count), alerts, light curves, cutouts.",
    discussion: """
      Every route but GET /health needs `Authorization: Bearer TOKEN`, a token listed in --token-file (one per \
      line). The store is opened read-only. The API is described in Examples/AlertsCLI/openapi.yaml.

        alerts serve --db postgres://ztf@db/alerts --port 4000 --token-file tokens.txt
        curl -H "Authorization: Bearer $TOKEN" -d '{"query_type": "count", "query": {"filter": {"drb": {"$gt": 0.9}}}}' \\
          http://127.0.0.1:4000/api/queries
      """)

  @OptionGroup var store: StoreOptions

  @Option(name: .long, help: "Port to listen on.")
  var port = 4000

  @Option(name: .long, help: "Address to listen on (0.0.0.0 for every interface).")
  var host = "127.0.0.1"

  @Option(name: .long, help: "File of accepted bearer tokens, one per line.")
  var tokenFile: String

  func validate() throws {
    guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535") }
  }

  func run() async throws {
    let tokens = try TokenSet(file: tokenFile)
    let database = try store.openForReading()
    let app = Application(
      router: AlertServer.router(store: database, tokens: tokens),
      configuration: .init(address: .hostname(host, port: port), serverName: "alerts"))
    printError("alerts: serving \(store.name) on http://\(host):\(port)")
    try await app.runService()
  }
}
