"""amldebug: catch Azure ML deployment mistakes as you type, debug score.py in a local container."""

__version__ = "0.1.0"
