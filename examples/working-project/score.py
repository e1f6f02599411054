"""Scores a small linear model: the shape of a real Azure ML entry script, with no heavy packages.

init() runs once per worker and keeps the model in a global; run() is called per request with the
request body and returns something JSON-serialisable.
"""

import json
import logging
import os

model = None


def init():
    global model
    # Azure ML keeps the registered folder's own name (model.path: model) in AZUREML_MODEL_DIR.
    model_dir = os.getenv("AZUREML_MODEL_DIR", os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(model_dir, "model", "model.json"), encoding="utf-8") as handle:
        model = json.load(handle)
    logging.info("Loaded model %s with %d weights", model["name"], len(model["weights"]))


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    predictions = [
        sum(weight * value for weight, value in zip(model["weights"], row)) + model["bias"]
        for row in rows
    ]
    return {"predictions": predictions}
