"""`python -m amldebug.lsp.contract.generate [--check]`: write the contract's TypeScript
(extension/src/generated/contract.ts) and JSON schema (extension/src/generated/contract.schema.json)
from the dataclasses. `npm run compile` runs it first; `--check` exits 1 when a file is stale (the
test suite asks the same)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from amldebug.lsp.contract.schema import json_schema
from amldebug.lsp.contract.typescript import typescript

REPOSITORY = Path(__file__).resolve().parents[4]
GENERATED = Path("extension") / "src" / "generated"


def generated_files() -> dict[Path, str]:
    """Each generated file (relative to the repository) and its text."""
    return {
        GENERATED / "contract.ts": typescript(),
        GENERATED / "contract.schema.json": json.dumps(json_schema(), indent=2) + "\n",
    }


def stale_files(root: Path = REPOSITORY) -> list[Path]:
    stale = []
    for relative, text in generated_files().items():
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
    for relative, text in generated_files().items():
        path = args.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
