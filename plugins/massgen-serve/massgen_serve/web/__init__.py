"""The web view: MassGen runs in a browser, live and past, from their logs.

:mod:`.tail` follows a run's log (the one source of both live and past runs), :mod:`.logs`
lists a log folder's runs, :mod:`.security` holds the headers and sign-in, :mod:`.app` the
routes; ``static/`` the pages, their script and style (no build step, nothing from elsewhere).
``massgen serve`` mounts it at ``/``; ``massgen view`` serves it alone over a log folder.
"""
