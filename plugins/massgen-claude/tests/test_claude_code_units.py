"""claude_code without the CLI: the seed's settings, path checks, conversations, the environment.

Fast (no Claude Code process): the end-to-end tests are in ``test_claude_code_cli.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from massgen_core.plugin import Message, ToolResultPart

from massgen_claude.claude_code.conversation import STATE_KEY, conversation
from massgen_claude.claude_code.paths import refusal, touched_paths
from massgen_claude.claude_code.permissions import (
    DEFAULT_BUILTINS,
    effective_permission_mode,
    plan_tools,
    setting_notes,
)
from massgen_claude.claude_code.private_access import PrivateWorkspaceAccess
from massgen_claude.claude_code.process import CliState, cli_environment

SEED_CONFIG = """\
agent:
  id: "claude_code_agent"
  backend:
    type: "claude_code"
    cwd: "workspace"                    # Working directory
    permission_mode: "{mode}"

    # Native tools
    allowed_tools:
      - "Read"
      - "Write"
      - "Bash"
      - "LS"
"""


# -- the seed's settings --------------------------------------------------------------------------
def test_allowed_tools_choose_and_preapprove_claude_codes_builtins() -> None:
    plan = plan_tools(["Read", "Write", "Bash", "LS", "mcp__discord__send", "Task"])
    assert plan.builtins == ("Read", "Write", "Bash", "Agent")  # MCP names are the core's business
    assert plan.preapproved == plan.builtins
    assert plan.dropped == (("LS", "Glob and Grep replace it"),)


def test_without_allowed_tools_the_default_builtins_exist_and_none_is_preapproved() -> None:
    plan = plan_tools(None, exclude_tools=["Bash", "WebFetch"])
    assert plan.builtins == tuple(n for n in DEFAULT_BUILTINS if n not in ("Bash", "WebFetch"))
    assert plan.preapproved == ()


def test_strict_is_the_most_restrictive_working_mode_and_says_so() -> None:
    assert effective_permission_mode("strict", is_sandbox=False, as_root=False) == "dontAsk"
    notes = setting_notes("strict", is_sandbox=False, allowed_tools=None, as_root=False)
    assert [key for key, _ in notes] == ["permission_mode"]
    assert "'strict' is not a Claude Code permission mode" in notes[0][1] and "dontAsk" in notes[0][1]


def test_bypass_permissions_as_root_narrows_unless_the_machine_is_a_sandbox() -> None:
    assert effective_permission_mode("bypassPermissions", is_sandbox=False, as_root=True) == "acceptEdits"
    assert (
        effective_permission_mode("bypassPermissions", is_sandbox=True, as_root=True) == "bypassPermissions"
    )
    assert (
        effective_permission_mode("bypassPermissions", is_sandbox=False, as_root=False) == "bypassPermissions"
    )
    notes = setting_notes("bypassPermissions", is_sandbox=False, allowed_tools=None, as_root=True)
    assert "is_sandbox: true" in notes[0][1]
    assert setting_notes("bypassPermissions", is_sandbox=True, allowed_tools=None, as_root=True) == []


@pytest.mark.parametrize("mode", ["strict", "bypassPermissions", "acceptEdits"])
def test_the_seeds_config_validates_with_notes_at_the_keys(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from massgen_core.testing.cli import massgen_main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    (tmp_path / "seed.yaml").write_text(SEED_CONFIG.format(mode=mode))
    assert massgen_main("validate", "seed.yaml") == 0
    out = capsys.readouterr().out
    assert "valid: 1 agent(s): claude_code_agent (claude_code)" in out
    assert "note: seed.yaml:9:5: agent.backend.allowed_tools: 'LS' is no longer a Claude Code tool" in out
    mode_note = "note: seed.yaml:6:5: agent.backend.permission_mode:"
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    assert (mode_note in out) == (mode == "strict" or (mode == "bypassPermissions" and root))


def test_an_unknown_permission_mode_is_an_error_at_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from massgen_core import load_config
    from massgen_core.plugin import ConfigError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(SEED_CONFIG.format(mode="paranoid"))
    with pytest.raises(ConfigError, match=r"bad.yaml:6:\d+.*permission_mode.*acceptEdits"):
        load_config("bad.yaml")


# -- path checks ---------------------------------------------------------------------------------
class Rules:
    """A FileAccess: read anywhere under ``root``, write only under ``root/rw``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _resolved(self, path: str | os.PathLike[str]) -> Path:
        raw = Path(path)
        return Path(os.path.realpath(raw if raw.is_absolute() else self.root / "rw" / raw))

    def check_read(self, path: str | os.PathLike[str]) -> str | None:
        p = self._resolved(path)
        return None if p == self.root or self.root in p.parents else f"{p} is outside"

    def check_write(self, path: str | os.PathLike[str]) -> str | None:
        p = self._resolved(path)
        rw = self.root / "rw"
        return None if p == rw or rw in p.parents else f"{p} is read-only"

    def sandbox_paths(self) -> tuple[list[str], list[str]]:
        return [str(self.root / "rw")], []


