/// Whether operations record the graph for differentiation, for the calling thread (or task).
///
/// Recording is scoped to the caller: `withoutGradients` on one thread (inference, optimizer updates) never
/// turns recording off for a training step running on another. The value is task-local, so it also follows
/// a Swift concurrency task into its child tasks; outside any task it is bound per thread.
public enum GradientMode {
  @TaskLocal static var recording = true

  /// Whether operations on the calling thread or task record the graph now.
  public static var isEnabled: Bool { recording }
}

/// Runs `body` without recording operations (inference, optimizer updates), on the calling thread only.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
  try GradientMode.$recording.withValue(false, operation: body)
}

/// Runs `body` with recording on, on the calling thread only (inside `withoutGradients`, for a step that must
/// be differentiated, such as a gradient check).
public func withGradients<R>(_ body: () throws -> R) rethrows -> R {
  try GradientMode.$recording.withValue(true, operation: body)
}

/// One recorded operation: its inputs and the function mapping the output's gradient to theirs.
///
/// The backward closure receives the output gradient and which inputs need a gradient, and returns one
/// gradient (or nil) per input. Closures capture what they need (saved buffers), never the output tensor
/// itself, so no reference cycle forms.
public final class GradientNode {
  /// The operation's name, for errors and profiles.
  public let operation: String
  /// The profiler scope (layer name) that was active when the operation ran.
  let scope: String?
  /// The tensors the operation read, in the order its backward returns gradients; emptied once the node is released.
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
    let gradients = try Profiler.measure("backward \(scope ?? operation)") { try backwardFunction(gradient, needs) }
    // Ops written outside the library go through here too: a wrong count or shape is the op's bug, named.
    guard gradients.count == inputs.count else {
      throw TensorError.gradient(message: "'\(operation)' returned \(gradients.count) gradients for \(inputs.count) inputs")
    }
    for (i, (input, g)) in zip(inputs, gradients).enumerated() where needs[i] {
      if let g, g.shape != input.shape {
        throw TensorError.gradient(
          message: "'\(operation)' returned a gradient of shape \(g.shape) for input #\(i) of shape \(input.shape)")
      }
    }
    return gradients
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
  /// Makes `output` the result of a differentiable operation: records `backward` for `inputs` when gradient
  /// recording is on and any input needs a gradient (otherwise `output` is returned as it is).
  ///
  /// This is how every built-in op is written, and how you add your own: compute the forward values into a
  /// new tensor, then pass a closure that maps the output's gradient to one gradient per input (nil where
  /// `needs[i]` is false, or for an input that gets none). Capture what the backward needs (detached copies
  /// of inputs or outputs), never `output` itself. Check a new op with `GradientCheck.run`.
  ///
  /// ```swift
  /// extension Tensor {
  ///   func cubed() -> Tensor {
  ///     let x = detached()
  ///     let y = try! Tensor(shape: shape, values: values.map { $0 * $0 * $0 })
  ///     return Tensor.result(y, of: "cube", inputs: [self]) { g, _ in
  ///       [try Tensor(shape: x.shape, values: zip(g.values, x.values).map { $0 * 3 * $1 * $1 })]
  ///     }
  ///   }
  /// }
  /// ```
  ///
  /// - Parameters:
  ///   - output: the forward result, a new tensor that no graph refers to yet.
  ///   - operation: a name for errors and profiles.
  ///   - inputs: the tensors `output` was computed from, in the order the backward returns gradients.
  ///   - backward: `(outputGradient, needs) -> [inputGradient?]`, one entry per input, each of its input's shape.
  @inline(__always)
  public static func result(
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
  ///
  /// `leafGradientReady` is called with each leaf as soon as its gradient for this pass is complete (no
  /// operation still to run contributes to it), while the rest of the pass continues: data-parallel training
  /// starts reducing those gradients across processes then. The leaf's `gradient` may share storage with
  /// gradients still in flight, so the callback must read it, not write it.
  public func backward(seed: Tensor? = nil, leafGradientReady: ((Tensor) throws -> Void)? = nil) throws {
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
          try leafGradientReady?(tensor)
        }
      }
    }
  }

  /// The leaves that need a gradient (parameters) this tensor's recorded graph reaches, each once, with the
  /// operation that reads it and that operation's scope (the layer that ran it). Lets a model find a
  /// parameter that a layer uses without having declared it.
  public func parameterLeaves() -> [(tensor: Tensor, operation: String, scope: String?)] {
    var found: [(Tensor, String, String?)] = []
    var seen = Set<ObjectIdentifier>()
    for tensor in topologicalOrder() {
      guard let node = tensor.gradientNode else { continue }
      for input in node.inputs where input.requiresGradient && input.gradientNode == nil {
        if seen.insert(ObjectIdentifier(input)).inserted { found.append((input, node.operation, node.scope)) }
      }
    }
    return found
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
