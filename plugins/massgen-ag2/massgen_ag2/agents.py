"""Building AG2 agents, group patterns and tools from the options (imports AG2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from autogen import AssistantAgent, ConversableAgent, LLMConfig
from autogen.agentchat.group import ReplyResult, TerminateTarget
from autogen.agentchat.group.patterns import AutoPattern, RoundRobinPattern
from autogen.tools import Tool
from massgen_core.plugin import ToolDefinition

from .anthropic_client import MassGenAnthropicClient
from .conversation import tool_schema
from .llm import ResolvedLlm
from .options import AgentSettings, PatternSettings

__all__ = ["ToolHandler", "build_agent", "build_pattern", "group_tools", "llm_config"]

#: ``handler(name, arguments)``: runs a tool call for a group agent; returns the text for the
#: model, or ``None`` when the call ends the group's turn (new_answer, vote)
ToolHandler = Callable[[str, dict[str, Any]], Awaitable[str | None]]


def llm_config(resolved: ResolvedLlm) -> LLMConfig:
    return LLMConfig(dict(resolved.config))


def _instructions(own: str | None, massgen: str, agent_type: str) -> str | None:
    """The agent's system message followed by MassGen's instructions for this turn."""
    base = (
        own
        if own is not None
        else (AssistantAgent.DEFAULT_SYSTEM_MESSAGE if agent_type == "assistant" else None)
    )
    parts = [p for p in (base, massgen) if p]
    return "\n\n".join(parts) if parts else None


def build_agent(
    settings: AgentSettings,
    name: str,
    llm: ResolvedLlm | None,
    *,
    instructions: str,
    code_executor: Any | None = None,
    tools: Sequence[Tool] = (),
    tool_schemas: Sequence[ToolDefinition] = (),
) -> ConversableAgent:
    """One AG2 agent; ``tools`` are callable by it (group chats), ``tool_schemas`` only offered
    to its model (the single-agent loop runs the calls itself)."""
    cls = AssistantAgent if settings.type == "assistant" else ConversableAgent
    kwargs: dict[str, Any] = {
        "name": name,
        "llm_config": llm_config(llm) if llm is not None else False,
        "human_input_mode": "NEVER",
        "code_execution_config": {"executor": code_executor} if code_executor is not None else False,
    }
    system = _instructions(settings.system_message, instructions, settings.type)
    if system is not None:
        kwargs["system_message"] = system
    if settings.description:
        kwargs["description"] = settings.description
    if tools and llm is not None:
        kwargs["functions"] = list(tools)
    agent = cls(**kwargs)
    for definition in tool_schemas:
        agent.update_tool_signature(tool_schema(definition), is_remove=False)
    if llm is not None and llm.api_type == "anthropic":  # after the tools: they rebuild the client
        agent.register_model_client(model_client_cls=MassGenAnthropicClient)  # type: ignore[arg-type]
    return agent


def group_tools(definitions: Sequence[ToolDefinition], handler: ToolHandler) -> list[Tool]:
    """The request's tools as AG2 tools for a group chat; a call that ends the turn (new_answer,
    vote) terminates the chat."""

    def make(definition: ToolDefinition) -> Tool:
        async def call(**arguments: Any) -> Any:
            text = await handler(definition.name, arguments)
            if text is None:
                return ReplyResult(
                    message=f"{definition.name} recorded; the group's turn is over.", target=TerminateTarget()
                )
            return text

        call.__name__ = definition.name
        return Tool(
            name=definition.name,
            description=definition.description,
            func_or_tool=call,
            parameters_json_schema=dict(definition.parameters),
        )

    return [make(d) for d in definitions]


def build_pattern(
    settings: PatternSettings,
    agents: Sequence[ConversableAgent],
    manager_llm: ResolvedLlm | None,
) -> AutoPattern | RoundRobinPattern:
    by_name = {a.name: a for a in agents}
    initial = by_name[settings.initial_agent] if settings.initial_agent else agents[0]
    manager: dict[str, Any] = {}
    args = settings.group_manager_args
    if manager_llm is not None:
        manager["llm_config"] = llm_config(manager_llm)
    if args.name:
        manager["name"] = args.name
    if args.system_message:
        manager["system_message"] = args.system_message
    cls = AutoPattern if settings.type == "auto" else RoundRobinPattern
    return cls(initial_agent=initial, agents=list(agents), group_manager_args=manager)
