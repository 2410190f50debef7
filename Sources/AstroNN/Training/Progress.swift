import Foundation

/// How training reports progress.
public enum ProgressStyle: Sendable {
  /// A live bar on a terminal, plain log lines otherwise.
  case automatic
  /// One log line per epoch.
  case lines
  case silent
}

/// Draws a Keras-like progress bar (epoch, step, samples/s, loss, accuracy, ETA) or prints log lines.
struct ProgressPrinter {
  let style: ProgressStyle
  let isTerminal: Bool
  private var lastDraw = Date.distantPast

  init(style: ProgressStyle) {
    self.style = style
    self.isTerminal = style == .automatic && isatty(STDOUT_FILENO) == 1
  }

  mutating func step(epoch: Int, epochs: Int, step: Int, steps: Int, samplesPerSecond: Double, loss: Double, elapsed: Double) {
    guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.2 || step == steps else { return }
    lastDraw = Date()
    let width = 24
    let done = width * step / max(steps, 1)
    let bar = String(repeating: "=", count: done) + (done < width ? ">" : "") + String(repeating: " ", count: max(0, width - done - 1))
    let eta = step > 0 ? elapsed / Double(step) * Double(steps - step) : 0
    let line = String(
      format: "\rEpoch %d/%d [%@] %d/%d  %.0f samples/s  loss %.4f  ETA %.0fs ", epoch, epochs, bar, step, steps,
      samplesPerSecond, loss, eta)
    write(line)
  }

  func epochEnd(_ r: EpochRecord, epochs: Int) {
    guard style != .silent else { return }
    // loss first, then the other logs in order, validation after training.
    let keys = r.logs.keys.sorted { a, b in
      let (va, vb) = (a.hasPrefix("val_"), b.hasPrefix("val_"))
      if va != vb { return !va }
      let (la, lb) = (a.hasSuffix("loss"), b.hasSuffix("loss"))
      return la != lb ? la : a < b
    }
    var line = String(format: "Epoch %d/%d", r.epoch, epochs)
    for key in keys { line += String(format: "  %@ %.4f", key, r.logs[key]!) }
    line += String(format: "  lr %.2g  %.1fs  %.0f samples/s", r.learningRate, r.seconds, r.samplesPerSecond)
    write((isTerminal ? "\r" : "") + line + (isTerminal ? "\u{1B}[K" : "") + "\n")
  }

  func note(_ text: String) {
    guard style != .silent else { return }
    write(text + "\n")
  }

  /// Writes straight to stdout after flushing what `print` buffered, so lines keep their order when piped.
  private func write(_ text: String) {
    fflush(nil)
    FileHandle.standardOutput.write(Data(text.utf8))
  }
}
