"""The ``shout`` backend's options (loaded only when a config or command needs them)."""

from __future__ import annotations

import attrs

from massgen_core.plugin import BackendOptions, option


@attrs.frozen(kw_only=True)
class ShoutOptions(BackendOptions):
    exclamations: int = option(1, help="How many '!' to add.")
    enable_telepathy: bool = option(False, requires="telepathy", help="Read the user's mind.")
