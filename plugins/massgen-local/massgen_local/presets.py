"""The local inference servers, as massgen-openai presets: default URL, env vars, placeholder key."""

from __future__ import annotations

from massgen_openai.api import ChatPreset

__all__ = ["LMSTUDIO", "LOCAL_PRESETS", "SGLANG", "VLLM"]

LMSTUDIO = ChatPreset(
    name="lmstudio",
    display_name="LM Studio",
    base_url="http://localhost:1234/v1",
    base_url_env="LMSTUDIO_BASE_URL",
    api_key_required=False,
    placeholder_key="lm-studio",
    description="LM Studio's local server (model: one loaded in LM Studio); checks /v1/models first.",
)

VLLM = ChatPreset(
    name="vllm",
    display_name="vLLM",
    base_url="http://localhost:8000/v1",
    base_url_env="VLLM_BASE_URL",
    api_key_env="VLLM_API_KEY",
    api_key_required=False,
    description="A vLLM server (top_k, repetition_penalty, chat_template_kwargs; reasoning streamed).",
)

SGLANG = ChatPreset(
    name="sglang",
    display_name="SGLang",
    base_url="http://localhost:30000/v1",
    base_url_env="SGLANG_BASE_URL",
    api_key_env="SGLANG_API_KEY",
    api_key_required=False,
    description="An SGLang server (vLLM's extras plus separate_reasoning).",
)

LOCAL_PRESETS: tuple[ChatPreset, ...] = (LMSTUDIO, VLLM, SGLANG)
