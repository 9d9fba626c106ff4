"""MassGen core: many LLM agents, many providers, one question.

The package stays light on import: the public API below is loaded on first use, so that
``massgen --help`` and plugin loading stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
