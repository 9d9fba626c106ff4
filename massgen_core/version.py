"""The version of massgen-core and of the plugin API it provides (one place: the package, the CLI,
MCP client info and the plugin loader read them).

``PLUGIN_API`` is ``"MAJOR.MINOR"``: a minor step adds to the API (a hook, an optional field) and
keeps every plugin working; a major step changes or removes something. The core raises the major
only with a new massgen-core release series (0.1 -> 0.2 while below 1.0), so a plugin declares
the series it was built for as its ``massgen-core`` dependency (``massgen-core>=0.1,<0.2``), and
the plugin loader refuses a plugin whose range excludes this core (see ``host/compatibility.py``).
"""

__version__ = "0.1.0"
PLUGIN_API = "1.0"
