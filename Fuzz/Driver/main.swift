// `astro-fuzz`: the fuzz targets, run by libFuzzer in the fuzzing build (`make fuzz`) and replayed over files in a
// normal build (`astro-fuzz TARGET FILE|FOLDER...`, what the regression tests and a crash's reproduction use).
import Foundation
import FuzzTargets

#if canImport(Glibc)
  import Glibc
#endif

/// libFuzzer's entry point when it is linked without its own `main` (the fuzzing build exports it).
typealias FuzzerDriver = @convention(c) (
  UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target libFuzzer's callback runs (a C callback cannot capture it).
nonisolated(unsafe) var selected: FuzzTarget?

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("astro-fuzz: \(message)\n".utf8))
  exit(2)
}

/// Every file under the arguments (folders are read recursively), sorted.
func inputFiles(_ arguments: [String]) -> [String] {
  arguments.flatMap { argument -> [String] in
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else { fail("no such file: \(argument)") }
    guard isFolder.boolValue else { return [argument] }
    let names = (FileManager.default.enumerator(atPath: argument)?.allObjects as? [String]) ?? []
    return names.map { (argument as NSString).appendingPathComponent($0) }.filter {
      var folder: ObjCBool = false
      return FileManager.default.fileExists(atPath: $0, isDirectory: &folder) && !folder.boolValue
    }.sorted()
  }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case nil, "help", "--help", "list":
  print("usage: astro-fuzz TARGET [libFuzzer options] [CORPUS...]   (fuzzing build, `make fuzz`)")
  print("       astro-fuzz TARGET FILE|FOLDER...                    (replays inputs; errors are printed, not fatal)")
  print("       astro-fuzz seeds ROOT PACKET.avro                   (writes the generated seeds under ROOT/TARGET/)")
  print("targets:")
  for target in FuzzTargets.all { print("  \(target.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(target.summary)") }
case "seeds":
  guard arguments.count == 3 else { fail("usage: astro-fuzz seeds ROOT PACKET.avro") }
  do { try FuzzSeeds.write(into: arguments[1], packet: arguments[2]) } catch { fail("\(error)") }
case let name?:
  guard let target = FuzzTargets.named(name) else {
    fail("no target '\(name)' (targets: \(FuzzTargets.all.map(\.name).joined(separator: ", ")))")
  }
  selected = target
  if let symbol = dlsym(nil, "LLVMFuzzerRunDriver") {
    var argv: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + arguments.dropFirst()).map { strdup($0) } + [nil]
    var argc = CInt(argv.count - 1)
    let driver = unsafeBitCast(symbol, to: FuzzerDriver.self)
    let status = argv.withUnsafeMutableBufferPointer { buffer -> CInt in
      var base = buffer.baseAddress
      return driver(&argc, &base) { bytes, count in
        let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
        do { try selected?.run(data) } catch {}  // a clear error is the expected outcome for bad input
        return 0
      }
    }
    exit(status)
  }
  let files = inputFiles(Array(arguments.dropFirst()))
  var errors = 0
  for file in files {
    guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
    do {
      try target.run(data)
      print("\(file): ok")
    } catch {
      errors += 1
      print("\(file): error: \(error)")
    }
  }
  print("\(target.name): \(files.count) inputs, \(errors) clean errors, 0 crashes")
}
