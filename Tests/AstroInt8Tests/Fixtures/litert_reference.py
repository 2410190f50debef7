"""Runs a .tflite file with LiteRT's reference kernels (BUILTIN_REF) on a batch from a .npy file (already in the
model's input type) and saves the raw outputs. Used by AstroInt8Tests to check that LiteRT loads and runs the files
this library writes, with the same results as its interpreter. Usage: litert_reference.py MODEL IN.npy OUT.npy"""
import sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

model, inputs, outputs = sys.argv[1:4]
x = np.load(inputs)
interpreter = Interpreter(model_path=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
index = interpreter.get_input_details()[0]["index"]
interpreter.resize_tensor_input(index, list(x.shape))
interpreter.allocate_tensors()
interpreter.set_tensor(index, x)
interpreter.invoke()
np.save(outputs, interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
