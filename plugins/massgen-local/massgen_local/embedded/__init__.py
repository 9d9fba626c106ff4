"""The ``llamacpp`` backend: a GGUF model run in-process by llama-cpp-python.

Only :mod:`.catalog` is imported by the entry point; the rest imports ``llama_cpp`` lazily, when
a backend is built.
"""
