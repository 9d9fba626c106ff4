"""``massgen eval``: does a team answer better than each of its agents alone, and at what cost?

:mod:`.dataset` reads the questions with their expected answers, :mod:`.scorers` says whether an
answer is right, :mod:`.arms` turns each question into the batch questions of each arm (``single``:
every agent alone; ``majority``: the most common of those independent answers; ``team``: the whole
coordination) and the batch's lines back into scored ones, :mod:`.stats` holds the interval and
the paired test, :mod:`.report` the per-arm table, and :mod:`.chart` the HTML chart. The questions
run on the batch engines (:mod:`massgen_core.batch`).
"""
