"""OpenAI-compatible Chat Completions providers, as data.

A :class:`ChatPreset` knows a provider's base URL, its API-key env vars and the hosts that
identify it. Each registered preset becomes its own backend type (``type: groq``), and the generic
``chatcompletion`` type uses the presets to pick the API key from the env var that matches its
``base_url`` when the config gives none. Other plugins (``massgen-local``) declare their own
presets and build their specs with :func:`preset_spec`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from massgen_core.plugin import BackendSpec, ModelSpec

if TYPE_CHECKING:  # keeps the entry point's import light
    from massgen_core.plugin import BackendContext

from .capability_kinds import SAMPLING

__all__ = [
    "CHAT_CAPABILITIES",
    "CHAT_PRESETS",
    "OPENAI_PRESET",
    "ChatPreset",
    "match_preset",
    "preset_spec",
    "resolve_chat_api_key",
]

#: What every OpenAI-compatible Chat Completions backend can do (reasoning: it reads
#: ``reasoning_content`` / ``reasoning`` deltas and accepts ``reasoning_effort``).
CHAT_CAPABILITIES: frozenset[str] = frozenset(
    {
        "streaming",
        "tool_calling",
        "parallel_tool_calls",
        "reasoning",
        "multi_turn",
        "mcp",
        "filesystem_mcp",
        SAMPLING,
    }
)

#: Sent when a server needs no key (the SDK insists on one; vLLM's convention).
NO_KEY = "EMPTY"


def _tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True, kw_only=True)
class ChatPreset:
    """One OpenAI-compatible provider.

    :param name: its backend type (``"groq"``).
    :param display_name: a human name (``"Groq"``).
    :param base_url: the default endpoint, ``/v1`` included.
    :param api_key_env: env vars that may hold its key, in order.
    :param hosts: host names (or domain suffixes) that identify it in a ``base_url``.
    :param api_key_required: whether requests need a key (local servers: no).
    :param placeholder_key: sent when no key is needed and none is given.
    :param base_url_env: env vars that may hold the base URL.
    :param add: capabilities beyond :data:`CHAT_CAPABILITIES`; ``remove``: ones it lacks.
    :param register: declare it as a backend type of its own.
    """

    name: str
    display_name: str
    base_url: str
    api_key_env: Sequence[str] = ()
    hosts: Sequence[str] = ()
    models: Sequence[ModelSpec] = ()
    default_model: str | None = None
    model_patterns: Sequence[str] = ()
    api_key_required: bool = True
    placeholder_key: str = NO_KEY
    base_url_env: Sequence[str] = ()
    add: AbstractSet[str] = frozenset()
    remove: AbstractSet[str] = frozenset()
    description: str = ""
    register: bool = True

    def __post_init__(self) -> None:  # a plain frozen dataclass: no attrs on the listing path
        for name in ("api_key_env", "hosts", "model_patterns", "base_url_env"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "add", frozenset(self.add))
        object.__setattr__(self, "remove", frozenset(self.remove))

    def matches(self, base_url: str | None) -> bool:
        from urllib.parse import urlsplit  # not on the listing path

        host = (urlsplit(base_url).hostname or "").lower() if base_url else ""
        return bool(host) and any(host == h or host.endswith("." + h) for h in self.hosts)

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset((CHAT_CAPABILITIES | self.add) - self.remove)


def _glm(name: str) -> ModelSpec:
    return ModelSpec(name=name, context_window=128_000)


#: api.openai.com itself: used to pick OPENAI_API_KEY for ``chatcompletion``; not its own type
#: (``openai`` is the Responses API backend).
OPENAI_PRESET = ChatPreset(
    name="openai_chat",
    display_name="OpenAI",
    base_url="https://api.openai.com/v1",
    api_key_env="OPENAI_API_KEY",
    hosts="api.openai.com",
    register=False,
)

CHAT_PRESETS: tuple[ChatPreset, ...] = (
    ChatPreset(
        name="cerebras",
        display_name="Cerebras",
        base_url="https://api.cerebras.ai/v1",
        api_key_env="CEREBRAS_API_KEY",
        hosts="cerebras.ai",
        default_model="gpt-oss-120b",
        description="Cerebras inference (gpt-oss-120b, Llama, Qwen) over Chat Completions.",
    ),
    ChatPreset(
        name="together",
        display_name="Together AI",
        base_url="https://api.together.xyz/v1",
        api_key_env="TOGETHER_API_KEY",
        hosts=("together.xyz", "together.ai"),
        description="Together AI open models over Chat Completions.",
    ),
    ChatPreset(
        name="fireworks",
        display_name="Fireworks AI",
        base_url="https://api.fireworks.ai/inference/v1",
        api_key_env="FIREWORKS_API_KEY",
        hosts="fireworks.ai",
        description="Fireworks AI open models over Chat Completions.",
    ),
    ChatPreset(
        name="groq",
        display_name="Groq",
        base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
        hosts="groq.com",
        description="Groq LPU inference over Chat Completions.",
    ),
    ChatPreset(
        name="openrouter",
        display_name="OpenRouter",
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        hosts="openrouter.ai",
        description="OpenRouter: many providers' models behind one Chat Completions API.",
    ),
    ChatPreset(
        name="zai",
        display_name="Z.ai (GLM)",
        base_url="https://api.z.ai/api/paas/v4",
        api_key_env="ZAI_API_KEY",
        hosts=("z.ai", "bigmodel.cn"),
        models=(_glm("glm-4.5"), _glm("glm-4.5-air")),
        default_model="glm-4.5",
        model_patterns=("glm-4.5*",),
        description="Zhipu AI / Z.ai GLM-4.5 models (reasoning streamed as reasoning_content).",
    ),
    ChatPreset(
        name="nebius",
        display_name="Nebius AI Studio",
        base_url="https://api.studio.nebius.com/v1",
        api_key_env="NEBIUS_API_KEY",
        hosts=("nebius.com", "nebius.ai"),
        description="Nebius AI Studio open models over Chat Completions.",
    ),
    ChatPreset(
        name="moonshot",
        display_name="Moonshot (Kimi)",
        base_url="https://api.moonshot.ai/v1",
        api_key_env=("MOONSHOT_API_KEY", "KIMI_API_KEY"),
        hosts=("moonshot.ai", "moonshot.cn"),
        description="Moonshot AI Kimi models (api.moonshot.cn for the China platform: set base_url).",
    ),
    ChatPreset(
        name="qwen",
        display_name="Qwen (DashScope)",
        base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        api_key_env=("QWEN_API_KEY", "DASHSCOPE_API_KEY"),
        hosts="aliyuncs.com",
        add={"audio_understanding", "video_understanding", "image_understanding"},
        description="Alibaba Qwen models through DashScope's OpenAI-compatible mode.",
    ),
    ChatPreset(
        name="poe",
        display_name="Poe",
        base_url="https://api.poe.com/v1",
        api_key_env="POE_API_KEY",
        hosts="poe.com",
        description="Poe bots and models over Chat Completions.",
    ),
    OPENAI_PRESET,
)


def match_preset(base_url: str | None, presets: Iterable[ChatPreset] = CHAT_PRESETS) -> ChatPreset | None:
    """The preset whose host appears in ``base_url``, if any."""
    return next((p for p in presets if p.matches(base_url)), None)


def resolve_chat_api_key(
    context: BackendContext,
    *,
    presets: Iterable[ChatPreset] = CHAT_PRESETS,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The key to send.

    In order: the config's key (or the backend type's env var, as the core resolved it); else the
    env var of the preset whose host is in the base URL (or of the backend type's own preset);
    else the preset's placeholder, or a placeholder for unknown (local) servers. Raises
    :class:`~massgen_core.plugin.AuthenticationError` naming the env var when the base URL belongs
    to a provider whose key is not set.
    """
    if context.api_key:
        return context.api_key
    presets = tuple(presets)
    own = next((p for p in presets if p.name == context.backend_type), None)
    preset = match_preset(context.base_url, presets) or own
    if preset is None:
        return NO_KEY
    env = context.environ if environ is None else environ
    key = next((env[v] for v in preset.api_key_env if env.get(v)), None)
    if key:
        return key
    if preset.api_key_required:
        from massgen_core.plugin import missing_api_key  # the error helpers stay off the listing path

        error = missing_api_key(f"{context.backend_type} ({preset.display_name})", preset.api_key_env)
        error.model = context.model
        raise error
    return preset.placeholder_key


def preset_spec(
    preset: ChatPreset,
    *,
    factory: str,
    options: str | type,
    provider: str | None = None,
    listed: bool = False,
) -> BackendSpec:
    """The :class:`BackendSpec` of a preset's own backend type."""
    return BackendSpec(
        type=preset.name,
        display_name=preset.display_name,
        provider=provider or preset.display_name,
        factory=factory,
        options=options,
        capabilities=preset.capabilities,
        models=preset.models,
        default_model=preset.default_model,
        model_patterns=preset.model_patterns,
        api_key_env=preset.api_key_env,
        api_key_required=preset.api_key_required,
        default_base_url=preset.base_url,
        base_url_env=preset.base_url_env,
        listed=listed,
        description=preset.description or f"{preset.display_name} over Chat Completions.",
    )
