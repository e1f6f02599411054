"""Fixtures for the end-to-end language server tests (helpers live in lsp_session.py)."""

from lsp_session import client, client_ignoring_aml002, project

__all__ = ["client", "client_ignoring_aml002", "project"]
