"""The wire format of executeCommand params and results: dataclasses to and from JSON objects.

Field `debug_port` is key `debugPort` on the wire (camelCase), unless the field's metadata names
another key (`field(metadata={"wire": "last_line"})`, for objects shared with the CLI's JSON).
Results leave out fields whose value is None: the TypeScript side reads them as optional, never
null. Answers carry `ok`: `true` for a `Success`, `false` for a `Failure`.

Types a contract may use (the generator in `typescript.py` / `schema.py` knows the same set):
str, int, float, bool, `JsonValue` (any JSON), Literal[...] of strings, `X | None`, unions, list[X],
dict[str, X], and nested dataclasses.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, NewType, TypeVar

# Any JSON value, passed through as it is (`unknown` in TypeScript).
JsonValue = NewType("JsonValue", object)

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Success:
    """A result with `ok: true`; each command's result subclasses it."""

    ok: ClassVar[bool] = True


@dataclasses.dataclass(frozen=True, kw_only=True)
class Failure:
    """`{ok: false, error, hint?}`: what failed and why, and the next step. Any command may
    answer it (a refusal, a cancellation, an error the user can act on); some answer a subclass
    with more fields."""

    ok: ClassVar[bool] = False
    error: str
    hint: str | None = None
    cancelled: bool | None = None  # true when `$/cancelRequest` or the progress's cancel stopped it
    untrusted: bool | None = None  # true when refused because the workspace is not trusted


class ContractError(ValueError):
    """Params that do not fit the command's params type; the message names the key."""


def wire_name(field: dataclasses.Field[Any]) -> str:
    return str(field.metadata.get("wire") or camel_case(field.name))


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """Each field's type, with string annotations resolved."""
    return typing.get_type_hints(cls)


def fields_of(cls: type) -> list[tuple[dataclasses.Field[Any], Any]]:
    hints = field_types(cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(cls)]


def is_required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def optional_parts(tp: Any) -> tuple[Any, ...]:
    """The alternatives of a union (`X | None` gives (X, NoneType)), or (tp,)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


# -- encoding ---------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A result (or anything inside one) as JSON: dataclasses become camelCase objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data: dict[str, Any] = {}
        if isinstance(value, (Success, Failure)):
            data["ok"] = value.ok
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is not None:
                data[wire_name(field)] = encode(item)
        return data
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    return value


# -- decoding ---------------------------------------------------------------------------------


def decode(cls: type[T], data: Mapping[str, Any], path: str = "", *, strict: bool = False) -> T:
    """`data` (a JSON object) as an instance of the dataclass `cls`. A missing required key or a
    value of the wrong type raises `ContractError`; so does, when `strict`, a key `cls` does not
    declare (else it is ignored: clients may send more than a command reads)."""
    values: dict[str, Any] = {}
    if strict:
        declared = {wire_name(f) for f in dataclasses.fields(cls)} | {"ok"}  # type: ignore[arg-type]
        if unknown := sorted(set(data) - declared):
            raise ContractError(f"{cls.__name__} has no {', '.join(unknown)}.")
    for field, tp in fields_of(cls):
        key = wire_name(field)
        where = f"{path}.{key}" if path else key
        raw = data.get(key)
        if raw is None:
            if is_required(field):
                raise ContractError(f"`{where}` is required.")
            continue
        values[field.name] = _decode_value(tp, raw, where)
    return cls(**values)


def _decode_value(tp: Any, value: Any, where: str) -> Any:
    parts = [p for p in optional_parts(tp) if p is not type(None)]
    if len(parts) > 1:
        for part in parts:
            try:
                return _decode_value(part, value, where)
            except ContractError:
                continue
        raise _wrong(where, " or ".join(describe(p) for p in parts), value)
    tp = parts[0]
    origin = typing.get_origin(tp)
    if tp is JsonValue or tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif tp is float:  # an int stays an int (JSON does not tell 0 from 0.0; Python accepts both)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    elif tp is str:
        if isinstance(value, str):
            return value
    elif origin is Literal:
        if value in typing.get_args(tp):
            return value
    elif origin is list:
        if isinstance(value, list):
            (item,) = typing.get_args(tp)
            return [_decode_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    elif origin is dict:
        if isinstance(value, Mapping):
            _, item = typing.get_args(tp)
            return {str(k): _decode_value(item, v, f"{where}.{k}") for k, v in value.items()}
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if isinstance(value, Mapping):
            return decode(tp, value, where)
    else:  # pragma: no cover - a contract type the codec does not know is a programming error
        raise TypeError(f"the contract uses a type the wire format does not know: {tp!r}")
    raise _wrong(where, describe(tp), value)


def _wrong(where: str, expected: str, value: Any) -> ContractError:
    shown = json.dumps(value) if isinstance(value, (str, int, float)) else ""
    shown = shown if len(shown) < 40 else ""
    got = f"{json_kind(value)} {shown}".strip()
    return ContractError(f"`{where}` must be {expected}, not {got}.")


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def describe(tp: Any) -> str:
    """The type in a sentence: "a number", "one of 'docker', 'process'", "an array of strings"."""
    origin = typing.get_origin(tp)
    if tp is bool:
        return "true or false"
    if tp in (int, float):
        return "a number"
    if tp is str:
        return "a string"
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in sorted(typing.get_args(tp)))
    if origin is list:
        (item,) = typing.get_args(tp)
        return f"an array of {re.sub(r'^(a|an) ', '', describe(item))}s"
    if origin is dict:
        return "an object"
    if dataclasses.is_dataclass(tp):
        return "an object"
    return "a JSON value"
