"""Workspaces, context paths and permissions: the rules, the file tools, snapshots and views."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from massgen_core.config import ContextPathConfig
from massgen_core.plugin.errors import ConfigError
from massgen_core.tools.sandbox.landlock import plan_grants
from massgen_core.tools.toolset import ToolOutput
from massgen_core.tools.workspace import (
    AccessRules,
    AgentAccess,
    RunWorkspaces,
    context_paths_from_config,
    file_tools,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    paths = {n: tmp_path / n for n in ("ws", "project", "docs", "views", "outside", "internal")}
    for path in paths.values():
        path.mkdir()
    (paths["project"] / "main.py").write_text("print(1)\n")
    (paths["project"] / ".env").write_text("KEY=1\n")
    (paths["project"] / "keep").mkdir()
    (paths["project"] / "keep" / "a.txt").write_text("a\n")
    (paths["docs"] / "guide.md").write_text("guide\n")
    (paths["outside"] / "secret.txt").write_text("secret\n")
    (paths["views"] / "agent2").mkdir()
    (paths["views"] / "agent2" / "answer.txt").write_text("theirs\n")
    return paths


def make_access(tree: dict[str, Path], **kwargs: Any) -> AgentAccess:
    return AgentAccess(
        "a1",
        workspace=tree["ws"],
        snapshots=tree["views"],
        context=[
            (tree["project"], True, [tree["project"] / ".env", tree["project"] / "keep"]),
            (tree["docs"], False, []),
        ],
        hidden=[tree["internal"]],
        **kwargs,
    )


class Tools:
    def __init__(self, access: AgentAccess) -> None:
        self.tools = {t.definition.name: t for t in file_tools(access)}

    async def __call__(self, name: str, **arguments: Any) -> ToolOutput:
        return await self.tools[name].call(arguments)


def test_write_context_paths_open_only_during_the_final_presentation(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    access = make_access(tree, state_file=tmp_path / "state" / "a1.json")
    target = tree["project"] / "main.py"
    assert "final agent" in (access.rules().check_write(target) or "")
    access.begin_final_presentation()
    assert access.rules().check_write(target) is None
    state = json.loads((tmp_path / "state" / "a1.json").read_text())
    assert {r["path"]: r["writable"] for r in state["roots"]}[str(tree["project"])] is True
    access.end_final_presentation()
    assert access.rules().check_write(target) is not None
    assert AccessRules.from_json((tmp_path / "state" / "a1.json").read_text()) == access.rules()


def test_protected_paths_hidden_roots_and_root_deletion(tree: dict[str, Path]) -> None:
    access = make_access(tree)
    access.begin_final_presentation()
    rules = access.rules()
    assert "protected" in (rules.check_write(tree["project"] / ".env") or "")
    assert "protected" in (rules.check_write(tree["project"] / "keep" / "new.txt") or "")
    assert "contains the protected path" in (rules.check_write(tree["project"], "delete") or "")
    assert rules.check_write(tree["project"] / "new.txt") is None
    assert "read-only" in (rules.check_write(tree["docs"] / "guide.md") or "")
    assert "read-only" in (rules.check_write(tree["views"] / "agent2" / "x") or "")
    assert rules.check_read(tree["internal"] / "x") is not None
    assert rules.check_read(tree["outside"] / "secret.txt") is not None
    assert "root of your workspace" in (rules.check_write(tree["ws"], "delete") or "")


def test_sandbox_paths_protect_read_only_roots_nested_in_writable_ones(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    access = AgentAccess(
        "a1",
        workspace=project / "ws",
        context=[(project, True, []), (project / "docs", False, [])],
        hidden=[project / ".massgen"],
    )
    writable, protected = access.upper_bound().sandbox_paths()
    assert str(project) in writable and str(project / "ws") in writable
    assert str(project / "docs") in protected and str(project / ".massgen") in protected


def test_landlock_grants_split_directories_that_contain_protected_paths(tmp_path: Path) -> None:
    (tmp_path / "w" / "sub").mkdir(parents=True)
    for name in ("w/a.txt", "w/.env", "w/sub/b.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "w" / "link").symlink_to(tmp_path)
    grants = plan_grants([str(tmp_path / "w")], [str(tmp_path / "w" / ".env")])
    assert grants == [(str(tmp_path / "w" / "a.txt"), False), (str(tmp_path / "w" / "sub"), True)]
    assert plan_grants([str(tmp_path / "w")], []) == [(str(tmp_path / "w"), True)]


async def test_file_tools_work_in_the_workspace(tree: dict[str, Path]) -> None:
    call = Tools(make_access(tree))
    assert not (await call("write_file", path="out/report.md", content="# Report\n")).is_error
    assert (tree["ws"] / "out" / "report.md").read_text() == "# Report\n"
    await call("write_file", path="out/report.md", content="more\n", append=True)
    assert (await call("read_file", path="out/report.md")).content == "# Report\nmore\n"
    assert (await call("create_directory", path="a/b")).content.startswith("created")
    assert not (await call("move_path", source="out/report.md", destination="a/b/r.md")).is_error
    listing = await call("list_directory", path="a/b")
    assert "[file] r.md (14 bytes)" in listing.content
    assert not (await call("delete_path", path="a")).is_error and not (tree["ws"] / "a").exists()
    assert (await call("read_file", path=str(tree["docs"] / "guide.md"))).content == "guide\n"
    assert (await call("read_file", path=str(tree["views"] / "agent2" / "answer.txt"))).content == "theirs\n"


async def test_file_tools_refuse_escapes_through_dotdot_links_and_hard_links(tree: dict[str, Path]) -> None:
    access = make_access(tree)
    call = Tools(access)
    (tree["ws"] / "to_outside").symlink_to(tree["outside"])
    (tree["ws"] / "to_env").symlink_to(tree["project"] / ".env")
    os.link(tree["outside"] / "secret.txt", tree["ws"] / "hard.txt")
    access.begin_final_presentation()
    for path in (
        "../outside/secret.txt",
        "to_outside/secret.txt",
        str(tree["outside"] / "new.txt"),
        "to_env",
    ):
        out = await call("write_file", path=path, content="X")
        assert out.is_error and out.content.startswith("refused"), (path, out)
    assert (await call("read_file", path="to_outside/secret.txt")).is_error
    hard = await call("write_file", path="hard.txt", content="X")
    assert hard.is_error and "hard links" in hard.content
    assert (await call("delete_path", path="to_env")).content.startswith("deleted")  # the link, not the file
    assert (tree["outside"] / "secret.txt").read_text() == "secret\n"
    assert (tree["project"] / ".env").read_text() == "KEY=1\n"


async def test_context_paths_through_the_file_tools(tree: dict[str, Path]) -> None:
    access = make_access(tree)
    call = Tools(access)
    main = str(tree["project"] / "main.py")
    during = await call("write_file", path=main, content="changed")
    assert during.is_error and "final agent" in during.content
    access.begin_final_presentation()
    assert not (await call("write_file", path=main, content="final\n")).is_error
    assert (tree["project"] / "main.py").read_text() == "final\n"
    for path in (".env", "keep/a.txt", "keep/new.txt"):
        assert (await call("write_file", path=str(tree["project"] / path), content="X")).is_error
    assert (await call("delete_path", path=str(tree["project"] / "keep"))).is_error
    moved = await call(
        "move_path", source=str(tree["project"] / ".env"), destination=str(tree["project"] / "env.bak")
    )
    assert moved.is_error
    assert (await call("write_file", path=str(tree["docs"] / "guide.md"), content="X")).is_error


async def test_a_file_context_path_grants_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "config.toml").write_text("a = 1\n")
    (tmp_path / "proj" / "sibling.txt").write_text("s\n")
    access = AgentAccess(
        "a1", workspace=tmp_path / "ws", context=[(tmp_path / "proj" / "config.toml", True, [])]
    )
    (tmp_path / "ws").mkdir()
    call = Tools(access)
    assert (await call("read_file", path=str(tmp_path / "proj" / "config.toml"))).content == "a = 1\n"
    assert (await call("read_file", path=str(tmp_path / "proj" / "sibling.txt"))).is_error
    access.begin_final_presentation()
    assert not (
        await call("write_file", path=str(tmp_path / "proj" / "config.toml"), content="a = 2\n")
    ).is_error
    assert (await call("write_file", path=str(tmp_path / "proj" / "other.txt"), content="x")).is_error


def test_context_paths_from_config_are_checked(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    good = context_paths_from_config(
        [ContextPathConfig(path=tmp_path / "p", permission="write", protected_paths=(".env", "sub/x"))]
    )
    assert good == [(tmp_path / "p", True, (tmp_path / "p" / ".env", tmp_path / "p" / "sub" / "x"))]
    with pytest.raises(ConfigError) as info:
        context_paths_from_config(
            [
                ContextPathConfig(path=tmp_path / "missing"),
                ContextPathConfig(path=tmp_path / "p", protected_paths=("../elsewhere",)),
            ],
            source="run.yaml",
        )
    text = str(info.value)
    assert "orchestrator.context_paths[0].path" in text and "does not exist" in text
    assert "orchestrator.context_paths[1].protected_paths[0]" in text and "not inside" in text


def test_snapshots_and_views(tmp_path: Path) -> None:
    workspaces = RunWorkspaces(tmp_path / ".massgen", ["a1", "a2"], workspaces={"a2": tmp_path / "mine"})
    assert workspaces.workspace("a1") == tmp_path / ".massgen" / "workspaces" / "a1"
    assert workspaces.workspace("a2") == tmp_path / "mine"
    (workspaces.workspace("a1") / "answer.md").write_text("v1")
    (workspaces.workspace("a1") / "escape").symlink_to(tmp_path)
    workspaces.save_snapshot("a1")
    (workspaces.workspace("a1") / "answer.md").write_text("v2")
    view = workspaces.refresh_view("a2", {"a1": "agent1", "a2": "agent2"})
    assert (view / "agent1" / "answer.md").read_text() == "v1"
    assert not (view / "agent1" / "escape").exists() and not (view / "agent2").exists()
    workspaces.save_snapshot("a1")
    workspaces.refresh_view("a2", {"a1": "agent1"})
    assert (view / "agent1" / "answer.md").read_text() == "v2"
    rules = workspaces.access("a2").rules()
    assert rules.check_read(view / "agent1" / "answer.md") is None
    assert rules.check_write(view / "agent1" / "answer.md") is not None
    assert rules.check_read(workspaces.workspace("a1") / "answer.md") is not None  # only through the view
    assert rules.check_read(workspaces.snapshot_root / "a1" / "answer.md") is not None


def test_agents_may_not_share_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="share a workspace"):
        RunWorkspaces(
            tmp_path / ".massgen", ["a1", "a2"], workspaces={"a1": tmp_path / "w", "a2": tmp_path / "w" / "x"}
        )
