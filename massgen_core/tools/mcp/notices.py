"""What an agent's tools report to the display: servers connecting, crashing, being cut off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import attrs

__all__ = ["NoticeKind", "NoticeSink", "ToolNotice"]

NoticeKind = Literal[
    "connected",
    "connect_failed",
    "crashed",
    "timeout",
    "reconnected",
    "circuit_open",
    "circuit_closed",
    "refused",
]


@attrs.frozen(kw_only=True)
class ToolNotice:
    """One thing that happened to an agent's tools.

    :param agent_id: whose tools (``None`` when the hub was built without one).
    :param source: the MCP server name (``"command_line"`` for ``execute_command``).
    :param kind: what happened.
    :param message: for people.
    :param tool: the tool being called, when it happened during a call.
    """

    agent_id: str | None
    source: str
    kind: NoticeKind
    message: str
    tool: str | None = None


#: Receives notices; must not block (it is called from the event loop).
NoticeSink = Callable[[ToolNotice], None]
