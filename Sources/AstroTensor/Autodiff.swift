/// Whether operations record the graph for differentiation. Off inside `withoutGradients`.
///
/// One process-wide switch: graph building happens on the thread that runs the model.
public enum GradientMode {
  nonisolated(unsafe) public static var isEnabled = true
}

/// Runs `body` without recording operations (inference, optimizer updates).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
  let saved = GradientMode.isEnabled
  GradientMode.isEnabled = false
  defer { GradientMode.isEnabled = saved }
  return try body()
}

/// One recorded operation: its inputs and the function mapping the output's gradient to theirs.
///
/// The backward closure receives the output gradient and which inputs need a gradient, and returns one
/// gradient (or nil) per input. Closures capture what they need (saved buffers), never the output tensor
/// itself, so no reference cycle forms.
public final class GradientNode {
  public let operation: String
  /// The profiler scope (layer name) that was active when the operation ran.
  let scope: String?
  public private(set) var inputs: [Tensor]
  private var backwardFunction: ((Tensor, [Bool]) throws -> [Tensor?])?

  init(operation: String, inputs: [Tensor], backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) {
    self.operation = operation
    self.scope = Profiler.scope
    self.inputs = inputs
    self.backwardFunction = backward
  }

  func runBackward(_ gradient: Tensor) throws -> [Tensor?] {
    guard let backwardFunction else {
      throw TensorError.gradient(message: "the graph through '\(operation)' was already used by backward()")
    }
    let needs = inputs.map(\.needsGradient)
    return try Profiler.measure("backward \(scope ?? operation)") { try backwardFunction(gradient, needs) }
  }

  /// Drops saved buffers once the gradient has passed through (frees activations during backward).
  func release() {
    backwardFunction = nil
    inputs = []
  }

  /// Tears a chain of nodes down iteratively. Releasing a graph that never went through backward() would
  /// otherwise recurse once per operation (tensor -> node -> input tensor -> ...) and overflow the stack for
  /// chains of some ten thousand operations.
  deinit {
    var pending = inputs
    inputs = []
    while var tensor = pending.popLast() {
      // Only tensors that die here: their nodes die with them, so their inputs can be taken over.
      guard isKnownUniquelyReferenced(&tensor), let node = tensor.gradientNode else { continue }
      pending.append(contentsOf: node.inputs)
      node.inputs = []
    }
  }
}

extension Tensor {
  /// Wraps an operation's result, recording `backward` when any input needs a gradient.
  @inline(__always)
  static func result(
    _ output: Tensor, of operation: String, inputs: [Tensor],
    backward: @escaping (_ outputGradient: Tensor, _ needs: [Bool]) throws -> [Tensor?]
  ) -> Tensor {
    if GradientMode.isEnabled && inputs.contains(where: \.needsGradient) {
      output.gradientNode = GradientNode(operation: operation, inputs: inputs, backward: backward)
    }
    return output
  }

  /// Reverse-mode differentiation from this tensor.
  ///
  /// Computes d(self)/d(leaf) for every leaf with `requiresGradient`, seeded with `seed` (default: ones,
  /// which for a scalar loss is dLoss/dLoss = 1), and adds it to the leaf's `gradient`. A tensor used by
  /// several operations receives the sum of their gradients. The graph is released as it is consumed.
  public func backward(seed: Tensor? = nil) throws {
    if let seed, seed.shape != shape {
      throw TensorError.gradient(message: "seed of shape \(seed.shape) for a tensor of shape \(shape)")
    }
    guard needsGradient else {
      throw TensorError.gradient(message: "tensor of shape \(shape) does not depend on any parameter")
    }
    let order = topologicalOrder()
    var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed ?? Tensor(repeating: 1, shape: shape)]
    try withoutGradients {
      for tensor in order.reversed() {
        guard let gradient = gradients.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
        if let node = tensor.gradientNode {
          let inputGradients = try node.runBackward(gradient)
          for (input, inputGradient) in zip(node.inputs, inputGradients) {
            guard let inputGradient, input.needsGradient else { continue }
            let key = ObjectIdentifier(input)
            if let existing = gradients[key] {
              gradients[key] = try existing.adding(inputGradient)
            } else {
              gradients[key] = inputGradient
            }
          }
          // Keep the released (empty) node on the tensor: another graph that still refers to this tensor
          // then fails in runBackward ("already used") instead of silently treating it as a constant.
          node.release()
        } else if tensor.requiresGradient {
          tensor.gradient = try tensor.gradient.map { try $0.adding(gradient) } ?? gradient
        }
      }
    }
  }

  /// Tensors reachable through recorded nodes, inputs before the tensors computed from them.
  /// Iterative depth-first search: DenseNet graphs are too deep for recursion.
  func topologicalOrder() -> [Tensor] {
    var order: [Tensor] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
    var stack: [(tensor: Tensor, nextInput: Int)] = [(self, 0)]
    while let top = stack.last {
      let inputs = top.tensor.gradientNode?.inputs ?? []
      if top.nextInput < inputs.count {
        stack[stack.count - 1].nextInput += 1
        let input = inputs[top.nextInput]
        if input.needsGradient && visited.insert(ObjectIdentifier(input)).inserted {
          stack.append((input, 0))
        }
      } else {
        order.append(top.tensor)
        stack.removeLast()
      }
    }
    return order
  }
}
