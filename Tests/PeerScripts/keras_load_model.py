"""Loads a full Keras model file with Keras' own loader (keras.models.load_model) and runs it, so the tests can
check that files written by Model.saveKeras load in Keras and give the same outputs.
Usage: keras_load_model.py MODEL.h5 OUT.npy INPUT.npy [INPUT.npy ...]   (inputs in the model's input order)"""
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

path, out, *inputs = sys.argv[1:]
model = keras.models.load_model(path, compile=False)
arrays = [np.load(p) for p in inputs]
result = model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
np.save(out, np.asarray(result, dtype=np.float32))
print("loaded", model.name, [tuple(i.shape) for i in model.inputs], "->", np.asarray(result).shape)
