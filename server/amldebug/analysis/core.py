"""Rules that hold for every file: inputs the analyzers refuse to read."""

from __future__ import annotations

from amldebug.diagnostics import Severity
from amldebug.rules import Rule

# Larger files get one information diagnostic instead of a stall in the editor.
MAX_ANALYZED_CHARS = 2_000_000

FILE_TOO_LARGE = Rule(
    code="AML001",
    name="file-too-large",
    severity=Severity.INFORMATION,
    summary="file too large to analyse",
    why=f"Files over {MAX_ANALYZED_CHARS:,} characters are skipped so the editor never stalls.",
    fix="Split the file, or run `amldebug check` on the parts that matter.",
)
NOT_TEXT = Rule(
    code="AML002",
    name="not-text",
    severity=Severity.INFORMATION,
    summary="file is binary or not UTF-8 text",
    why="Entry scripts, conda files and steps files are read as UTF-8 text; this one is not.",
    fix=(
        "Save the file as UTF-8. A binary file in the place of a conda file or entry script "
        "is a mistake."
    ),
)

RULES = (FILE_TOO_LARGE, NOT_TEXT)
