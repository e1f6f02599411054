"""The `amldebug` command line: one module per group of verbs, each a thin engine adapter."""
