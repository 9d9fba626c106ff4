"""MassGen backends for local models.

Backend types: ``lmstudio``, ``vllm`` and ``sglang`` (OpenAI-compatible servers, through
massgen-openai's Chat Completions backend) and ``llamacpp`` (a GGUF model run in-process by
llama.cpp through xllamacpp: no server, no key, no network). The entry point is
:mod:`massgen_local.plugin`; nothing here imports the openai SDK or xllamacpp.
"""

__version__ = "0.1.0"
