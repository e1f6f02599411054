"""What `import_table_build` reads: the named list of distributions and the few facts that no
metadata holds (kept apart from the builder so the list is easy to review)."""

from __future__ import annotations

# The named list: what Azure ML deployments and their scoring scripts use most.
NAMED = (
    # Azure ML (v1 SDK, server, v2 SDK)
    "azureml-defaults",
    "azureml-core",
    "azureml-inference-server-http",
    "azureml-contrib-services",
    "azureml-mlflow",
    "azureml-sdk",
    "azureml-dataprep",
    "azureml-dataset-runtime",
    "azureml-telemetry",
    "azureml-pipeline",
    "azureml-pipeline-core",
    "azureml-pipeline-steps",
    "azureml-train-core",
    "azureml-train-automl",
    "azureml-train-automl-client",
    "azureml-train-automl-runtime",
    "azureml-automl-core",
    "azureml-automl-runtime",
    "azureml-explain-model",
    "azureml-interpret",
    "azureml-featurestore",
    "azureml-fsspec",
    "azureml-monitoring",
    "azureml-ai-monitoring",
    "azureml-opendatasets",
    "azureml-responsibleai",
    "azure-ai-ml",
    # Azure SDK
    "azure-identity",
    "azure-keyvault",
    "azure-keyvault-secrets",
    "azure-keyvault-keys",
    "azure-keyvault-certificates",
    "azure-storage-blob",
    "azure-storage-file-datalake",
    "azure-storage-file-share",
    "azure-storage-queue",
    "azure-cosmos",
    "azure-search-documents",
    "azure-ai-textanalytics",
    "azure-ai-formrecognizer",
    "azure-ai-documentintelligence",
    "azure-ai-inference",
    "azure-monitor-opentelemetry",
    "azure-eventhub",
    "azure-servicebus",
    "opencensus-ext-azure",
    "applicationinsights",
    "openai",
    # Scoring-script stack
    "inference-schema",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "joblib",
    "xgboost",
    "lightgbm",
    "catboost",
    "onnx",
    "onnxruntime",
    "skl2onnx",
    "transformers",
    "tokenizers",
    "sentence-transformers",
    "accelerate",
    "datasets",
    "mlflow",
    "mlflow-skinny",
    "opencv-python-headless",
    "opencv-python",
    "pillow",
    "pyyaml",
    "scikit-image",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "shap",
    "interpret-community",
    "fairlearn",
    "imbalanced-learn",
    "pyarrow",
    "h5py",
    "keras",
    "torchvision",
    "tiktoken",
    "langchain",
    "langchain-core",
    "langchain-community",
    "langchain-openai",
    "fastapi",
    "uvicorn",
    "flask",
    "gunicorn",
    "requests",
    "protobuf",
    "python-dotenv",
    "python-dateutil",
    "beautifulsoup4",
    "nltk",
    "dill",
    "cloudpickle",
)

# Releases whose dependencies or contents differ from the newest one in a way that matters:
# azure-keyvault 1.x was the whole SDK, 4.x is a meta-package of -secrets/-keys/-certificates;
# azureml-train-automl before the client/runtime split shipped azureml.train.automl itself.
OLDER_RELEASES = (
    "azure-keyvault==1.1.0",
    "azureml-train-automl==1.0.65",
    "azureml-explain-model==1.0.85",
    "azureml-defaults==1.47.0",
    "azureml-inference-server-http==0.7.7",
)

# Too big to download for a name table: import names only, dependencies unknown (so a closure
# through them is never "known", and AML116 stays uncertain there).
KNOWN_WITHOUT_METADATA: dict[str, list[str]] = {
    "torch": ["torch", "functorch", "torchgen"],
    "tensorflow": ["tensorflow"],
    "tensorflow-cpu": ["tensorflow"],
    "tensorflow-gpu": ["tensorflow"],
    "tensorflow-intel": ["tensorflow"],
    "torchaudio": ["torchaudio"],
}

# Import names a distribution provides at run time rather than as files: the inference server
# puts its own modules in sys.modules as azureml.contrib.services.aml_request/aml_response.
RUNTIME_IMPORTS: dict[str, list[str]] = {
    "azureml-inference-server-http": ["azureml.contrib.services"],
}

# Conda package names that are other builds or names of a PyPI distribution.
CONDA_ALIASES = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "libopencv": "opencv-python",
    "tensorflow-base": "tensorflow",
    "py-lightgbm": "lightgbm",
    "onnxruntime-gpu": "onnxruntime",
    "faiss-cpu": "faiss",
    "faiss-gpu": "faiss",
}

# Which distribution a fix suggests when several provide one import name.
PREFERRED = {
    "cv2": "opencv-python-headless",
    "azureml.contrib.services": "azureml-inference-server-http",
    "azureml.train.automl": "azureml-train-automl-runtime",
}

# Namespace packages that many distributions share. Some wheels ship a plain `__init__.py` there
# (azureml-monitoring's `azureml/__init__.py`), which would make them look like the owner of the
# whole namespace.
NAMESPACES = frozenset(
    {
        "azure",
        "azure.ai",
        "azure.mgmt",
        "azure.monitor",
        "azure.storage",
        "azure.keyvault",
        "azure.cognitiveservices",
        "azure.search",
        "azureml",
        "azureml.contrib",
        "azureml.train",
        "azureml.automl",
        "azureml.pipeline",
        "google",
        "google.cloud",
        "opencensus",
        "opencensus.ext",
        "opentelemetry",
        "opentelemetry.instrumentation",
        "opentelemetry.exporter",
        "jaraco",
        "backports",
        "sphinxcontrib",
        "zope",
        "ruamel",
        "mpl_toolkits",
    }
)
