"""Makes the LiteRT fixtures of AstroInt8Tests: small full-integer models converted by TensorFlow's own converter,
with outputs computed by LiteRT's reference kernels (OpResolverType.BUILTIN_REF, no XNNPACK), so the Swift
interpreter can be checked bit for bit, op by op and on whole models.

Run with the peer venv (../shared/peers/setup.sh):  PYTHON make_litert_fixtures.py [OUT_DIR] [D6_M7_TFLITE]
Writes, per case: CASE.tflite, CASE.input.npy (int8/uint8, a batch of samples), CASE.output.npy (what LiteRT's
reference kernels return for that batch). It prints how far the default resolver (XNNPACK) strays from the
reference kernels on the same batch (LiteRT allows its optimised kernels 1 LSB)."""
import os, sys
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
d6_m7 = sys.argv[2] if len(sys.argv) > 2 else None
layers = tf.keras.layers
rng = np.random.default_rng(20261203)


def convert(model, calibration):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([c[None]] for c in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def run(model_bytes, x, resolver):
    interpreter = Interpreter(model_content=model_bytes, experimental_op_resolver_type=resolver)
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def save(name, model_bytes, x):
    with open(os.path.join(out_dir, name + ".tflite"), "wb") as f:
        f.write(model_bytes)
    reference = run(model_bytes, x, OpResolverType.BUILTIN_REF)
    automatic = run(model_bytes, x, OpResolverType.AUTO)
    np.save(os.path.join(out_dir, name + ".input.npy"), x)
    np.save(os.path.join(out_dir, name + ".output.npy"), reference)
    ops = sorted({d["op_name"] for d in Interpreter(model_content=model_bytes)._get_ops_details()})
    diff = np.abs(reference.astype(int) - automatic.astype(int)).max()
    print(f"{name}: {ops} output {reference.shape}, reference vs default resolver max |diff| {diff}")


def case(name, input_shape, build, samples=6):
    tf.keras.utils.set_random_seed(len(name))
    inputs = tf.keras.Input(input_shape)
    model = tf.keras.Model(inputs, build(inputs))
    calibration = rng.normal(0, 1, (32,) + input_shape).astype(np.float32)
    model_bytes = convert(model, calibration)
    x = rng.integers(-128, 128, (samples,) + input_shape).astype(np.int8)
    save(name, model_bytes, x)


def conv(filters, kernel, **kw):
    return layers.Conv2D(filters, kernel, bias_initializer="random_normal", **kw)


case("conv_same_relu", (7, 7, 3), lambda x: conv(5, 3, padding="same", activation="relu")(x))
case("conv_valid_stride2", (9, 8, 2), lambda x: conv(4, (3, 2), strides=2)(x))
case("conv_same_stride2", (8, 8, 3), lambda x: conv(4, 3, strides=2, padding="same")(x))
case("conv_relu6", (9, 9, 2), lambda x: conv(3, 3, padding="same", activation="relu6")(x))
case("mul_broadcast", (5, 5, 4), lambda x: layers.ReLU()(layers.BatchNormalization(
    beta_initializer="random_normal", gamma_initializer="random_normal",
    moving_mean_initializer="random_normal", moving_variance_initializer="ones")(layers.Concatenate()([x, x]))))
case("dense", (4, 4, 2), lambda x: layers.Dense(3)(layers.Dense(6, activation="relu")(layers.Flatten()(x))))
case("maxpool_valid", (9, 9, 3), lambda x: layers.MaxPooling2D(2)(x))
case("maxpool_same", (9, 9, 3), lambda x: layers.MaxPooling2D(3, strides=2, padding="same")(x))
case("avgpool_valid", (9, 9, 3), lambda x: layers.AveragePooling2D(2)(conv(4, 1)(x)))
case("avgpool_same", (9, 9, 3), lambda x: layers.AveragePooling2D(3, strides=2, padding="same")(conv(4, 1)(x)))
case("mean", (5, 5, 3), lambda x: layers.GlobalAveragePooling2D()(conv(4, 1)(x)))
case("add_relu", (6, 6, 3), lambda x: layers.ReLU()(layers.Add()([conv(4, 1)(x), conv(4, 3, padding="same")(x)])))
case("concatenation", (6, 6, 3), lambda x: conv(2, 1)(layers.Concatenate()([conv(2, 1)(x), conv(3, 3, padding="same")(x)])))
case("pad", (5, 5, 2), lambda x: conv(3, 3)(layers.ZeroPadding2D(((1, 2), (2, 0)))(x)))
case("logistic", (8,), lambda x: layers.Dense(1, activation="sigmoid")(x), samples=32)
case("softmax", (8,), lambda x: layers.Dense(5, activation="softmax")(x), samples=32)


def residual(x):
    y = layers.ReLU()(layers.BatchNormalization()(conv(8, 3, padding="same")(x)))
    y = layers.BatchNormalization()(conv(8, 3, padding="same")(y))
    y = layers.ReLU()(layers.Add()([y, conv(8, 1)(x)]))
    return layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling2D()(layers.MaxPooling2D(2)(y)))


def dense_block(x):
    x = conv(8, 3, strides=2, padding="same")(x)
    for _ in range(2):
        y = conv(4, 3, padding="same")(layers.ReLU()(layers.BatchNormalization()(x)))
        x = layers.Concatenate()([x, y])
    y = layers.AveragePooling2D(2)(conv(6, 1)(x))
    return layers.Dense(2)(layers.GlobalAveragePooling2D()(y))


case("residual_block", (12, 12, 3), residual)
case("dense_block", (12, 12, 3), dense_block)

if d6_m7:
    # TensorFlow's own full-integer conversion of braai's d6_m7 (uint8 input and output), on uint8 triplets.
    model_bytes = open(d6_m7, "rb").read()
    x = rng.integers(0, 256, (12, 63, 63, 3)).astype(np.uint8)
    save("d6_m7_tf_int8", model_bytes, x)
    os.remove(os.path.join(out_dir, "d6_m7_tf_int8.tflite"))  # read from ../shared/reference/tflite instead
