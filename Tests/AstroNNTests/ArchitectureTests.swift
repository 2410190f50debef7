import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Layer tables and parameter counts against Keras' own (`reference/keras/architectures.json`).
final class ArchitectureTests: XCTestCase {
  struct KerasLayer { let className: String; let outputShape: [Int]?; let params: Int }

  func kerasTable(_ key: String) throws -> (total: Int, trainable: Int, layers: [KerasLayer]) {
    let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("reference/keras/architectures.json")))
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let entry = try XCTUnwrap(json[key] as? [String: Any], "no \(key) in architectures.json")
    let layers = try XCTUnwrap(entry["layers"] as? [[String: Any]]).compactMap { row -> KerasLayer? in
      let cls = row["class"] as! String
      if cls == "InputLayer" { return nil }  // our models have no input layer object
      return KerasLayer(className: cls, outputShape: row["output_shape"] as? [Int], params: row["params"] as! Int)
    }
    return (entry["total_params"] as! Int, entry["trainable_params"] as! Int, layers)
  }

  func assertMatchesKeras(_ model: Model, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let keras = try kerasTable(key)
    XCTAssertEqual(model.parameterCount, keras.total, "\(key) total parameters", file: file, line: line)
    XCTAssertEqual(model.trainableParameterCount, keras.trainable, "\(key) trainable parameters", file: file, line: line)
    let rows = model.summaryRows.filter { $0.className != "InputLayer" }
    XCTAssertEqual(rows.count, keras.layers.count, "\(key) layer count", file: file, line: line)
    for (i, (ours, theirs)) in zip(rows, keras.layers).enumerated() {
      XCTAssertEqual(ours.className, theirs.className, "\(key) layer \(i) (\(ours.name)) class", file: file, line: line)
      XCTAssertEqual(ours.outputShape, theirs.outputShape, "\(key) layer \(i) (\(ours.name)) output shape", file: file, line: line)
      XCTAssertEqual(ours.parameters, theirs.params, "\(key) layer \(i) (\(ours.name)) parameters", file: file, line: line)
    }
  }

  func testVGG6() throws {
    try assertMatchesKeras(VGG6.make(inputShape: [63, 63, 3]), "vgg6_63x63x3")
    try assertMatchesKeras(VGG6.make(inputShape: [144, 144, 1]), "vgg6_144x144x1")
    XCTAssertEqual(try VGG6.make().parameterCount, 312_081)
  }

  func testResNet50() throws {
    try assertMatchesKeras(ResNet.resnet50(inputShape: [144, 144, 1]), "resnet50_144x144x1")
    try assertMatchesKeras(ResNet.resnet50(inputShape: [63, 63, 3]), "resnet50_63x63x3")
  }

  func testDenseNet121() throws {
    try assertMatchesKeras(DenseNet.densenet121(inputShape: [144, 144, 1]), "densenet121_144x144x1")
    try assertMatchesKeras(DenseNet.densenet121(inputShape: [63, 63, 3]), "densenet121_63x63x3")
  }

  func testLayerNamesFollowBraaiAndDeepStreaks() throws {
    XCTAssertEqual(
      try VGG6.make().layers.map(\.name),
      ["conv1", "conv2", "max_pooling2d", "dropout", "conv3", "conv4", "max_pooling2d_1", "dropout_1", "flatten",
       "fc_1", "dropout_2", "fc_out"])
    let resnet = try ResNet.resnet50()
    for name in ["conv1", "bn_conv1", "res2a_branch2a", "bn2a_branch2a", "res2a_branch1", "bn2a_branch1", "res5c_branch2c", "fcOUT"] {
      XCTAssertNotNil(resnet.layer(named: name), "ResNet50 has no layer \(name)")
    }
    let densenet = try DenseNet.densenet121()
    for name in ["conv1/conv", "conv1/bn", "pool1", "conv2_block1_0_bn", "conv2_block6_concat", "pool4_conv", "conv5_block16_2_conv", "bn", "fc_out"] {
      XCTAssertNotNil(densenet.layer(named: name), "DenseNet121 has no layer \(name)")
    }
  }

  func testResNet18IsBraaisBottleneckVariant() throws {
    // braai.py's ResNet18: ResNet50's stages with a conv block and one identity block each.
    let model = try ResNet.resnet18(inputShape: [144, 144, 1])
    let convs = model.layers.compactMap { $0 as? Conv2D }
    XCTAssertEqual(convs.count, 1 + 4 * (2 * 3) + 4)  // stem, 8 bottlenecks of 3 convs, 4 projections
    for name in ["res2a_branch1", "res2b_branch2c", "res5b_branch2c", "fcOUT"] {
      XCTAssertNotNil(model.layer(named: name), name)
    }
    XCTAssertNil(model.layer(named: "res2c_branch2a"))
    XCTAssertEqual(model.summaryRows.first { $0.name == "res5b_branch2c" }?.outputShape, [5, 5, 1024])
    // Parameters: ResNet50 less the identity blocks it drops (1 + 2 + 4 + 1 of them).
    let resnet50 = try ResNet.resnet50(inputShape: [144, 144, 1])
    func identityParameters(_ f: [Int], _ inChannels: Int) -> Int {
      let convs = (inChannels * f[0] + f[0]) + (9 * f[0] * f[1] + f[1]) + (f[1] * f[2] + f[2])
      return convs + 4 * (f[0] + f[1] + f[2])
    }
    let dropped = identityParameters([64, 64, 256], 256) + 2 * identityParameters([128, 128, 512], 512)
      + 4 * identityParameters([256, 256, 512], 512) + identityParameters([512, 512, 1024], 1024)
    XCTAssertEqual(model.parameterCount, resnet50.parameterCount - dropped)
  }

  func testShapeErrorsNameTheLayer() throws {
    // VGG6 cannot take a 17x17 input: conv4 leaves 2x2, where the 4x4 pool does not fit.
    XCTAssertThrowsError(try VGG6.make(inputShape: [17, 17, 3])) { error in
      XCTAssertTrue("\(error)".contains("max_pooling2d_1"), "\(error)")
    }
    let model = try VGG6.make()
    XCTAssertThrowsError(try model.predict(Tensor.zeros([2, 32, 32, 3]))) { error in
      XCTAssertTrue("\(error)".contains("[2, 32, 32, 3]"), "\(error)")
    }
  }
}
