"""Rules over `Dockerfile.steps` (AML301-AML303), the lines appended to the generated Dockerfile.

The file is split into logical instructions the way the Dockerfile parser does it: parser
directives (`# escape=`), comments, blank lines, line continuations and heredocs (`RUN <<EOF`).
Each logical instruction keeps the position of every piece of its text, so a diagnostic or an
edit lands on the physical line where the words are.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field

from amldebug.analysis.context import AnalysisContext
from amldebug.diagnostics import Diagnostic, Fix, Position, Range, Severity, TextEdit
from amldebug.rules import Rule

INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})

FROM_IN_STEPS = Rule(
    code="AML301",
    name="steps-from",
    severity=Severity.ERROR,
    summary="`FROM` in a steps file",
    why="""
`Dockerfile.steps` is appended to the Dockerfile that builds the scoring image. A `FROM` there
starts a new build stage: everything before it (the conda environment, the inference server, the
model, the code under `/var/azureml-app`) is left behind in an earlier stage, and the image that
is tagged and run is the bare new base image. The container then fails at start because
`azmlinfsrv` and `score.py` are missing.
""",
    fix="""
Remove the `FROM` line. To change the base image, set the environment's image (`environment.image`
in the deployment YAML, or `amldebug up --base-image`) instead.
""",
    example="""
```dockerfile
FROM ubuntu:22.04
RUN apt-get update && apt-get install -y vim
```
```dockerfile
RUN apt-get update && apt-get install -y vim
```
""",
    fixable=True,
)

NOT_AN_INSTRUCTION = Rule(
    code="AML302",
    name="steps-not-an-instruction",
    severity=Severity.ERROR,
    summary="not a Dockerfile instruction",
    why="""
Each line of the steps file becomes a line of the Dockerfile, so it must start with an instruction
(`RUN`, `COPY`, `ENV`, ...). A shell command on its own (`apt-get install -y vim`) stops the image
build with `dockerfile parse error on line N: unknown instruction: APT-GET`, before any layer is
built.
""",
    fix="""
Start the line with an instruction: shell commands go after `RUN`. A line that continues the
previous instruction needs that instruction to end with `\\`.
""",
    example="""
```dockerfile
apt-get update && apt-get install -y vim
```
```dockerfile
RUN apt-get update && apt-get install -y vim
```
""",
)

APT_WITHOUT_YES = Rule(
    code="AML303",
    name="apt-install-without-yes",
    severity=Severity.WARNING,
    summary="`apt-get install` without `-y` (builds are non-interactive and abort)",
    why="""
`apt-get install` asks *"Do you want to continue? [Y/n]"* before installing anything with extra
dependencies. An image build has no terminal to answer, so apt reads end-of-input, prints `Abort.`
and the `RUN` step fails with exit code 1. `DEBIAN_FRONTEND=noninteractive` does not answer this
question; only `-y` (`--yes`, `--assume-yes`) does.
""",
    fix="Add `-y` after `install` (also for `apt install`).",
    example="""
