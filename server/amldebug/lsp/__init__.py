"""The pygls language server: a thin adapter from LSP to the analysis and debug-loop engine."""
