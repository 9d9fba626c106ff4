"""What an agent id may be: it names the agent's folders under ``.massgen/``, so it is a plain name."""

from __future__ import annotations

import re

__all__ = ["AGENT_ID_RULE", "MAX_AGENT_ID", "agent_id_problem"]

MAX_AGENT_ID = 64
_AGENT_ID = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{MAX_AGENT_ID - 1}}}")
#: The rule, as messages and the docs state it.
AGENT_ID_RULE = f"letters, digits, '_', '-' and '.', starting with a letter, digit or '_', at most {MAX_AGENT_ID} characters"


def agent_id_problem(agent_id: str) -> str | None:
    """Why ``agent_id`` is not a valid agent id, or ``None``."""
    if _AGENT_ID.fullmatch(agent_id):
        return None
    return f"agent id {agent_id!r} is not allowed: use {AGENT_ID_RULE} (it names the agent's folders)"
