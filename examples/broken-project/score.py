"""Scores house prices with a scikit-learn model. Broken on purpose: see README.md."""

import json
import os
import pickle

import cv2
import numpy as np
import ptvsd
import sklearn
from azureml.core.model import Model

# Let Visual Studio Code attach to the container while debugging.
ptvsd.enable_attach(address=("0.0.0.0", 5678))

# The label encoder is small, so it is loaded once when the module is imported.
with open("model/encoder.pkl", "rb") as handle:
    encoder = pickle.load(handle)


def init():
    cv2.setNumThreads(1)
    sklearn.set_config(assume_finite=True)
    model_dir = Model.get_model_path("house-price")
    with open(os.path.join(model_dir, "model.pkl"), "rb") as model_file:
        model = pickle.load(model_file)


def run(raw_data):
    try:
        data = np.array(json.loads(raw_data)["data"])
        return model.predict(encoder.transform(data))
    except Exception as e:
        return str(e)
