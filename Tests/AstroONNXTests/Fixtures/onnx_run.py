"""Checks an .onnx file with onnx's checker and runs it with onnxruntime (CPU).

usage: onnx_run.py MODEL.onnx OUT_DIR [--level basic|all] [NAME=INPUT.npy ...]
--level basic runs the graph as written (QuantizeLinear/DequantizeLinear kept: ONNX's QDQ semantics); the
default, all, lets onnxruntime fuse them into its integer kernels. Writes OUT_DIR/<output name, / as _>.npy for each output and prints one JSON line: the checker's verdict, the
IR version, the opset, the input and output names, and the metadata_props keys.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, out_dir = sys.argv[1], sys.argv[2]
feeds = {}
level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
args = sys.argv[3:]
if args[:1] == ["--level"]:
    level = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC, "all": level}[args[1]]
    args = args[2:]
for arg in args:
    name, path = arg.split("=", 1)
    feeds[name] = np.load(path).astype(np.float32)

model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
options = ort.SessionOptions()
options.graph_optimization_level = level
session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
outputs = [o.name for o in session.get_outputs()]
if feeds:
    results = session.run(outputs, feeds)
    for name, value in zip(outputs, results):
        np.save(os.path.join(out_dir, name.replace("/", "_") + ".npy"), value)
print(json.dumps({
    "checked": True,
    "ir_version": model.ir_version,
    "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
    "inputs": [i.name for i in session.get_inputs()],
    "input_shapes": [[d if isinstance(d, int) else str(d) for d in i.shape] for i in session.get_inputs()],
    "outputs": outputs,
    "metadata": sorted(p.key for p in model.metadata_props),
}))
