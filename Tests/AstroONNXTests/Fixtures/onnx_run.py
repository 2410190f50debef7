"""Checks an .onnx file with onnx's checker and runs it with onnxruntime (CPU).

usage: onnx_run.py MODEL.onnx OUT_DIR [NAME=INPUT.npy ...]
Writes OUT_DIR/<output name>.npy for each output and prints one JSON line: the checker's verdict, the
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
for arg in sys.argv[3:]:
    name, path = arg.split("=", 1)
    feeds[name] = np.load(path).astype(np.float32)

model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
outputs = [o.name for o in session.get_outputs()]
if feeds:
    results = session.run(outputs, feeds)
    for name, value in zip(outputs, results):
        np.save(os.path.join(out_dir, name + ".npy"), value)
print(json.dumps({
    "checked": True,
    "ir_version": model.ir_version,
    "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0],
    "inputs": [i.name for i in session.get_inputs()],
    "input_shapes": [[d if isinstance(d, int) else str(d) for d in i.shape] for i in session.get_inputs()],
    "outputs": outputs,
    "metadata": sorted(p.key for p in model.metadata_props),
}))
