"""`explain_log` and the traceback mapper never raise, whatever text a user pastes."""

from __future__ import annotations

from conftest import read_log
from hypothesis import given, settings
from hypothesis import strategies as st

from amldebug.troubleshooting.catalogue import explain_log
from amldebug.troubleshooting.paths import find_tracebacks

FRAGMENTS = [
    "Traceback (most recent call last):\n",
    '  File "/var/azureml-app/score.py", line 3, in init\n',
    '  File "/var/azureml-app/score.py", line x in run\n',
    "    model = load()\n",
    "    ^^^^^^\n",
    "ValueError: bad\n",
    "The above exception was the direct cause of the following exception:\n",
    "Current thread 0x00007f3342c6fb80 (most recent call first):\n",
    "ModuleNotFoundError: No module named 'sklearn'\n",
    "Model Directory Contents:\n",
    "2026-11-22 04:19:27,809 I [6875] azmlinfsrv - 1/\n",
    "Response Code: 503\n",
    "Reason: Worker failed to boot.\n",
    "\x1b[31m",
    "\r\n",
    "",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=40))
def test_any_text_is_explained_without_raising(parts: list[str]):
    text = "".join(parts)
    line_count = max(1, len(text.split("\n")))
    for finding in explain_log(text):
        assert 1 <= finding.line <= line_count
        assert finding.count >= 1
    for traceback in find_tracebacks(text):
        assert 1 <= traceback.start_line <= traceback.end_line


def test_truncated_real_logs_never_raise():
    text = read_log("azmlinfsrv-module-not-found.log")
    for cut in range(0, len(text), 97):
        explain_log(text[:cut])
        explain_log(text[cut:])
