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

  mutating func step(epoch: Int, epochs: Int, step: Int, steps: Int, samplesPerSecond: Double, loss: Double, accuracy: Double, elapsed: Double) {
    guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.2 || step == steps else { return }
    lastDraw = Date()
    let width = 24
    let done = width * step / max(steps, 1)
    let bar = String(repeating: "=", count: done) + (done < width ? ">" : "") + String(repeating: " ", count: max(0, width - done - 1))
    let eta = step > 0 ? elapsed / Double(step) * Double(steps - step) : 0
    let line = String(
      format: "\rEpoch %d/%d [%@] %d/%d  %.0f samples/s  loss %.4f  acc %.4f  ETA %.0fs ", epoch, epochs, bar, step, steps,
      samplesPerSecond, loss, accuracy, eta)
    FileHandle.standardOutput.write(Data(line.utf8))
  }

  func epochEnd(_ r: EpochRecord, epochs: Int) {
    guard style != .silent else { return }
    var line = String(format: "Epoch %d/%d  loss %.4f  acc %.4f", r.epoch, epochs, r.loss, r.accuracy)
    if let vl = r.validationLoss, let va = r.validationAccuracy { line += String(format: "  val_loss %.4f  val_acc %.4f", vl, va) }
    line += String(format: "  lr %.2g  %.1fs  %.0f samples/s", r.learningRate, r.seconds, r.samplesPerSecond)
    FileHandle.standardOutput.write(Data(((isTerminal ? "\r" : "") + line + (isTerminal ? "\u{1B}[K" : "") + "\n").utf8))
  }

  func note(_ text: String) {
    guard style != .silent else { return }
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }
}
