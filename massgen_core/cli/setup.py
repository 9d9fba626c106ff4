"""What every ``massgen`` command that runs teams does before it loads a config."""

from __future__ import annotations

__all__ = ["prepare_command"]


def prepare_command(*, debug: bool = False) -> None:
    """Load ``.env`` from the working directory into the environment (never overriding a
    variable already set), and send MassGen's log warnings (everything, with ``debug``) to
    stderr, secrets masked. Plugin commands that run teams call it as the built-in ones do."""
    from ..config.interpolate import load_dotenv_file
    from ..records.runlog import configure_logging

    load_dotenv_file()
    configure_logging(debug=debug)