def test_every_path_a_file_tool_touches_is_checked(tmp_path: Path) -> None:
    rules = Rules(tmp_path)
    assert refusal("Write", {"file_path": "a.txt", "content": ""}, rules) is None
    assert "read-only" in (refusal("Edit", {"file_path": str(tmp_path / "x")}, rules) or "")
    assert "read-only" in (refusal("NotebookEdit", {"notebook_path": "../n.ipynb"}, rules) or "")
    assert refusal("Read", {"file_path": str(tmp_path / "x")}, rules) is None
    assert "outside" in (refusal("Read", {"file_path": "/etc/passwd"}, rules) or "")
    assert "outside" in (refusal("Glob", {"pattern": "/etc/**/*.conf"}, rules) or "")
    assert "outside" in (refusal("Glob", {"pattern": "../../../../*", "path": "."}, rules) or "")
    assert "outside" in (refusal("Grep", {"pattern": "x", "path": "/usr"}, rules) or "")
    assert refusal("Grep", {"pattern": "x", "glob": "*.py"}, rules) is None
    assert refusal("Write", {"content": "no path"}, rules) == "Write: no path given"


def test_a_symlink_cannot_point_a_write_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "rw").mkdir()
    (tmp_path / "rw" / "link").symlink_to(tmp_path / "secret.txt")
    assert "read-only" in (refusal("Write", {"file_path": "link"}, Rules(tmp_path)) or "")


def test_unknown_builtins_are_refused_and_mcp_and_bash_are_left_to_others(tmp_path: Path) -> None:
    rules = Rules(tmp_path)
    assert "does not offer" in (refusal("EnterWorktree", {}, rules) or "")
    assert touched_paths("mcp__massgen__write_file", {"path": "/etc/x"}) == []  # the core checks it
    assert refusal("Bash", {"command": "rm -rf /"}, rules) is None  # confined by the kernel instead
    assert refusal("WebFetch", {"url": "https://example.com"}, rules) is None


def test_an_agent_without_a_workspace_works_only_in_its_private_one(tmp_path: Path) -> None:
    access = PrivateWorkspaceAccess(tmp_path / "ws")
    (tmp_path / "ws").mkdir()
    assert access.check_write("notes.txt") is None
    assert "outside your workspace" in (access.check_read("/etc/passwd") or "")
    assert "outside your workspace" in (access.check_write("../escape.txt") or "")
    assert access.sandbox_paths() == ([str((tmp_path / "ws").resolve())], [])


# -- conversations --------------------------------------------------------------------------------
def answered(text: str, session: str) -> Message:
    return Message(
        role="assistant",
        parts=Message.assistant(text).parts,
        provider_state={STATE_KEY: {"session_id": session}},
    )


def test_a_new_conversation_sends_the_question_and_the_system_message_apart() -> None:
    conv = conversation([Message.system("Be brief."), Message.user("What is 2+2?")])
    assert (conv.system, conv.prompt, conv.resume) == ("Be brief.", "What is 2+2?", None)


def test_earlier_turns_without_a_session_are_written_into_the_prompt() -> None:
    history = [Message.user("Hi"), Message.assistant("Hello!"), Message.user("And now?")]
    conv = conversation(history)
    assert conv.resume is None
    assert conv.prompt == "Earlier in this conversation:\n\nUser: Hi\n\nYou: Hello!\n\nNow: And now?"


def test_a_turn_that_continues_a_session_resumes_it_with_only_what_came_after() -> None:
    result = ToolResultPart(call_id="c1", name="new_answer", content="refused: too short", is_error=True)
    messages = [
        Message.system("S"),
        Message.user("Q"),
        answered("A", "sess-1"),
        Message.tool_results([result]),
        Message.user("Finish with vote or new_answer."),
    ]
    conv = conversation(messages, resumable={"sess-1"})
    assert conv.resume == "sess-1"
    assert (
        conv.prompt == "Your new_answer call failed:\nrefused: too short\n\nFinish with vote or new_answer."
    )
    assert conversation(messages, resumable=set()).resume is None  # its transcript is not here


# -- the CLI's environment ------------------------------------------------------------------------
def test_the_cli_gets_its_own_state_no_other_secrets_and_no_retries(tmp_path: Path) -> None:
    state = CliState("agent/1", str(tmp_path / "state"))
    env = cli_environment(
        api_key="k",
        base_url="http://127.0.0.1:9/",
        state=state,
        shell_prefix=None,
        sandboxed_root=False,
        inherited={"OPENAI_API_KEY": "sk-x", "GITHUB_TOKEN": "t", "PATH": "/bin", "ANTHROPIC_API_KEY": "old"},
    )
    assert env["ANTHROPIC_API_KEY"] == "k" and env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert env["OPENAI_API_KEY"] == "" and env["GITHUB_TOKEN"] == "" and "PATH" not in env
    assert env["CLAUDE_CONFIG_DIR"] == str(tmp_path / "state" / "config")
    assert env["CLAUDE_CODE_MAX_RETRIES"] == "0" and env["ENABLE_TOOL_SEARCH"] == "false"
    assert env["CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK"] == "1"  # a failed stream is not re-sent
    assert "IS_SANDBOX" not in env and "CLAUDE_CODE_SHELL_PREFIX" not in env
    state.remove()
    assert (tmp_path / "state").exists()  # a configured config_dir is kept


def test_a_private_state_directory_is_removed() -> None:
    state = CliState(None, None)
    assert state.config_dir.is_dir()
    state.remove()
    assert not state.root.exists()
