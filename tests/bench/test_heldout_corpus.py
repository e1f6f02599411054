"""The held-out corpus stays apart from the corpus the rules were tuned on."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
CORPUS = BENCH / "corpus"
_spec = importlib.util.spec_from_file_location("corpus_bench_heldout", BENCH / "corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = corpus
_spec.loader.exec_module(corpus)


def test_held_out_repositories_are_not_in_the_tuned_manifest() -> None:
    tuned = {entry["name"] for entry in corpus.load_manifest(CORPUS / "manifest.json")}
    held_out = corpus.load_manifest(CORPUS / "heldout-manifest.json")
    names = [entry["name"] for entry in held_out]
    assert len(names) == len(set(names))
    assert not tuned & set(names)
    for entry in held_out:
        assert len(entry["commit"]) == 40 and entry["folders"]


def test_held_out_verdicts_name_held_out_repositories_only() -> None:
    held_out = {entry["name"] for entry in corpus.load_manifest(CORPUS / "heldout-manifest.json")}
    verdicts = corpus.load_verdicts(CORPUS / "heldout-verdicts.csv")
    assert verdicts
    assert {key[0] for key in verdicts} <= held_out
    with (CORPUS / "verdicts.csv").open(newline="", encoding="utf-8") as handle:
        assert not {row["repository"] for row in csv.DictReader(handle)} & held_out
