"""Displays rendered to string consoles and streams."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from rich.console import Console

from massgen_core.display import SilentDisplay, make_display
from massgen_core.display.rich_display import RichDisplay
from massgen_core.display.simple import SimpleDisplay
from massgen_core.plugin.messages import ToolCallPart
from massgen_core.plugin.stream import ReasoningDelta, ToolCall
from massgen_core.runtime.coordination import CoordinationEvent, CoordinationSettings, Orchestrator
from massgen_core.runtime.usage import UsageLedger
from massgen_core.testing.scripted import scripted_agent


def events(n: int = 3, *, failing: bool = False) -> list[CoordinationEvent]:
    ledger = UsageLedger()
    agents = [
        scripted_agent(f"agent_{i}", then="coordinate", answer=f"answer {i} " + "more " * i, ledger=ledger)
        for i in range(n)
    ]
    if failing:
        agents.append(scripted_agent("broken", {"error": {"kind": "authentication", "message": "bad key"}}))

    async def go() -> list[CoordinationEvent]:
        return [e async for e in Orchestrator(agents, CoordinationSettings()).run("What is 2+2?")]

    return asyncio.run(go())


def string_console(width: int = 120) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, height=40, color_system=None, force_terminal=False), out


def test_rich_display_shows_panels_states_and_the_summary_table() -> None:
    console, out = string_console()
    display = RichDisplay(console, refresh_interval=0)
    stream = events(failing=True)
    for event in stream[:-1]:
        display.handle(event)
    console.print(display.render())
    live = out.getvalue()
    for name in ("agent_0", "agent_1", "agent_2", "broken"):
        assert name in live
    assert "failed" in live and "authentication: bad key" in live
    assert "presenting" in live and "What is 2+2?" in live
    display.handle(stream[-1])
    final = out.getvalue()
    for column in ("answers", "votes", "tokens in/out", "cost"):
        assert column in final
    assert "winner" in final and "Every live agent voted" in final and "total" in final


def test_rich_panels_show_reasoning_and_tool_activity() -> None:
    console, out = string_console(80)
    display = RichDisplay(console, refresh_interval=3600)
    stream = events(1)
    display.handle(stream[0])
    from massgen_core.runtime.coordination import AgentOutput

    display.handle(AgentOutput(agent_id="agent_0", event=ReasoningDelta("let me think")))
    call = ToolCallPart(id="c1", name="web_search", arguments={"query": "2+2"})
    display.handle(AgentOutput(agent_id="agent_0", event=ToolCall(call)))
    console.print(display.render())
    text = out.getvalue()
    assert "let me think" in text and "web_search" in text
    display.close()


def test_rich_display_handles_twenty_agents_in_a_small_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, width=70, height=20, color_system=None)
    display = RichDisplay(console, refresh_interval=0)
    for event in events(20):
        display.handle(event)
    assert "agent_19" in out.getvalue()


def test_simple_display_prints_one_line_per_step() -> None:
    out = io.StringIO()
    display = SimpleDisplay(out)
    for event in events(2):
        display.handle(event)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("massgen: 2 agent(s)")
    assert any(line.startswith("[agent_0] answer 1 as agent1") for line in lines)
    assert any("voted for agent2 (agent_1)" in line for line in lines)
    assert any(line.startswith("coordination ended:") for line in lines)
    assert any(line.startswith("total") for line in lines)
    assert "more" not in "".join(
        line for line in lines if line.startswith("[agent_1] round")
    )  # no streamed text


def test_make_display_kinds() -> None:
    out = io.StringIO()
    assert isinstance(make_display("silent"), SilentDisplay)
    assert isinstance(make_display("simple", stream=out), SimpleDisplay)
    display: Any = make_display("rich_terminal", stream=out)
    assert isinstance(display, RichDisplay)
    for event in events(1):
        display.handle(event)
    assert "agent_0" in out.getvalue()
