"""API keys never leave the process in anything MassGen prints or writes, whatever a provider's
error echoes: stderr, stdout, the run log, the structlog file, the session."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from massgen_core.config.secrets import remember_config
from massgen_core.records.redaction import MASK, Redactor, is_secret_key
from massgen_core.testing.cli import run_massgen

ENV_KEY = "sk-env-4f9a1c77e2b04d1e9"
CONFIG_KEY = "sk-config-83b1d2e4aa6f"
VAR_KEY = "sk-var-c0ffee5e11d9a2"
URL_PASSWORD = "pw-in-url-71c3b9"
QUERY_KEY = "qs-key-5d2e8f1a"
SECRETS = (ENV_KEY, CONFIG_KEY, VAR_KEY, URL_PASSWORD, QUERY_KEY)


def leaks(root: Path, *outputs: str) -> list[str]:
    """Every file under ``root`` (and output) that holds a secret, with the secret."""
    found = [f"output: {s}" for text in outputs for s in SECRETS if s in text]
    for path in root.rglob("*"):
        if path.is_file() and path.name != "team.yaml":
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {s}" for s in SECRETS if s.encode() in data]
    return found


def written(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file()}


def test_a_key_echoed_in_an_error_is_masked_everywhere_a_run_writes(tmp_path: Path) -> None:
    """The core-only version: the scripted backend fails with the provider's message, which
    holds the keys the config gave it (literally, from the environment, through ``${VAR}``)."""
    (tmp_path / "team.yaml").write_text(
        "agents:\n"
        "  - id: echoing\n"
        "    backend:\n"
        "      type: scripted\n"
        "      api_key: ${LLM_PROVIDER_X}\n"
        "      replies:\n"
        "        - error:\n"
        "            kind: authentication\n"
        f'            message: "Incorrect API key provided: ${{LLM_PROVIDER_X}}, ${{OPENAI_API_KEY}}, {CONFIG_KEY};'
        f' see https://user:{URL_PASSWORD}@example.com/v1?api_key={QUERY_KEY}"\n'
        "  - id: literal\n"
        f"    backend: {{type: scripted, api_key: {CONFIG_KEY}, then: coordinate, answer: Paris.}}\n"
    )
    env = {"OPENAI_API_KEY": ENV_KEY, "LLM_PROVIDER_X": VAR_KEY}
    debug = run_massgen(
        "--config", "team.yaml", "--no-display", "--debug", "Capital of France?", env=env, cwd=tmp_path
    )
    assert debug.returncode == 0, debug.stderr
    assert (
        "[echoing] FAILED (authentication)" in debug.stderr
        and f"Incorrect API key provided: {MASK}" in debug.stderr
    )
    assert {"events.jsonl", "massgen.log.jsonl", "result.json", "final_answer.md", "turn.json"} <= written(
        tmp_path
    )
    failed = (
        (tmp_path / "team.yaml")
        .read_text()
        .replace("then: coordinate, answer: Paris.", "replies: [{error: authentication}]")
    )
    (tmp_path / "team.yaml").write_text(failed)
    alone = run_massgen("--config", "team.yaml", "--no-display", "Capital of France?", env=env, cwd=tmp_path)
    assert alone.returncode == 1 and "every agent failed" in alone.stderr
    assert leaks(tmp_path, debug.stdout, debug.stderr, alone.stdout, alone.stderr) == []
    result = json.loads(next(tmp_path.rglob("result.json")).read_text())
    assert MASK in json.dumps(result)  # the failure is kept, its key masked


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_provider_echoing_the_key_in_its_401_body_leaks_it_nowhere(tmp_path: Path) -> None:
    """Through the real OpenAI SDK over HTTP: the fake provider answers 401 with the bearer key it
    was sent in the body; a base_url with credentials and a key in the query is unreachable."""
    pytest.importorskip("massgen_openai")
    from massgen_core.testing.fake_provider import FakeProviderServer, HttpError, RecordedRequest

    def reject(request: RecordedRequest) -> HttpError:
        sent = request.headers.get("authorization") or request.headers.get("Authorization") or ""
        key = sent.removeprefix("Bearer ")
        return HttpError(401, message=f"Incorrect API key provided: {key}. You can find your API key at ...")

    with FakeProviderServer(responder=reject) as server:
        url = server.openai_base_url
        down = f"http://user:{URL_PASSWORD}@127.0.0.1:{_closed_port()}/v1?key={QUERY_KEY}"
        (tmp_path / "team.yaml").write_text(
            "agents:\n"
            f"  - id: from_env\n    backend: {{type: openai, model: gpt-5, base_url: '{url}'}}\n"
            f"  - id: from_config\n    backend: {{type: chatcompletion, model: gpt-4o, base_url: '{url}', api_key: {CONFIG_KEY}}}\n"
            f"  - id: from_var\n    backend: {{type: chatcompletion, model: gpt-4o, base_url: '{url}', api_key: '${{LLM_PROVIDER_X}}'}}\n"
            f"  - id: in_url\n    backend: {{type: chatcompletion, model: gpt-4o, base_url: '{down}'}}\n"
            "  - id: healthy\n    backend: {type: scripted, then: coordinate, answer: Paris.}\n"
        )
        env = {"OPENAI_API_KEY": ENV_KEY, "LLM_PROVIDER_X": VAR_KEY}
        run = run_massgen(
            "--config", "team.yaml", "--no-display", "--debug", "Capital of France?", env=env, cwd=tmp_path
        )
        sent = {r.headers.get("authorization") for r in server.requests}
    assert run.returncode == 0, run.stderr
    assert {f"Bearer {k}" for k in (ENV_KEY, CONFIG_KEY, VAR_KEY)} <= sent  # the keys really went out
    assert run.stderr.count(f"Incorrect API key provided: {MASK}") >= 3
    assert f"user:{MASK}@127.0.0.1" in run.stderr and f"?key={MASK}" in run.stderr
    assert leaks(tmp_path, run.stdout, run.stderr) == []


def test_the_redactor_masks_secrets_in_their_forms() -> None:
    redactor = Redactor()
    redactor.add('sk-"quoted"-secret')
    redactor.add("Bearer tok-abcdef123456")
    redactor.add("short")  # a placeholder, not a secret: left alone
    text = redactor.redact(
        'a sk-"quoted"-secret b {"k": "sk-\\"quoted\\"-secret"} c tok-abcdef123456 short '
        "https://u:pass1234@h/x?sig=abc123&page=2&access_token=zz9"
    )
    assert text == (
        f'a {MASK} b {{"k": "{MASK}"}} c {MASK} short https://u:{MASK}@h/x?sig={MASK}&page=2&access_token={MASK}'
    )
    assert redactor.redact_data({"a": ["tok-abcdef123456", 1]}) == {"a": [MASK, 1]}


def test_credential_keys_are_told_apart_from_lookalikes() -> None:
    for key in ("api_key", "GITHUB_TOKEN", "Authorization", "x-api-key", "client_secret", "password", "key"):
        assert is_secret_key(key), key
    for key in ("max_tokens", "session_storage", "tokenizer", "model", "base_url", "api_key_env"):
        assert not is_secret_key(key), key


def test_secrets_of_a_config_built_in_python_are_known(tmp_path: Path) -> None:
    from massgen_core.config import load_config
    from massgen_core.records import redaction

    config = load_config(
        {
            "agent": {
                "backend": {
                    "type": "scripted",
                    "api_key": "sk-python-api-0042",
                    "mcp_servers": [
                        {"name": "gh", "command": "python3", "env": {"GH_TOKEN": "ghp-python-0043"}}
                    ],
                }
            }
        }
    )
    redaction.REDACTOR = Redactor()  # forget what earlier tests taught it
    try:
        remember_config(config=config)
        assert redaction.redact("sk-python-api-0042 ghp-python-0043") == f"{MASK} {MASK}"
    finally:
        redaction.REDACTOR = Redactor()


def test_environment_values_are_secrets_when_their_name_and_shape_say_so() -> None:
    from massgen_core.records import redaction

    redaction.REDACTOR = Redactor()
    try:
        redaction.remember_environment(
            {
                "MY_PROVIDER": "chosen-by-name-1",  # named by a backend: always a secret
                "GITHUB_TOKEN": "ghp_0123456789",
                "AWS_SECRET_ACCESS_KEY": "abcdefghijklmnopqrstuvwxyz",
                "DATABASE_DSN": "localhost",  # a plain word: masking it would mangle messages
                "PASSWORD_STORE_DIR": "/root/.password-store",
                "HOME": "/root",
                "PROXY": "http://proxyuser:proxy-pass-77@proxy:3128",
            },
            names=["MY_PROVIDER"],
        )
        text = redaction.redact(
            "chosen-by-name-1 ghp_0123456789 abcdefghijklmnopqrstuvwxyz localhost /root/.password-store "
            "proxy-pass-77"
        )
        assert text == f"{MASK} {MASK} {MASK} localhost /root/.password-store {MASK}"
    finally:
        redaction.REDACTOR = Redactor()


def test_the_cli_masks_what_it_prints_even_on_a_crash(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from massgen_core.records.redaction import redacted_output, remember_secret\n"
        "remember_secret('sk-crash-9a8b7c6d')\n"
        "with redacted_output():\n"
        "    print('stdout sk-crash-9a8b7c6d')\n"
        "    print('stderr sk-crash-9a8b7c6d', file=sys.stderr)\n"
        "    raise RuntimeError('boom sk-crash-9a8b7c6d')\n"
    )
    import sys

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "sk-crash" not in proc.stdout + proc.stderr
