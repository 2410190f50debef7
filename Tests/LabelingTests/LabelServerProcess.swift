import Foundation
#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
import TestSupport
import XCTest

/// Starts `label serve --db db` on a free port; returns the process and its address once it listens.
func startLabelServer(db: String) throws -> (process: Process, address: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: try SharedData.builtProduct("label"))
  process.arguments = ["serve", "--db", db, "--port", "0"]
  let out = Pipe()
  process.standardOutput = out
  process.standardError = FileHandle.nullDevice
  try process.run()
  var text = ""
  let deadline = Date().addingTimeInterval(30)
  while !text.contains("\n"), Date() < deadline {
    let chunk = out.fileHandleForReading.availableData
    if chunk.isEmpty { break }
    text += String(decoding: chunk, as: UTF8.self)
  }
  let address = try XCTUnwrap(text.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines), "no address in '\(text)'")
  XCTAssertTrue(address.hasPrefix("http://127.0.0.1:"), text)
  return (process, address)
}

/// One HTTP request to `url` (a bearer token when given, a JSON or raw body); returns the status and body, or throws
/// the client's error (a server that is gone).
func labelServerRequest(_ method: String, _ url: String, token: String? = nil, json: Any? = nil, body: Data? = nil) throws -> (Int, Data) {
  var request = URLRequest(url: URL(string: url)!, timeoutInterval: 10)
  request.httpMethod = method
  if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
  if let json { request.httpBody = try JSONSerialization.data(withJSONObject: json) }
  if let body { request.httpBody = body }
  let done = DispatchSemaphore(value: 0)
  nonisolated(unsafe) var result: (Int, Data)?
  nonisolated(unsafe) var failure: Error?
  URLSession.shared.dataTask(with: request) { data, response, error in
    if let error { failure = error } else { result = ((response as! HTTPURLResponse).statusCode, data ?? Data()) }
    done.signal()
  }.resume()
  done.wait()
  if let failure { throw failure }
  return result!
}
