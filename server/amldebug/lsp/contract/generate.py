"""`python -m amldebug.lsp.contract.generate [--check]`: write the contract's TypeScript
(extension/src/generated/: contract.ts, params.ts, results.ts) and JSON schema
(extension/src/generated/contract.schema.json)
from the dataclasses, and the rows of the command table in docs/lsp-protocol.md. `npm run compile`
runs it first; `--check` exits 1 when a file is stale (the test suite asks the same)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from amldebug.lsp.contract.registry import COMMANDS
from amldebug.lsp.contract.schema import json_schema
from amldebug.lsp.contract.typescript import field_is_optional, typescript_files
from amldebug.lsp.contract.wire import fields_of, wire_name

REPOSITORY = Path(__file__).resolve().parents[4]
GENERATED = Path("extension") / "src" / "generated"
PROTOCOL_DOC = Path("docs") / "lsp-protocol.md"
_ROW = re.compile(r"^\| `amldebug\.\w+` \|")


def generated_files(root: Path = REPOSITORY) -> dict[Path, str]:
    """Each generated file (relative to the repository) and its text."""
    return {
        **{GENERATED / name: text for name, text in typescript_files().items()},
        GENERATED / "contract.schema.json": json.dumps(json_schema(), indent=2) + "\n",
        PROTOCOL_DOC: protocol_doc((root / PROTOCOL_DOC).read_text(encoding="utf-8")),
    }


def command_rows() -> list[str]:
    """The command table's rows: name, trust, params (`*`: required), result (`?`: may be
    absent); the prose around the table is written by hand."""

    def names(cls: type, role: str) -> str:
        cells = []
        for field, tp in fields_of(cls):
            optional = field_is_optional(field, tp, role)
            mark = ("" if optional else "\\*") if role == "params" else ("?" if optional else "")
            cells.append(f"`{wire_name(field)}`{mark}")
        return ", ".join(cells)

    return [
        f"| `{c.name}` | {'yes' if c.requires_trust else 'no'} | {names(c.params, 'params')} | "
        f"{names(c.result, 'result')} |"
        for c in COMMANDS.values()
    ]


def protocol_doc(text: str) -> str:
    """`text` with the command table's rows replaced by the registry's."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if _ROW.match(line)), None)
    if first is None:
        raise ValueError(f"{PROTOCOL_DOC} has no command table (rows start with | `amldebug.)")
    rest = [line for line in lines[first:] if not _ROW.match(line)]
    return "\n".join([*lines[:first], *command_rows(), *rest])


def stale_files(root: Path = REPOSITORY) -> list[Path]:
    stale = []
    for relative, text in generated_files(root).items():
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(relative)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amldebug.lsp.contract.generate")
    parser.add_argument("--check", action="store_true", help="only say whether they are stale")
    parser.add_argument("--root", type=Path, default=REPOSITORY, help="the repository")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.root)
        for relative in stale:
            print(f"{relative} is stale: run python -m amldebug.lsp.contract.generate")
        return 1 if stale else 0
    for relative, text in generated_files(args.root).items():
        path = args.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
