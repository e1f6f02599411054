"""The `amldebug` command line: one module per group of verbs, each a thin adapter over the engine."""
