"""One request to an ``ag2`` backend, run on the AG2 thread: a single agent or a group chat.

A single agent runs in a loop of its own here, AG2's two-agent chat made explicit: the agent's
model replies (streamed); tool calls the core runs go through ``request.tool_runner`` and their
results go back to the model; code blocks go to the executor (``execute_command``) and
``exitcode: N (...)\\nCode output: ...`` goes back, as AG2's executor agent answers; a call the
core does not run (``new_answer``, ``vote``) or a reply with neither ends the turn.

A group chat runs AG2's own ``a_initiate_group_chat`` with the configured pattern; the request's
tools are AG2 tools of its agents, and ``new_answer``/``vote`` terminate the chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from autogen.agentchat import a_initiate_group_chat
from autogen.io.base import IOStream
from massgen_core.plugin import (
    BackendContext,
    BuiltinToolActivity,
    ChatRequest,
    Done,
    Message,
    MessageBuilder,
    StreamEvent,
    TextPart,
    ToolCall,
    ToolCallPart,
    ToolResult,
    ToolRunner,
    parse_tool_arguments,
)

from .agents import build_agent, build_pattern, group_tools
from .bridge import MainLoop
from .conversation import oai_messages, system_text, transcript
from .events import EventSink
from .executor import CommandOutcome, MassGenCodeExecutor, Status, parse_command_output
from .llm import ResolvedLlm, resolve_llm
from .options import Ag2Options, CodeExecutionSettings, LlmSettings, first_llm

__all__ = ["MAX_STEPS", "Ag2Run"]

#: model replies one single-agent turn may take (tool rounds and code runs included)
MAX_STEPS = 25
EXECUTE_COMMAND = "execute_command"
NO_COMMAND = (
    "MassGen did not run this code: this agent's execute_command is excluded (allowed_tools / exclude_tools), "
    "and AG2 code runs only through it (in the agent's workspace, under its command policy and sandbox).\n"
)


class Ag2Run:
    """The state of one request; :meth:`execute` runs it on the AG2 loop."""

    def __init__(
        self,
        options: Ag2Options,
        context: BackendContext,
        request: ChatRequest,
        main: MainLoop,
        queue: asyncio.Queue[StreamEvent],
    ) -> None:
        self.options = options
        self.context = context
        self.request = request
        self.main = main
        self.sink = EventSink(main, queue)
        self.runner: ToolRunner | None = request.tool_runner
        self._ids = itertools.count(1)
        self._agents: list[Any] = []
        self.command_tool = next(
            (
                t.name
                for t in request.tools
                if t.name.endswith(EXECUTE_COMMAND) and self.runner is not None and self.runner.runs(t.name)
            ),
            None,
        )

    async def execute(self) -> Done:
        with IOStream.set_default(self.sink):
            if self.options.group_config is not None:
                return await self._group()
            return await self._single()

    # -- the single agent -------------------------------------------------------------------------
    async def _single(self) -> Done:
        settings = self.options.single_agent
        llm = first_llm(settings.llm_config) if settings is not None else None
        assert settings is not None and llm is not None
        agent = build_agent(
            settings,
            settings.agent_name(),
            self._llm(llm),
            instructions=system_text(self.request.messages),
            tool_schemas=self.request.tools,
        )
        self._agents.append(agent)
        executor = self._executor(settings.code_execution_config)
        conversation = oai_messages(self.request.messages)
        builder = MessageBuilder()
        said = False
        for _step in range(MAX_STEPS):
            reply = await agent.a_generate_reply(messages=conversation)
            text, calls = _reply_parts(reply)
            if text:
                builder.text(("\n\n" if said else "") + text)
                said = True
            conversation.append(_assistant_message(text, calls))
            if calls:
                ending = [c for c in calls if self.runner is None or not self.runner.runs(c.name)]
                for call in calls:
                    if call not in ending:
                        conversation.append(await self._run_tool(call, builder))
                for call in ending:
                    self.sink.emit(ToolCall(call))
                    builder.tool_call(call)
                if ending:
                    return Done(stop_reason="tool_calls", message=builder.build())
                continue
            blocks = executor.code_extractor.extract_code_blocks(text) if executor and text else []
            if executor is None or not blocks:
                return Done(stop_reason="end_turn", message=builder.build())
            result = executor.execute_code_blocks(blocks)
            status = "execution succeeded" if result.exit_code == 0 else "execution failed"
            conversation.append(
                {
                    "role": "user",
                    "content": f"exitcode: {result.exit_code} ({status})\nCode output: {result.output}",
                }
            )
        return Done(stop_reason="max_tokens", message=builder.build())

    async def _run_tool(self, call: ToolCallPart, builder: MessageBuilder) -> dict[str, Any]:
        assert self.runner is not None
        self.sink.emit(ToolCall(call))
        builder.tool_call(call)
        result = await self.main.call(self.runner.run(call))
        self.sink.emit(
            ToolResult(call_id=call.id, name=call.name, output=result.content, is_error=result.is_error)
        )
        return {"role": "tool", "tool_call_id": call.id, "content": result.content}

    # -- the group chat ---------------------------------------------------------------------------
    async def _group(self) -> Done:
        group = self.options.group_config
        assert group is not None
        instructions = system_text(self.request.messages)
        ending: list[ToolCallPart] = []

        async def handle(name: str, arguments: dict[str, Any]) -> str | None:
            call = ToolCallPart(id=self._id("call"), name=name, arguments=arguments)
            self.sink.emit(ToolCall(call))
            if self.runner is None or not self.runner.runs(name):
                ending.append(call)
                return None
            result = await self.main.call(self.runner.run(call))
            self.sink.emit(
                ToolResult(call_id=call.id, name=name, output=result.content, is_error=result.is_error)
            )
            return result.content

        tools = group_tools(self.request.tools, handle)
        agents = [
            build_agent(
                settings,
                settings.agent_name(index),
                self._llm(llm) if llm is not None else None,
                instructions=instructions,
                code_executor=self._executor(settings.code_execution_config),
                tools=tools,
            )
            for index, (settings, llm) in enumerate(zip(group.agents, group.llms(), strict=True))
        ]
        self._agents += agents
        manager = group.manager_llm()
        if manager is not None:  # its replies are speaker names, not text to show
            manager = attrs.evolve(manager, stream=False)
        pattern = build_pattern(group.pattern, agents, self._llm(manager) if manager is not None else None)
        result, _context, _last = await a_initiate_group_chat(
            pattern=pattern, messages=transcript(self.request.messages), max_rounds=group.max_rounds
        )
        self.sink.end_speaker_turn()
        text = _final_text(result.chat_history, {a.name for a in agents})
        parts: list[Any] = [TextPart(text=text)] if text else []
        parts += ending
        return Done(
            stop_reason="tool_calls" if ending else "end_turn",
            message=Message(role="assistant", parts=parts),
        )

    # -- shared pieces ----------------------------------------------------------------------------
    def close_clients(self) -> None:
        """Close the agents' model clients (from any thread): a reply still streaming stops now
        instead of at its next chunk or timeout."""
        for agent in self._agents:
            for client in getattr(getattr(agent, "client", None), "_clients", None) or ():
                close = getattr(getattr(client, "_oai_client", None), "close", None)
                if close is not None:
                    try:
                        close()
                    except Exception:  # best effort: the run is being stopped anyway
                        continue

    def _id(self, kind: str) -> str:
        return f"ag2-{kind}-{next(self._ids)}"

    def _llm(self, llm: LlmSettings) -> ResolvedLlm:
        resolved = resolve_llm(llm, self.context)
        self.sink.pricing.add(resolved)
        return resolved

    def _executor(self, settings: CodeExecutionSettings | None) -> MassGenCodeExecutor | None:
        if settings is None:
            return None
        workspace = self.context.workspace or Path.cwd()
        return MassGenCodeExecutor(
            workspace=workspace,
            work_dir=settings.executor.work_dir,
            timeout=float(settings.executor.timeout),
            run=self._run_command,
            check_write=self._check_write,
            report=self._report_code,
            unavailable=None if self.command_tool is not None else NO_COMMAND,
        )

    def _run_command(self, command: str, work_dir: str | None, timeout: float) -> CommandOutcome:
        """Run ``command`` as an ``execute_command`` call of the agent (blocks the AG2 thread)."""
        if self.command_tool is None or self.runner is None:
            return CommandOutcome(1, NO_COMMAND)
        arguments: dict[str, Any] = {"command": command, "timeout": timeout}
        if work_dir:
            arguments["work_dir"] = work_dir
        call = ToolCallPart(id=self._id("exec"), name=self.command_tool, arguments=arguments)
        result = self.main.wait(self.runner.run(call))
        return parse_command_output(result.content, is_error=result.is_error)

    def _check_write(self, path: Path) -> str | None:
        access = self.context.access
        if access is not None:
            return access.check_write(path)
        workspace = self.context.workspace
        if workspace is None or not path.resolve().is_relative_to(workspace.resolve()):
            return "outside the agent's workspace"
        return None

    def _report_code(self, call_id: str, status: Status, code: str, output: str | None) -> None:
        self.sink.emit(
            BuiltinToolActivity(
                tool="code_execution", call_id=call_id, status=status, code=code, output=output
            )
        )


def _reply_parts(reply: Any) -> tuple[str, list[ToolCallPart]]:
    if reply is None:
        return "", []
    if isinstance(reply, str):
        return reply, []
    content = reply.get("content")
    text = content if isinstance(content, str) else ""
    calls = [
        ToolCallPart(
            id=str(c.get("id") or f"call_{i}"),
            name=str(c["function"]["name"]),
            arguments=parse_tool_arguments(c["function"].get("arguments")),
        )
        for i, c in enumerate(reply.get("tool_calls") or ())
    ]
    return text, calls


def _assistant_message(text: str, calls: Sequence[ToolCallPart]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))},
            }
            for c in calls
        ]
    return message


def _final_text(history: Sequence[dict[str, Any]], agent_names: set[str]) -> str:
    """The last thing one of the group's agents said (the group's answer)."""
    for message in reversed(history):
        content = message.get("content")
        named = message.get("name") in agent_names and message.get("role") != "tool"
        if named and isinstance(content, str) and content.strip():
            return content
    return ""
