"""`massgen serve` as a user runs it: a real process, its printed address, its refusals."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx2
import openai
from massgen_core.testing.cli import run_massgen, write_distribution
from massgen_core.testing.fake_provider import FakeProviderServer
from serve_support import WINNER_ANSWER, massgen_serve, team, write_team


def test_serve_prints_its_address_answers_and_stops_on_ctrl_c(
    fake: FakeProviderServer, workdir: Path
) -> None:
    write_team(workdir, "trio", team(fake))
    with massgen_serve("--config", "trio.yaml", "--port", "0", cwd=workdir) as served:
        assert served.url.startswith("http://127.0.0.1:")
        reply = openai.OpenAI(base_url=f"{served.url}/v1", api_key="x").chat.completions.create(
            model="trio", messages=[{"role": "user", "content": "Capital of France?"}]
        )
        assert reply.choices[0].message.content == WINNER_ANSWER
        served.proc.send_signal(signal.SIGINT)
        assert served.proc.wait(15) == 130
        stderr = served.log()
    run_id = reply.model_extra["massgen"]["run_id"]  # type: ignore[index]
    assert f"run {run_id} (trio): consensus, winner long" in stderr
    assert "Traceback" not in stderr
    assert (workdir / ".massgen/logs" / run_id / "events.jsonl").is_file()


def test_a_folder_of_configs_serves_one_model_each_named_by_name_or_stem(
    fake: FakeProviderServer, workdir: Path
) -> None:
    write_team(workdir / "teams", "trio", team(fake))
    write_team(workdir / "teams", "second", {"name": "duo-v2", **team(fake, ["m-short", "m-long"])})
    with massgen_serve("--config", "teams", "--port", "0", cwd=workdir) as served:
        models = httpx2.get(f"{served.url}/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["duo-v2", "trio"]


def test_an_exposed_address_needs_a_key_and_the_key_is_never_printed(
    fake: FakeProviderServer, workdir: Path
) -> None:
    write_team(workdir, "trio", team(fake))
    refused = run_massgen("serve", "--config", "trio.yaml", "--host", "0.0.0.0", "--port", "0", cwd=workdir)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "refusing to serve on 0.0.0.0 without an API key" in refused.stderr
    assert "MASSGEN_SERVE_API_KEY" in refused.stderr

    key = "sk-served-0123456789abcdef"
    env = {"MASSGEN_SERVE_API_KEY": key}
    with massgen_serve(
        "--config", "trio.yaml", "--host", "0.0.0.0", "--port", "0", cwd=workdir, env=env
    ) as served:
        local = served.url.replace("0.0.0.0", "127.0.0.1")
        assert httpx2.get(f"{local}/v1/models").status_code == 401
        assert (
            httpx2.get(f"{local}/v1/models", headers={"Authorization": "Bearer sk-wrong"}).status_code == 401
        )
        assert httpx2.get(f"{local}/health").json()["status"] == "ok"
        reply = openai.OpenAI(base_url=f"{local}/v1", api_key=key).chat.completions.create(
            model="trio", messages=[{"role": "user", "content": f"Repeat {key}"}]
        )
        assert reply.choices[0].message.content == WINNER_ANSWER
        served.proc.send_signal(signal.SIGINT)
        served.proc.wait(15)
        out = (served.proc.stdout.read() if served.proc.stdout else "") + served.log()
    assert key not in out
    for saved in (workdir / ".massgen").rglob("*.json*"):
        assert key not in saved.read_text(), saved


def test_a_bad_config_is_reported_at_its_line_before_anything_listens(workdir: Path) -> None:
    (workdir / "team.yaml").write_text("agents:\n  - id: a\n    backend: {type: scripted, tempreature: 1}\n")
    result = run_massgen("serve", "--config", "team.yaml", "--port", "0", cwd=workdir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "team.yaml:3:" in result.stderr and "massgen serve:" not in result.stdout


def test_two_configs_with_one_name_are_refused(workdir: Path) -> None:
    config = "name: same\nagent: {id: a, backend: {type: scripted}}\n"
    (workdir / "one.yaml").write_text(config)
    (workdir / "two.yaml").write_text(config)
    result = run_massgen("serve", "--config", "one.yaml", "--config", "two.yaml", cwd=workdir)
    assert result.returncode == 1
    assert "two configs are served as the model 'same': one.yaml and two.yaml" in result.stderr


BROKEN_PLUGIN = """
from massgen_core.plugin import BackendOptions, BackendSpec, hookimpl


@hookimpl
def massgen_backend_types():
    return [BackendSpec(type="broken", display_name="Broken", provider="Nobody",
                        factory="massgen_broken_impl:Backend", options=BackendOptions,
                        api_key_required=False)]
"""


def test_a_backend_that_cannot_be_imported_is_refused_before_anything_listens(
    tmp_path: Path, workdir: Path
) -> None:
    site = write_distribution(tmp_path / "site", "massgen-broken", "broken", BROKEN_PLUGIN)
    (site / "massgen_broken_impl.py").write_text("import a_provider_sdk_that_is_not_installed\n")
    (workdir / "team.yaml").write_text("agent: {id: a, backend: {type: broken, model: m}}\n")
    result = run_massgen("serve", "--config", "team.yaml", "--port", "0", pythonpath=site, cwd=workdir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "backend 'broken' from massgen-broken 1.0 is installed but cannot be loaded" in result.stderr
    assert "No module named 'a_provider_sdk_that_is_not_installed'" in result.stderr
    assert "massgen serve:" not in result.stdout


def test_the_server_runs_on_uvloop_unless_told_asyncio(fake: FakeProviderServer, workdir: Path) -> None:
    write_team(workdir, "trio", team(fake))
    for loop, on_uvloop in (("auto", True), ("asyncio", False)):
        with massgen_serve("--config", "trio.yaml", "--port", "0", "--loop", loop, cwd=workdir) as served:
            reply = openai.OpenAI(base_url=f"{served.url}/v1", api_key="x").chat.completions.create(
                model="trio", messages=[{"role": "user", "content": "Capital of France?"}]
            )
            assert reply.choices[0].message.content == WINNER_ANSWER
            loaded = Path(f"/proc/{served.proc.pid}/maps").read_text()
            assert ("uvloop" in loaded) is on_uvloop, loop
