"""The ``llamacpp`` backend: a GGUF model run in-process by llama.cpp (xllamacpp).

Only :mod:`.catalog` is imported by the entry point; the rest imports ``xllamacpp`` (and ``jinja2``)
lazily, when a backend is built.
"""
