"""A small JSONC scanner and parser (JSON with `//` and `/* */` comments and trailing commas, as
VS Code writes launch.json), keeping every token's and comment's offset so that a merge can edit
the text in place instead of loading and dumping it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JsoncError:
    """Where a JSONC text is broken. `line` and `column` are 1-based, as editors show them."""

    message: str
    line: int
    column: int
    offset: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class JsoncParseError(ValueError):
    def __init__(self, error: JsoncError):
        super().__init__(str(error))
        self.error = error


# --------------------------------------------------------------------------------------------
# Scanner and parser


# Nesting deeper than this is refused: no launch.json needs it, and recursion must stay bounded.
_MAX_DEPTH = 256
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_STRING_BODY = re.compile(r'(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*')


@dataclass
class JsoncToken:
    kind: str  # one of { } [ ] : , string number literal
    start: int
    end: int


@dataclass
class JsoncComment:
    start: int
    end: int


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _error(text: str, offset: int, message: str) -> JsoncParseError:
    line, column = line_and_column(text, offset)
    return JsoncParseError(JsoncError(message, line, column, offset))


def _scan(text: str) -> tuple[list[JsoncToken], list[JsoncComment]]:
    tokens: list[JsoncToken] = []
    comments: list[JsoncComment] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n\ufeff":
            i += 1
        elif c in "{}[]:,":
            tokens.append(JsoncToken(c, i, i + 1))
            i += 1
        elif c == '"':
            body = _STRING_BODY.match(text, i + 1)
            end = body.end() if body else i + 1
            if end >= n or text[end] != '"':
                if end < n and text[end] == "\\":
                    raise _error(text, end, "invalid escape in a string")
                if end < n and text[end] not in "\r\n":
                    raise _error(text, end, "control character in a string")
                raise _error(text, i, "unterminated string")
            tokens.append(JsoncToken("string", i, end + 1))
            i = end + 1
        elif c == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            if end > i and text[end - 1] == "\r":
                end -= 1
            comments.append(JsoncComment(i, end))
            i = end
        elif c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _error(text, i, "unterminated /* comment")
            comments.append(JsoncComment(i, end + 2))
            i = end + 2
        elif c == "-" or c.isdigit():
            number = _NUMBER.match(text, i)
            if not number or number.end() == i:
                raise _error(text, i, "invalid number")
            tokens.append(JsoncToken("number", i, number.end()))
            i = number.end()
        elif c.isalpha():
            word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i:])
            assert word is not None
            if word.group() not in _LITERALS:
                raise _error(
                    text, i, f"unexpected word '{word.group()}' (strings need double quotes)"
                )
            tokens.append(JsoncToken("literal", i, i + len(word.group())))
            i += len(word.group())
        else:
            raise _error(text, i, f"unexpected character {c!r}")
    return tokens, comments


@dataclass
class JsoncNode:
    kind: str  # "object", "array", "scalar"
    start: int
    end: int
    first_token: int
    last_token: int
    value: Any = None
    members: list[JsoncMember] = field(default_factory=list)
    elements: list[JsoncNode] = field(default_factory=list)


@dataclass
class JsoncMember:
    key: str
    key_token: int
    value: JsoncNode


class _Parser:
    def __init__(self, text: str, tokens: list[JsoncToken]):
        self.text = text
        self.tokens = tokens
        self.index = 0

    def fail(self, message: str) -> JsoncParseError:
        if self.index < len(self.tokens):
            return _error(self.text, self.tokens[self.index].start, message)
        return _error(self.text, len(self.text), message + " (the file ends too early)")

    def peek(self) -> JsoncToken | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse_document(self) -> JsoncNode | None:
        if not self.tokens:
            return None
        node = self.parse_value(0)
        if self.peek() is not None:
            raise self.fail("unexpected text after the end of the document")
        return node

    def parse_value(self, depth: int) -> JsoncNode:
        if depth > _MAX_DEPTH:
            raise self.fail("nested too deeply")
        token = self.peek()
        if token is None:
            raise self.fail("expected a value")
        if token.kind == "{":
            return self.parse_object(depth)
        if token.kind == "[":
            return self.parse_array(depth)
        if token.kind in ("string", "number", "literal"):
            index = self.index
            self.index += 1
            raw = self.text[token.start : token.end]
            value = _LITERALS[raw] if token.kind == "literal" else json.loads(raw)
            return JsoncNode("scalar", token.start, token.end, index, index, value)
        raise self.fail(f"expected a value, found '{self.text[token.start : token.end]}'")

    def parse_object(self, depth: int) -> JsoncNode:
        open_index = self.index
        self.index += 1
        node = JsoncNode("object", self.tokens[open_index].start, 0, open_index, 0, {})
        while True:
            token = self.peek()
            if token is None:
                raise self.fail("expected '}' to close the object")
            if token.kind == "}":
                break
            if token.kind != "string":
                raise self.fail("expected a property name in double quotes or '}'")
            key_index = self.index
            key = json.loads(self.text[token.start : token.end])
            self.index += 1
            colon = self.peek()
            if colon is None or colon.kind != ":":
                raise self.fail("expected ':' after the property name")
            self.index += 1
            value = self.parse_value(depth + 1)
            node.members.append(JsoncMember(key, key_index, value))
            node.value[key] = value.value
            separator = self.peek()
            if separator is not None and separator.kind == ",":
                self.index += 1
                continue
            if separator is not None and separator.kind == "}":
                break
            raise self.fail("expected ',' or '}' after a property (a missing comma?)")
        close = self.tokens[self.index]
        node.end, node.last_token = close.end, self.index
        self.index += 1
        return node

    def parse_array(self, depth: int) -> JsoncNode:
        open_index = self.index
        self.index += 1
        node = JsoncNode("array", self.tokens[open_index].start, 0, open_index, 0, [])
        while True:
            token = self.peek()
            if token is None:
                raise self.fail("expected ']' to close the list")
            if token.kind == "]":
                break
            element = self.parse_value(depth + 1)
            node.elements.append(element)
            node.value.append(element.value)
            separator = self.peek()
            if separator is not None and separator.kind == ",":
                self.index += 1
                continue
            if separator is not None and separator.kind == "]":
                break
            raise self.fail("expected ',' or ']' after a list item (a missing comma?)")
        close = self.tokens[self.index]
        node.end, node.last_token = close.end, self.index
        self.index += 1
        return node


def parse_with_tokens(text: str) -> tuple[JsoncNode | None, list[JsoncToken], list[JsoncComment]]:
    tokens, comments = _scan(text)
    return _Parser(text, tokens).parse_document(), tokens, comments


def parse_jsonc(text: str) -> Any:
    """The value of a JSONC text (comments and trailing commas allowed). Raises JsoncParseError."""
    root, _, _ = parse_with_tokens(text)
    if root is None:
        raise _error(text, len(text), "the file holds no JSON value")
    return root.value


def strip_jsonc(text: str) -> str:
    """`text` as plain JSON: comments blanked and trailing commas removed, offsets preserved."""
    tokens, comments = _scan(text)
    chars = list(text)
    for comment in comments:
        for i in range(comment.start, comment.end):
            if chars[i] not in "\r\n":
                chars[i] = " "
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "," and following is not None and following.kind in "]}":
            chars[token.start] = " "
    return "".join(chars)
