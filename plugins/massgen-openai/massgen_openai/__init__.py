"""MassGen backends built on the official ``openai`` SDK.

Backend types: ``openai`` (Responses API), ``azure_openai``, ``grok``, ``chatcompletion`` (any
OpenAI-compatible Chat Completions endpoint) and one type per known provider preset. The entry
point is :mod:`massgen_openai.plugin`; nothing here imports the SDK.
"""

__version__ = "0.1.0"
