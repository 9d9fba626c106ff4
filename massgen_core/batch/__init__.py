"""``massgen batch``: many questions, each answered by a whole coordination of a config's team.

:mod:`.questions` reads the input, :mod:`.output` the results file (and ``--resume``),
:mod:`.records` makes each output line, :mod:`.answer` answers one question, :mod:`.engines`
runs them (in this process, or on Ray), and :mod:`.run` is the asyncio shell and the Python API
(``massgen_core.run_batch``).
"""
