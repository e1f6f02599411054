"""Which distribution provides an imported module, and what a declared distribution brings along.

Pure data and lookups, no import machinery and no network: the entry-script rule AML116 asks
whether a conda file provides every module that `score.py` imports, and the log explainer names
the distribution to add for a `ModuleNotFoundError`. Distribution names are canonical (PEP 503:
lower case, runs of `-_.` as one `-`), as `CondaDependency.name` is.

The dependency table is deliberately generous: a missing edge means a false "not provided" error
in the editor, while an extra edge only hides a rare real one. Only dependencies that every
supported version of a package declares on Linux are listed.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

# Import name (top-level, or a dotted prefix for namespace packages) -> the distributions that
# provide it. The first one is what a quick fix adds to the pip list; the others (other pip
# builds, conda package names) count as providing the module too.
IMPORT_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "cv2": (
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
        "opencv",
        "py-opencv",
    ),
    "PIL": ("pillow",),
    "yaml": ("pyyaml",),
    "ruamel.yaml": ("ruamel-yaml",),
    "bs4": ("beautifulsoup4",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("pyjwt",),
    "jose": ("python-jose",),
    "multipart": ("python-multipart",),
    "magic": ("python-magic",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "fitz": ("pymupdf",),
    "git": ("gitpython",),
    "attr": ("attrs",),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyopenssl",),
    "serial": ("pyserial",),
    "zmq": ("pyzmq",),
    "pywt": ("pywavelets",),
    "Bio": ("biopython",),
    "Levenshtein": ("levenshtein", "python-levenshtein"),
    "umap": ("umap-learn",),
    "imblearn": ("imbalanced-learn",),
    "faiss": ("faiss-cpu", "faiss-gpu", "faiss"),
    "tflite_runtime": ("tflite-runtime",),
    "pkg_resources": ("setuptools",),
    "google.protobuf": ("protobuf",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel"),
    "torch": ("torch", "pytorch", "pytorch-cpu"),
    "xgboost": ("xgboost", "py-xgboost"),
    "lightgbm": ("lightgbm",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "mlflow": ("mlflow", "mlflow-skinny"),
    "inference_schema": ("inference-schema",),
    "azureml_inference_server_http": ("azureml-inference-server-http",),
    "sentence_transformers": ("sentence-transformers",),
    "huggingface_hub": ("huggingface-hub",),
    "typing_extensions": ("typing-extensions",),
    "charset_normalizer": ("charset-normalizer",),
    "opencensus.ext.azure": ("opencensus-ext-azure",),
    # azureml.* is a namespace package split over many distributions.
    "azureml.core": ("azureml-core",),
    "azureml.data": ("azureml-core",),
    "azureml.exceptions": ("azureml-core",),
    "azureml.contrib.services": ("azureml-inference-server-http", "azureml-contrib-services"),
    "azureml.dataprep": ("azureml-dataprep",),
    "azureml.mlflow": ("azureml-mlflow",),
    "azureml.monitoring": ("azureml-monitoring",),
    "azureml.ai.monitoring": ("azureml-ai-monitoring",),
    "azureml.automl.core": ("azureml-automl-core",),
    "azureml.automl.runtime": ("azureml-automl-runtime",),
    "azureml.train.automl": ("azureml-train-automl-runtime", "azureml-train-automl-client"),
    "azureml.interpret": ("azureml-interpret",),
    "azureml.fsspec": ("azureml-fsspec",),
    "azureml.opendatasets": ("azureml-opendatasets",),
    "azure.ai.ml": ("azure-ai-ml",),
    "azure.core": ("azure-core",),
    "azure.identity": ("azure-identity",),
    "azure.storage.blob": ("azure-storage-blob",),
    "azure.storage.queue": ("azure-storage-queue",),
    "azure.storage.filedatalake": ("azure-storage-file-datalake",),
    "azure.storage.fileshare": ("azure-storage-file-share",),
    "azure.keyvault.secrets": ("azure-keyvault-secrets",),
    "azure.monitor.opentelemetry.exporter": ("azure-monitor-opentelemetry-exporter",),
}

# Namespace packages whose unknown sub-packages follow a naming convention:
# `azureml.foo` -> `azureml-foo`, `azure.foo.bar` -> `azure-foo-bar`, `google.cloud.x` -> ...
_NAMESPACE_DEPTH = {"azureml": 2, "azure": 3, "google.cloud": 3}

# Distribution -> the distributions it installs (direct requirements; the lookup is transitive).
DISTRIBUTION_REQUIRES: dict[str, tuple[str, ...]] = {
    "azureml-defaults": (
        "azureml-core",
        "azureml-dataset-runtime",
        "azureml-inference-server-http",
        "applicationinsights",
        "json-logging-py",
        "configparser",
        "flask",
        "werkzeug",
        "gunicorn",
    ),
    "azureml-inference-server-http": (
        "flask",
        "flask-cors",
        "gunicorn",
        "inference-schema",
        "opentelemetry-sdk",
        "opentelemetry-api",
        "opentelemetry-semantic-conventions",
        "azure-monitor-opentelemetry-exporter",
        "pydantic",
        "pydantic-settings",
        "werkzeug",
        "certifi",
        "psutil",
    ),
    "azureml-contrib-services": ("azureml-core",),
    "azureml-core": (
        "requests",
        "urllib3",
        "msrest",
        "msrestazure",
        "azure-core",
        "azure-common",
        "azure-mgmt-core",
        "azure-mgmt-resource",
        "azure-mgmt-storage",
        "azure-mgmt-keyvault",
        "azure-mgmt-authorization",
        "azure-mgmt-containerregistry",
        "azure-mgmt-network",
        "azure-graphrbac",
        "adal",
        "msal",
        "msal-extensions",
        "pyjwt",
        "python-dateutil",
        "pytz",
        "jsonpickle",
        "paramiko",
        "docker",
        "cryptography",
        "pyopenssl",
        "ndg-httpsclient",
        "secretstorage",
        "backports-tempfile",
        "pathspec",
        "contextlib2",
        "jmespath",
        "knack",
        "humanfriendly",
        "argcomplete",
        "packaging",
        "pkginfo",
    ),
    "azureml-dataset-runtime": ("azureml-dataprep", "pyarrow", "numpy"),
    "azureml-dataprep": (
        "azureml-dataprep-native",
        "azureml-dataprep-rslex",
        "cloudpickle",
        "azure-identity",
        "jsonschema",
        "pyyaml",
    ),
    "azureml-mlflow": (
        "mlflow-skinny",
        "azure-storage-blob",
        "azure-identity",
        "jsonpickle",
        "msrest",
        "cryptography",
        "python-dateutil",
        "pytz",
    ),
    "azureml-ai-monitoring": ("azure-identity", "azure-storage-blob", "pandas"),
    "azure-ai-ml": (
        "azure-core",
        "azure-common",
        "azure-mgmt-core",
        "azure-storage-blob",
        "azure-storage-file-share",
        "azure-storage-file-datalake",
        "pyyaml",
        "marshmallow",
        "jsonschema",
        "tqdm",
        "pyjwt",
        "isodate",
        "typing-extensions",
        "colorama",
        "strictyaml",
        "pydash",
    ),
    "azure-storage-blob": ("azure-core", "cryptography", "typing-extensions", "isodate"),
    "azure-monitor-opentelemetry-exporter": (
        "azure-core",
        "azure-identity",
        "msrest",
        "opentelemetry-api",
        "opentelemetry-sdk",
        "psutil",
        "fixedint",
    ),
    "azure-core": ("requests", "six", "typing-extensions"),
    "azure-identity": (
        "azure-core",
        "cryptography",
        "msal",
        "msal-extensions",
        "typing-extensions",
    ),
    "msal": ("requests", "pyjwt", "cryptography"),
    "msal-extensions": ("msal",),
    "msrest": ("requests", "requests-oauthlib", "isodate", "certifi", "azure-core"),
    "msrestazure": ("msrest", "adal"),
    "adal": ("pyjwt", "requests", "python-dateutil", "cryptography"),
    "opentelemetry-sdk": (
        "opentelemetry-api",
        "opentelemetry-semantic-conventions",
        "typing-extensions",
    ),
    "opentelemetry-api": ("deprecated", "importlib-metadata"),
    "deprecated": ("wrapt",),
    "importlib-metadata": ("zipp",),
    "flask": ("werkzeug", "jinja2", "itsdangerous", "click", "blinker"),
    "flask-cors": ("flask",),
    "jinja2": ("markupsafe",),
    "werkzeug": ("markupsafe",),
    "pydantic": ("pydantic-core", "annotated-types", "typing-extensions", "typing-inspection"),
    "pydantic-core": ("typing-extensions",),
    "pydantic-settings": ("pydantic", "python-dotenv", "typing-inspection"),
    "inference-schema": ("python-dateutil", "pytz", "wrapt"),
    "python-dateutil": ("six",),
    "requests": ("charset-normalizer", "idna", "urllib3", "certifi"),
    "requests-oauthlib": ("oauthlib", "requests"),
    "cryptography": ("cffi",),
    "cffi": ("pycparser",),
    "pyopenssl": ("cryptography",),
    "docker": ("requests", "urllib3"),
    "paramiko": ("bcrypt", "cryptography", "pynacl"),
    "boto3": ("botocore", "jmespath", "s3transfer"),
    "botocore": ("jmespath", "python-dateutil", "urllib3"),
    "fastapi": ("starlette", "pydantic", "typing-extensions"),
    "starlette": ("anyio",),
    "uvicorn": ("click", "h11"),
    # The scientific stack.
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scipy": ("numpy",),
    "pandas": ("numpy", "python-dateutil", "pytz", "tzdata"),
    "pyarrow": ("numpy",),
    "h5py": ("numpy",),
    "matplotlib": (
        "numpy",
        "pillow",
        "pyparsing",
        "python-dateutil",
        "packaging",
        "kiwisolver",
        "cycler",
        "fonttools",
        "contourpy",
    ),
    "seaborn": ("numpy", "pandas", "matplotlib"),
    "statsmodels": ("numpy", "scipy", "pandas", "patsy", "packaging"),
    "scikit-image": (
        "numpy",
        "scipy",
        "networkx",
        "pillow",
        "imageio",
        "tifffile",
        "packaging",
        "lazy-loader",
    ),
    "imbalanced-learn": ("numpy", "scipy", "scikit-learn", "joblib", "threadpoolctl"),
    "shap": (
        "numpy",
        "scipy",
        "scikit-learn",
        "pandas",
        "tqdm",
        "packaging",
        "slicer",
        "numba",
        "cloudpickle",
    ),
    "numba": ("llvmlite", "numpy"),
    "nltk": ("click", "joblib", "regex", "tqdm"),
    "gensim": ("numpy", "scipy", "smart-open"),
    "xgboost": ("numpy", "scipy"),
    "lightgbm": ("numpy", "scipy"),
    "catboost": ("numpy", "pandas", "scipy", "graphviz", "matplotlib", "plotly", "six"),
    "opencv-python": ("numpy",),
    "onnx": ("numpy", "protobuf"),
    "onnxruntime": ("numpy", "protobuf", "packaging", "flatbuffers", "coloredlogs", "sympy"),
    "prophet": ("numpy", "pandas", "matplotlib", "cmdstanpy", "holidays", "tqdm"),
    "tensorflow": (
        "numpy",
        "keras",
        "absl-py",
        "astunparse",
        "flatbuffers",
        "gast",
        "google-pasta",
        "grpcio",
        "h5py",
        "libclang",
        "ml-dtypes",
        "opt-einsum",
        "packaging",
        "protobuf",
        "requests",
        "setuptools",
        "six",
        "tensorboard",
        "termcolor",
        "typing-extensions",
        "wrapt",
    ),
    "tensorboard": (
        "numpy",
        "protobuf",
        "grpcio",
        "markdown",
        "werkzeug",
        "absl-py",
        "setuptools",
        "six",
    ),
    "keras": ("absl-py", "numpy", "rich", "namex", "h5py", "optree", "ml-dtypes", "packaging"),
    "torch": ("filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"),
    "torchvision": ("numpy", "torch", "pillow"),
    "torchaudio": ("torch",),
    "transformers": (
        "huggingface-hub",
        "numpy",
        "packaging",
        "pyyaml",
        "regex",
        "requests",
        "tokenizers",
        "safetensors",
        "tqdm",
        "filelock",
    ),
    "tokenizers": ("huggingface-hub",),
    "huggingface-hub": (
        "filelock",
        "fsspec",
        "packaging",
        "pyyaml",
        "requests",
        "tqdm",
        "typing-extensions",
    ),
    "sentence-transformers": (
        "transformers",
        "tqdm",
        "torch",
        "scikit-learn",
        "scipy",
        "huggingface-hub",
        "pillow",
    ),
    "mlflow": (
        "mlflow-skinny",
        "flask",
        "numpy",
        "pandas",
        "scipy",
        "scikit-learn",
        "pyarrow",
        "matplotlib",
        "sqlalchemy",
        "alembic",
        "docker",
        "gunicorn",
        "markdown",
        "graphene",
        "jinja2",
    ),
    "mlflow-skinny": (
        "click",
        "cloudpickle",
        "gitpython",
        "importlib-metadata",
        "opentelemetry-api",
        "opentelemetry-sdk",
        "packaging",
        "protobuf",
        "pyyaml",
        "requests",
        "sqlparse",
        "cachetools",
    ),
    # A conda `python` brings pip and its build tools.
    "python": ("pip", "setuptools", "wheel"),
}

# Other names for the same distribution (other builds on PyPI, conda package names).
SAME_DISTRIBUTION: dict[str, str] = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "tensorflow-cpu": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "tensorflow-intel": "tensorflow",
    "py-xgboost": "xgboost",
    "opencv-python-headless": "opencv-python",
    "opencv-contrib-python": "opencv-python",
    "opencv-contrib-python-headless": "opencv-python",
    "opencv": "opencv-python",
    "py-opencv": "opencv-python",
    "onnxruntime-gpu": "onnxruntime",
    "faiss-cpu": "faiss",
    "faiss-gpu": "faiss",
}

_CANONICAL_RUN = re.compile(r"[-_.]+")


def canonical_distribution(name: str) -> str:
    """PEP 503 form of a distribution name: `Scikit_Learn` -> `scikit-learn`."""
    return _CANONICAL_RUN.sub("-", name).lower()


def is_standard_library(module: str) -> bool:
    """True for modules of the standard library (`os`, `json`, `os.path`, `__future__`)."""
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top == "__future__"


def distributions_for_import(module: str) -> tuple[str, ...]:
    """Every distribution that provides `module` (the first is the usual pip name).

    Empty for the standard library and relative imports. Unknown modules are assumed to be
    provided by the distribution of the same name (`requests` -> `requests`), which holds for
    most packages on PyPI.
    """
    module = module.strip()
    if not module or module.startswith(".") or is_standard_library(module):
        return ()
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        known = IMPORT_DISTRIBUTIONS.get(".".join(parts[:length]))
        if known is not None:
            return known
    for namespace, depth in _NAMESPACE_DEPTH.items():
        prefix = namespace.split(".")
        if parts[: len(prefix)] == prefix and len(parts) > len(prefix):
            return (canonical_distribution("-".join(parts[: min(depth, len(parts))])),)
    return (canonical_distribution(parts[0]),)


def distribution_for_import(module: str) -> str | None:
    """The distribution to install for `import module`, or None for the standard library.

    `sklearn` -> `scikit-learn`, `cv2` -> `opencv-python`, `azureml.core.model` ->
    `azureml-core`, `os` -> None.
    """
    found = distributions_for_import(module)
    return found[0] if found else None


def provided_by(
    declared_names: frozenset[str] | set[str] | tuple[str, ...] | list[str],
) -> set[str]:
    """The distributions installed when `declared_names` are: themselves and what they pull in."""
    return set(_provided_by(frozenset(canonical_distribution(name) for name in declared_names)))


# Keyed by the declared set, which changes only when the conda file's dependencies do.
@lru_cache(maxsize=64)
def _provided_by(declared: frozenset[str]) -> frozenset[str]:
    seen: set[str] = set()
    pending = list(declared)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        same = SAME_DISTRIBUTION.get(name)
        if same is not None:
            pending.append(same)
        pending.extend(DISTRIBUTION_REQUIRES.get(name, ()))
    return frozenset(seen)
