"""Setting the embedded backend up: installing it without a compiler, its threads, and the config
checks for what it cannot use (a ``model:`` that is no GGUF file, ``api_key``/``base_url``)."""

from __future__ import annotations

import ast
import os
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from massgen_local.embedded.gguf import GGUFError, read_gguf_info
from massgen_local.embedded.threads import default_threads

ROOT = Path(__file__).resolve().parents[3]


def massgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "massgen_core", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- installing: no compiler, no build on the first run (#16)


def test_the_embedded_extra_installs_from_prebuilt_wheels() -> None:
    """Every package the ``embedded`` extra brings has a wheel for Linux x86-64 in the lock, so the
    README's first run installs in seconds instead of compiling llama.cpp for 10-25 minutes."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    extra = packages["massgen-local"]["optional-dependencies"]["embedded"]
    seen: set[str] = set()
    todo = [d["name"] for d in extra]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        package = packages[name]
        wheels = [w["url"].rsplit("/", 1)[-1] for w in package.get("wheels", [])]
        assert any(
            w.endswith("-none-any.whl") or ("x86_64" in w and "linux" in w and "musl" not in w)
            for w in wheels
        ), f"{name} {package['version']} has no Linux x86-64 wheel: the first install would build it"
        todo += [d["name"] for d in package.get("dependencies", [])]
    assert "xllamacpp" in seen


def test_nox_builds_the_portable_server_wheel_without_pip_cache() -> None:
    """``-DGGML_NATIVE=OFF`` only holds if pip cannot hand back a native build it cached before."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "install_embedded")
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
    builds = [c for c in calls if any(isinstance(a, ast.Constant) and a.value == "wheel" for a in c.args)]
    assert builds, "install_embedded no longer builds a wheel: drop this test"
    for build in builds:
        words = [a.value for a in build.args if isinstance(a, ast.Constant)]
        assert "--no-cache-dir" in words


# -- threads: sized to the machine and the team (#17)


@pytest.mark.parametrize(
    ("cores", "models", "expected"),
    [(1, 1, 1), (2, 1, 1), (2, 3, 1), (4, 1, 3), (8, 1, 4), (8, 2, 3), (8, 3, 2), (64, 1, 4), (64, 40, 1)],
)
def test_threads_leave_a_core_free_and_share_the_rest_among_models(
    cores: int, models: int, expected: int
) -> None:
    assert default_threads(models, cores=cores) == expected


def test_threads_follow_the_process_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container or ``taskset`` limits the cores: os.cpu_count() would oversubscribe them."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert default_threads() == 1


# -- the GGUF header


def write_gguf(path: Path, entries: list[tuple[str, int, bytes]], *, magic: bytes = b"GGUF") -> Path:
    body = magic + struct.pack("<IQQ", 3, 0, len(entries))
    for key, kind, value in entries:
        body += gguf_string(key) + struct.pack("<I", kind) + value
    path.write_bytes(body + b"\0" * 32)
    return path


def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def test_reads_the_chat_template_and_special_tokens(tmp_path: Path) -> None:
    tokens = struct.pack("<IQ", 8, 3) + gguf_string("<s>") + gguf_string("</s>") + gguf_string("hi")
    path = write_gguf(
        tmp_path / "m.gguf",
        [
            ("general.architecture", 8, gguf_string("llama")),
            ("general.tags", 9, struct.pack("<IQ", 8, 1) + gguf_string("x")),  # skipped
            ("llama.rope.dims", 9, struct.pack("<IQ", 5, 2) + struct.pack("<ii", 1, 2)),  # skipped
            ("llama.context_length", 4, struct.pack("<I", 2048)),
            ("tokenizer.ggml.tokens", 9, tokens),
            ("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 0)),
            ("tokenizer.ggml.eos_token_id", 4, struct.pack("<I", 1)),
            ("tokenizer.chat_template", 8, gguf_string("{{ bos_token }}{{ messages[0]['content'] }}")),
        ],
    )
    info = read_gguf_info(path)
    assert info.chat_template == "{{ bos_token }}{{ messages[0]['content'] }}"
    assert (info.bos_token, info.eos_token, info.context_length) == ("<s>", "</s>", 2048)
    assert not info.adds_bos  # not said: llama.cpp's tokenizer is not assumed to add it


def test_reads_whether_llama_cpp_adds_the_bos_token(tmp_path: Path) -> None:
    entry = ("tokenizer.ggml.add_bos_token", 7, struct.pack("<?", True))
    assert read_gguf_info(write_gguf(tmp_path / "m.gguf", [entry])).adds_bos


def test_a_file_that_is_not_gguf_is_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_gguf_info(write_gguf(tmp_path / "m.gguf", [], magic=b"PK\3\4"))
    truncated = tmp_path / "t.gguf"
    truncated.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 100) + b"abc")
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf_info(truncated)


# -- config checks (#17)


def config(tmp_path: Path, backend: str) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(f"agents:\n  - id: a\n    backend:\n      type: llamacpp\n{backend}")
    return path


MISSING = [
    ("      model: models/missing.gguf\n", "no GGUF file at"),
    ("      model: /nowhere/missing.gguf\n", "no GGUF file at '/nowhere/missing.gguf'"),
    ("      cwd: sub\n      model: missing.gguf\n", "sub/missing.gguf"),
]
NOT_GGUF = [
    ("      model: models\n", "is a directory, not a GGUF model file"),
    ("      model: notes.txt\n", "not a GGUF file"),
]


@pytest.mark.parametrize(("lines", "message"), MISSING)
def test_a_model_file_not_on_this_machine_is_a_warning_and_an_error_with_strict(
    tmp_path: Path, lines: str, message: str
) -> None:
    (tmp_path / "sub").mkdir()
    path = config(tmp_path, lines)
    line = 5 + lines.count("\n") - 1
    where = f"{path}:{line}:14: agents[0].backend.model: llamacpp: "
    warned = massgen("validate", str(path), cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert f"warning: {where}" in warned.stdout + warned.stderr and message in warned.stdout + warned.stderr
    for strict in (("validate", "--strict", str(path)), ("--config", str(path), "hi")):
        refused = massgen(*strict, cwd=tmp_path)
        assert refused.returncode == 2 and where in refused.stderr and message in refused.stderr
        assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(("lines", "message"), NOT_GGUF)
def test_validate_refuses_a_model_path_that_is_no_gguf_file(tmp_path: Path, lines: str, message: str) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "notes.txt").write_text("not a model")
    path = config(tmp_path, lines)
    done = massgen("validate", str(path), cwd=tmp_path)
    assert done.returncode != 0
    line = 5 + lines.count("\n") - 1
    assert f"{path}:{line}:14: agents[0].backend.model: llamacpp: " in done.stderr, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_accepts_a_real_gguf_relative_to_cwd(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write_gguf(tmp_path / "sub" / "m.gguf", [])
    done = massgen("validate", str(config(tmp_path, "      cwd: sub\n      model: m.gguf\n")), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def test_no_server_keys_listed_or_accepted(tmp_path: Path) -> None:
    listing = massgen("backends", "llamacpp", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    options = listing.stdout.split("options:", 1)[1]
    assert "n_threads" in options
    assert "api_key" not in options and "base_url" not in options
    path = config(tmp_path, "      base_url: http://localhost:8080/v1\n")
    done = massgen("validate", str(path), cwd=tmp_path)
    assert done.returncode != 0
    assert f"{path}:5:17: agents[0].backend.base_url: llamacpp runs the model inside MassGen" in done.stderr