```dockerfile
RUN apt-get update && apt-get install vim
```
```dockerfile
RUN apt-get update && apt-get install -y vim
```
""",
    fixable=True,
)

RULES: tuple[Rule, ...] = (FROM_IN_STEPS, NOT_AN_INSTRUCTION, APT_WITHOUT_YES)

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S+)\s*$")
_KEYWORD = re.compile(r"\s*(\S+)")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_SHELL_TOKEN = re.compile(
    r"""(?P<op>&&|\|\||[;|&\n()])|(?P<word>(?:[^\s;|&()"'\\]|\\.|"(?:\\.|[^"\\])*"|'[^']*')+)""",
    re.S,
)
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_YES_SHORT_OPTIONS = re.compile(r"^-[A-Za-z]*y[A-Za-z]*$")
# apt options that take the next word as their value.
_APT_OPTIONS_WITH_VALUE = frozenset(
    {"-o", "-c", "-t", "--option", "--config-file", "--target-release"}
)
_APT_PROGRAMS = frozenset({"apt-get", "apt"})


@dataclass
class _Instruction:
    """One logical instruction; `text` maps back to the file through `pieces`."""

    keyword: str
    keyword_start: Position
    first_line: int
    last_line: int
    text: str = ""  # the arguments after the keyword, continuations joined as Docker joins them
    pieces: list[tuple[int, int, int]] = field(default_factory=list)  # (offset, line, column)
    physical_lines: list[int] = field(default_factory=list)

    def add(self, line: int, column: int, text: str, separator: str = "") -> None:
        self.text += separator
        self.pieces.append((len(self.text), line, column))
        self.text += text

    def position(self, offset: int) -> Position:
        index = max(bisect.bisect_right([piece[0] for piece in self.pieces], offset) - 1, 0)
        start, line, column = self.pieces[index]
        return Position(line, column + offset - start)


def analyze_steps_file(text: str, context: AnalysisContext) -> list[Diagnostic]:
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    diagnostics: list[Diagnostic] = []
    for instruction in _instructions(lines):
        keyword = instruction.keyword.upper()
        if keyword == "FROM":
            diagnostics.append(_from_diagnostic(instruction, lines))
        elif keyword not in INSTRUCTIONS:
            diagnostics.append(_not_instruction_diagnostic(instruction, lines))
        elif keyword == "RUN":
            diagnostics.extend(_apt_without_yes(instruction))
    return diagnostics


def _instructions(lines: list[str]) -> list[_Instruction]:
    escape = "\\"
    index = 0
    while index < len(lines):  # parser directives: only at the very top
        directive = _DIRECTIVE.match(lines[index])
        if not directive:
            break
        if directive[1].lower() == "escape" and directive[2] in ("\\", "`"):
            escape = directive[2]
        index += 1

    found: list[_Instruction] = []
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        keyword_match = _KEYWORD.match(lines[index])
        assert keyword_match is not None  # the line has a non-blank character
        instruction = _Instruction(
            keyword=keyword_match[1],
            keyword_start=Position(index, keyword_match.start(1)),
            first_line=index,
            last_line=index,
        )
        line, column = index, keyword_match.end(1)
        while True:
            body = lines[line][column:].rstrip()
            continued = body.endswith(escape)
            instruction.add(line, column, body[:-1] if continued else body)
            instruction.physical_lines.append(line)
            instruction.last_line = line
            line, column = line + 1, 0
            # Docker drops comment lines and blank lines inside a continuation.
            while (
                continued
                and line < len(lines)
                and (not lines[line].strip() or lines[line].lstrip().startswith("#"))
            ):
                line += 1
            if not continued or line >= len(lines):
                break
        if instruction.keyword.upper() in _HEREDOC_INSTRUCTIONS:
            line = _read_heredocs(lines, line, instruction)
        found.append(instruction)
        index = line
    return found


def _read_heredocs(lines: list[str], line: int, instruction: _Instruction) -> int:
    """Add each heredoc body to the instruction's text; return the line after the last one."""
    for marker in _HEREDOC.finditer(instruction.text):
        before = instruction.text[: marker.start()]
        if before.count('"') % 2 or before.count("'") % 2:
            continue  # `echo "<<EOF"` quotes the marker: not a heredoc
        strip_tabs, delimiter = marker[1] == "-", marker[3]
        while line < len(lines):
            body = lines[line].lstrip("\t") if strip_tabs else lines[line]
            line += 1
            if body == delimiter:
                break
            instruction.add(line - 1, 0, lines[line - 1], separator="\n")
            instruction.last_line = line - 1
    return line


def _from_diagnostic(instruction: _Instruction, lines: list[str]) -> Diagnostic:
    edits = []
    for line in instruction.physical_lines:
        column = len(lines[line]) - len(lines[line].lstrip())
        edits.append(TextEdit(Range.of(line, column), "# "))
    return Diagnostic(
        FROM_IN_STEPS.code,
        FROM_IN_STEPS.severity,
        "`FROM` in Dockerfile.steps starts a new build stage: the image would lose the "
        "environment, the inference server, the model and the code built before it.",
        Range.whole_line(lines, instruction.first_line),
        fixes=(Fix("Comment out the FROM line", tuple(edits), preferred=True),),
    )


def _not_instruction_diagnostic(instruction: _Instruction, lines: list[str]) -> Diagnostic:
    word = instruction.keyword
    fixes: tuple[Fix, ...] = ()
    if not word.isupper():
        # Most likely a shell command written without RUN; a capitalised word is more likely a
        # misspelt instruction, where RUN would be wrong. Offered, never applied by `--fix`.
        fixes = (
            Fix(
                "Run the line as a shell command (prefix with RUN)",
                (TextEdit(Range(instruction.keyword_start, instruction.keyword_start), "RUN "),),
                kind="refactor",
            ),
        )
    return Diagnostic(
        NOT_AN_INSTRUCTION.code,
        NOT_AN_INSTRUCTION.severity,
        f"`{word}` is not a Dockerfile instruction: the image build stops with "
        f"`unknown instruction: {word.upper()}`. Shell commands need `RUN`.",
        Range.whole_line(lines, instruction.first_line),
        fixes=fixes,
    )


def _apt_without_yes(instruction: _Instruction) -> list[Diagnostic]:
    if "apt" not in instruction.text:
        return []
    if instruction.text.lstrip().startswith("["):
        return _apt_without_yes_exec_form(instruction)
    diagnostics = []
    command: list[re.Match[str]] = []
    previous_program = ""
    previous_operator = ""
    for token in [*_SHELL_TOKEN.finditer(instruction.text), None]:
        if token is not None and token["word"] is not None:
            if token["word"].strip("\\\n\t "):
                command.append(token)
            continue
        program, diagnostic = _check_apt_command(
            command, instruction, previous_program, previous_operator
        )
        if diagnostic is not None:
            diagnostics.append(diagnostic)
        previous_program = program
        previous_operator = token["op"] if token is not None else ""
        command = []
    return diagnostics


def _check_apt_command(
    words: list[re.Match[str]],
    instruction: _Instruction,
    previous_program: str,
    previous_operator: str,
) -> tuple[str, Diagnostic | None]:
    """The command's program name, and a diagnostic when it is `apt(-get) install` without yes."""
    position = 0
    while position < len(words) and (
        _ENV_ASSIGNMENT.match(words[position][0]) or words[position][0] in ("sudo", "env", "-E")
    ):
        position += 1
    if position >= len(words):
        return "", None
    program = words[position][0].strip("'\"").rsplit("/", 1)[-1]
    if program not in _APT_PROGRAMS:
        return program, None
    arguments = [word[0].strip("'\"") for word in words[position + 1 :]]
    verb_index = _apt_verb_index(arguments)
    if verb_index is None or arguments[verb_index] != "install":
        return program, None
    if previous_operator == "|" and previous_program == "yes":
        return program, None
    if any(_answers_yes(argument) for argument in arguments):
        return program, None
    verb = words[position + 1 + verb_index]
    start = instruction.position(words[position].start())
    end = instruction.position(verb.end() - 1)
    end = Position(end.line, end.character + 1)
    if end.line != start.line:
        end = Position(start.line, start.character + len(words[position][0]))
    return program, Diagnostic(
        APT_WITHOUT_YES.code,
        APT_WITHOUT_YES.severity,
        f"`{program} install` without `-y` waits for an answer that an image build cannot "
        "give: the step aborts.",
        Range(start, end),
        fixes=(_add_yes_fix(instruction, verb.end(), " -y", program),),
    )


def _apt_verb_index(arguments: list[str]) -> int | None:
    skip_next = False
    for index, argument in enumerate(arguments):
        if skip_next:
            skip_next = False
        elif argument in _APT_OPTIONS_WITH_VALUE:
            skip_next = True
        elif not argument.startswith("-"):
            return index
    return None


def _answers_yes(argument: str) -> bool:
    if argument in ("--yes", "--assume-yes") or _YES_SHORT_OPTIONS.match(argument):
        return True
    lowered = argument.lower()
    return "assume-yes=" in lowered and lowered.rsplit("=", 1)[-1] in ("1", "true", "yes")


def _apt_without_yes_exec_form(instruction: _Instruction) -> list[Diagnostic]:
    try:
        words = json.loads(instruction.text)
    except ValueError:
        return []
    if not (isinstance(words, list) and words and all(isinstance(w, str) for w in words)):
        return []
    if words[0].rsplit("/", 1)[-1] not in _APT_PROGRAMS:
        return []
    verb_index = _apt_verb_index(words[1:])
    if verb_index is None or words[1 + verb_index] != "install":
        return []
    if any(_answers_yes(word) for word in words[1:]):
        return []
    install = re.search(r'"install"', instruction.text)
    program = re.search(r'"[^"]*"', instruction.text)
    if install is None or program is None:
        return []
    start = instruction.position(program.start())
    return [
        Diagnostic(
            APT_WITHOUT_YES.code,
            APT_WITHOUT_YES.severity,
            f"`{words[0]} install` without `-y` waits for an answer that an image build cannot "
            "give: the step aborts.",
            Range(start, Position(start.line, start.character + program.end() - program.start())),
            fixes=(_add_yes_fix(instruction, install.end(), ', "-y"', words[0]),),
        )
    ]


def _add_yes_fix(instruction: _Instruction, offset: int, text: str, program: str) -> Fix:
    where = instruction.position(offset - 1)
    where = Position(where.line, where.character + 1)
    edit = TextEdit(Range(where, where), text)
    return Fix(f"Add -y to `{program} install`", (edit,), preferred=True)
