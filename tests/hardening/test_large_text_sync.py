"""The cheap didChange path for very large documents gives exactly pygls's text (issue 9, item 12).

pygls's own path splits the document into lines for every edit; `apply_large_edit` must agree with
it on every edit a client can send, in UTF-16 columns, with "\\n" and "\\r\\n" line ends."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec
from pygls.workspace.text_document import TextDocument

from amldebug.lsp.large_text_sync import apply_large_edit

CODEC = PositionCodec(types.PositionEncodingKind.Utf16)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pygls_edit(source: str, change: types.TextDocumentContentChangePartial) -> str:
    document = TextDocument("file:///tmp/x.py", source, position_codec=CODEC)
    document.apply_change(change)
    return document.source


def change(start: tuple[int, int], end: tuple[int, int], text: str):
    return types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=start[0], character=start[1]),
            end=types.Position(line=end[0], character=end[1]),
        ),
        text=text,
    )


line_text = st.text(alphabet="ab é😋\t#", max_size=12)
line_end = st.sampled_from(["\n", "\r\n"])


@st.composite
def documents_and_edits(draw):
    lines = draw(st.lists(line_text, max_size=8))
    ends = [draw(line_end) for _ in lines]
    last = draw(st.sampled_from(["", "tail", "😋"]))
    source = "".join(line + end for line, end in zip(lines, ends, strict=True)) + last
    contents = [*lines, last]

    def position():
        line = draw(st.integers(0, len(contents) + 1))
        if line >= len(contents):
            return (line, draw(st.integers(0, 3)))
        # Any column a client can send: whole characters, up to the line's end.
        text = contents[line]
        cut = draw(st.integers(0, len(text)))
        return (line, utf16_length(text[:cut]))

    start, end = sorted([position(), position()])
    inserted = draw(st.text(alphabet="xé😋\n", max_size=6) | st.sampled_from(["", "\r\n"]))
    return source, change(start, end, inserted)


@settings(max_examples=600, deadline=None)
@given(documents_and_edits())
def test_the_cheap_path_gives_pygls_text(case):
    source, edit = case
    assert apply_large_edit(source, edit, CODEC) == pygls_edit(source, edit)


def test_an_edit_deep_in_a_large_document():
    source = "head\n" + "# x\r\n" * 300_000 + "tail"
    edit = change((200_000, 2), (200_001, 0), "y\n")
    assert apply_large_edit(source, edit, CODEC) == pygls_edit(source, edit)


def test_other_line_breaks_are_left_to_pygls():
    for source in ["a\rb\n", "a\u2028b\n", "a\x0cb\n", "a\x85b"]:
        assert apply_large_edit(source, change((1, 0), (1, 0), "x"), CODEC) is None
    assert apply_large_edit("a\nb\n", change((0, 0), (0, 0), "x\ry"), CODEC) is None


def test_a_column_past_the_line_end_is_the_line_end_as_lsp_says():
    """pygls splits a "\\r\\n" on such a column; VS Code never sends one, LSP says clamp."""
    assert apply_large_edit("ab\r\ncd", change((0, 9), (0, 9), "X"), CODEC) == "abX\r\ncd"
    assert apply_large_edit("ab\ncd", change((1, 9), (1, 9), "X"), CODEC) == "ab\ncdX"
