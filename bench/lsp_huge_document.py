"""Language server with a 10 MB document open (issue 9, item 12): what a user notices.

Opens a document of about 10 MB in the real `amldebug lsp` (the minimal JSON-RPC client of
bench/lsp_latency.py), types into it, and reports:

- didOpen -> the AML001 "too large" notice;
- per keystroke, a hover sent right behind the didChange: how long it waits (the didChange is
  handled first, on the same event loop, so this is what every other request pays per edit);
- whether anything was published per edit (nothing should be);
- resident memory: before opening, peak (VmHWM), while open, and after closing.

Two shapes: short lines ("# x", 2.6 M lines: worst for anything per line) and typical code
(a generated score.py repeated, about 80 characters a line).

    python bench/lsp_huge_document.py            # a table
    python bench/lsp_huge_document.py --json     # one JSON object

On 2026-12-02, 2 cores, load ~2, 20 edits (before -> after the cheap edit path of
lsp/large_text_sync.py): short lines, hover behind an edit p50 622 -> 12 ms, peak RSS 302 -> 99 MB,
after close 162 -> 59 MB (59 before opening); typical lines, p50 70 -> 20 ms, peak 124 -> 104 MB,
after close 68 -> 59 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_latency import (
    Client,
    generate_score_py,
    open_document,
    percentile,
    precompile_amldebug,
    rss_megabytes,
    start,
)

TARGET_CHARS = 10_400_000
HEAD = "def init():\n    pass\n\n\ndef run(data):\n    return data\n"


def short_lines() -> str:
    return HEAD + "# x\n" * ((TARGET_CHARS - len(HEAD)) // 4)


def typical_lines() -> str:
    block = generate_score_py(3000)
    return HEAD + block * (TARGET_CHARS // len(block) + 1)


def peak_rss_megabytes(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def hover(client: Client, uri: str, timeout: float = 120) -> None:
    client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}},
        timeout=timeout,
    )


def measure_shape(root: Path, name: str, text: str, edits: int) -> dict[str, Any]:
    path = root / name / "score.py"
    path.parent.mkdir()
    client = start(root)
    try:
        small = open_document(client, root / "warm.py", "x = 1\n")
        client.wait_for_diagnostics(small, 1)
        time.sleep(2.5)  # the command modules load in the background after the first publish
        rss_before = rss_megabytes(client.process.pid)

        sent = time.perf_counter()
        uri = open_document(client, path, text)
        arrived, notice = client.wait_for_diagnostics(uri, 1)
        open_seconds = arrived - sent
        codes = [d.get("code") for d in notice["params"]["diagnostics"]]

        hover_seconds = []
        line = text.count("\n") // 2
        edits_started = time.perf_counter()
        for number in range(edits):
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": number + 2},
                    "contentChanges": [
                        {
                            "range": {
                                "start": {"line": line, "character": 0},
                                "end": {"line": line, "character": 0},
                            },
                            "text": "#",
                        }
                    ],
                },
            )
            asked = time.perf_counter()
            hover(client, uri)
            hover_seconds.append(time.perf_counter() - asked)
        edits_seconds = time.perf_counter() - edits_started
        rss_open = rss_megabytes(client.process.pid)
        peak = peak_rss_megabytes(client.process.pid)

        published_per_edit = 0
        while not client.messages.empty():
            _, message = client.messages.get()
            if message.get("method") == "textDocument/publishDiagnostics":
                published_per_edit += message["params"]["uri"] == uri

        client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        client.wait_for_diagnostics(uri, None)
        time.sleep(1.0)
        rss_closed = rss_megabytes(client.process.pid)
    finally:
        client.close()
    return {
        "chars": len(text),
        "lines": text.count("\n"),
        "open_to_notice_s": open_seconds,
        "notice_codes": codes,
        "edits": edits,
        "hover_behind_edit_p50_ms": statistics.median(hover_seconds) * 1000,
        "hover_behind_edit_max_ms": max(hover_seconds) * 1000,
        "hover_behind_edit_p95_ms": percentile(hover_seconds, 0.95) * 1000,
        "edits_with_hovers_s": edits_seconds,
        "published_per_edit": published_per_edit,
        "rss_before_mb": rss_before,
        "rss_peak_mb": peak,
        "rss_open_mb": rss_open,
        "rss_after_close_mb": rss_closed,
    }


def report(result: dict[str, Any]) -> str:
    lines = []
    for name, r in result["shapes"].items():
        lines += [
            f"{name}: {r['chars'] / 1e6:.1f} M characters, {r['lines']:,} lines",
            f"  didOpen -> notice {r['notice_codes']}: {r['open_to_notice_s'] * 1000:.0f} ms",
            f"  hover right behind each of {r['edits']} edits: p50 "
            f"{r['hover_behind_edit_p50_ms']:.1f} ms, p95 {r['hover_behind_edit_p95_ms']:.1f} ms,"
            f" max {r['hover_behind_edit_max_ms']:.1f} ms; published per edit: "
            f"{r['published_per_edit']}",
            f"  RSS: {r['rss_before_mb']:.0f} MB before, peak {r['rss_peak_mb']:.0f} MB, "
            f"{r['rss_open_mb']:.0f} MB while open, {r['rss_after_close_mb']:.0f} MB after close",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=20, help="keystrokes (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args()
    precompile_amldebug()
    shapes = {}
    with tempfile.TemporaryDirectory(prefix="amldebug-bench-") as folder:
        for name, make in (("short lines", short_lines), ("typical lines", typical_lines)):
            shapes[name] = measure_shape(Path(folder), name.replace(" ", "-"), make(), args.edits)
    result = {"shapes": shapes}
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
