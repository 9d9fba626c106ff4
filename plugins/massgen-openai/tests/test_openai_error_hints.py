"""Connection and "not found" messages as a user sees them from the CLI (issue #11 defect 3, #18 item 9).

OpenAI-compatible backends suggest ``curl BASE/models`` and a missing ``/v1``; Azure gets neither
(its paths are its own), and a 404 from a base URL without ``/v1`` blames the URL, not the model.
"""

from __future__ import annotations

import socket
from pathlib import Path

from massgen_core.testing.cli import run_massgen
from massgen_core.testing.fake_provider import FakeProviderServer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_404_from_a_base_url_without_v1_blames_the_url_not_the_model(tmp_path: Path) -> None:
    with FakeProviderServer(models=("gpt-5",)) as fake:  # serves /v1/chat/completions only
        result = run_massgen(
            "--backend", "chatcompletion", "--model", "gpt-5", "--base-url", fake.url, "--no-display", "hi",
            cwd=tmp_path,
        )  # fmt: skip
        requests = len(fake.requests)
    assert result.returncode != 0
    err = result.stderr
    assert f"{fake.url} answered 404 Not Found" in err and "check the base_url" in err
    assert f"the base_url has no /v1 suffix; OpenAI-compatible servers expect {fake.url}/v1" in err
    assert "model 'gpt-5' not found" not in err
    assert "FAILED (endpoint_not_found)" in err
    assert requests == 1  # not retried: the same URL answers 404 again


def test_openai_compatible_connection_failures_suggest_curl_and_v1(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    result = run_massgen(
        "--backend", "chatcompletion", "--model", "m", "--base-url", base, "--no-display", "hi", cwd=tmp_path
    )  # fmt: skip
    assert result.returncode != 0
    assert f"curl {base}/models" in result.stderr and "no /v1 suffix" in result.stderr


def test_azure_connection_failures_get_no_openai_hints(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    result = run_massgen(
        "--backend", "azure_openai", "--model", "my-deployment", "--base-url", endpoint, "--no-display", "hi",
        cwd=tmp_path, env={"AZURE_OPENAI_API_KEY": "azure-key"},
    )  # fmt: skip
    assert result.returncode != 0
    err = result.stderr
    assert f"cannot connect to {endpoint}" in err
    assert "curl" not in err and "/models" not in err and "/v1" not in err
    assert "check the endpoint (AZURE_OPENAI_ENDPOINT or base_url)" in err
