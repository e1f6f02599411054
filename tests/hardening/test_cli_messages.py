"""The environment's failures are sentences in the CLI, not tracebacks (issue 9, item 10)."""

from __future__ import annotations

import errno
from pathlib import Path

import docker.errors
import pytest

from amldebug.cli import main as cli_main
from amldebug.cli.main import main


def failing(error: BaseException):
    def command(args) -> int:
        raise error

    return command


@pytest.mark.parametrize(
    "error,expected",
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/p/sub"),
            "amldebug: cannot access /p/sub: Permission denied",
        ),
        (
            docker.errors.APIError("400", explanation="invalid reference format"),
            "amldebug: Docker refused: invalid reference format",
        ),
        (RecursionError(), "amldebug: an input is nested too deeply to process."),
    ],
)
def test_environment_failures_are_sentences(monkeypatch, capsys, error, expected):
    parser = cli_main.build_parser()
    real_parse = parser.parse_args

    def parse(argv):
        args = real_parse(argv)
        args.func = failing(error)
        return args

    monkeypatch.setattr(parser, "parse_args", parse)
    monkeypatch.setattr(cli_main, "build_parser", lambda: parser)
    assert main(["ps"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == expected
    assert "Traceback" not in err


def test_a_bug_keeps_its_traceback(monkeypatch):
    parser = cli_main.build_parser()
    real_parse = parser.parse_args

    def parse(argv):
        args = real_parse(argv)
        args.func = failing(KeyError("bug"))
        return args

    monkeypatch.setattr(parser, "parse_args", parse)
    monkeypatch.setattr(cli_main, "build_parser", lambda: parser)
    with pytest.raises(KeyError):
        main(["ps"])


@pytest.mark.docker
def test_an_invalid_image_reference_is_a_message(capsys, tmp_path: Path):
    try:
        docker.from_env(timeout=5).ping()
    except Exception:
        pytest.skip("no Docker engine")
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(d):\n    return d\n")
    argv = ["run", str(tmp_path), "--image", "UPPER:x:y", "--no-mount", "--name", "hard-ref"]
    assert main([*argv, "--runtime", "docker"]) == 1
    err = capsys.readouterr().err
    assert "invalid reference format" in err and "Traceback" not in err


@pytest.mark.docker
def test_an_invalid_tag_is_a_message(capsys, tmp_path: Path):
    from tests.support.docker_engine import BASE_IMAGE, engine_or_skip

    engine_or_skip().close()
    (tmp_path / "score.py").write_text("def init():\n    pass\n\n\ndef run(d):\n    return d\n")
    (tmp_path / "conda.yml").write_text("dependencies:\n  - python=3.11\n")
    assert main(["build", str(tmp_path), "--tag", "Bad Tag:x:y", "--base-image", BASE_IMAGE]) == 1
    err = capsys.readouterr().err
    assert "invalid tag 'Bad Tag:x:y'" in err and "Traceback" not in err


@pytest.mark.parametrize("verb", ["run", "up"])
def test_an_invalid_bind_address_is_named_before_any_work(verb, capsys, tmp_path: Path):
    with pytest.raises(SystemExit) as exited:
        main([verb, str(tmp_path), "--bind", "0.0.0.0 --privileged"])
    assert exited.value.code == 2
    assert "is not an IP address to publish on" in capsys.readouterr().err


def test_bind_addresses_that_are_fine():
    from amldebug.containers.ports import parse_bind_address

    assert parse_bind_address("127.0.0.1") == "127.0.0.1"
    assert parse_bind_address("0.0.0.0") == "0.0.0.0"
    assert parse_bind_address("::1") == "::1"
    assert parse_bind_address("localhost") == "127.0.0.1"
