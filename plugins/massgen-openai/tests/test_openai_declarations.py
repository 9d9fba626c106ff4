"""What the plugin declares: cheap entry point, backend types, capabilities, option checks."""

from __future__ import annotations

import subprocess
import sys

import pytest
from massgen_core.testing.backends import installed_registry, option_requirements

from massgen_openai import plugin
from massgen_openai.options import AzureOpenAIOptions, ChatCompletionOptions, GrokOptions, OpenAIOptions

TYPES = {"openai", "azure_openai", "grok", "chatcompletion", "cerebras", "together", "fireworks", "groq"}
TYPES |= {"openrouter", "zai", "nebius", "moonshot", "qwen"}


def test_entry_point_imports_no_sdk() -> None:
    code = (
        "import sys, massgen_openai.plugin as p; p.massgen_backend_types();"
        "heavy = {'openai', 'httpx2', 'httpx', 'pydantic'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_type_is_registered_through_the_entry_point() -> None:
    registry = installed_registry()
    assert set(registry.backends) >= TYPES
    for name in TYPES:
        assert registry.entry(name).distribution == "massgen-openai"
    assert not [r for r in registry.host.failures if r.name == "openai"]


def test_factories_resolve() -> None:
    for spec in plugin.BACKENDS:
        assert callable(spec.load_factory())


# The seed's Feature Comparison rows for the listed columns: what the generated table must show.
SEED_TABLE = {
    "openai": {
        "web_search",
        "code_execution",
        "image_understanding",
        "image_generation",
        "audio_understanding",
        "audio_generation",
        "video_generation",
        "mcp",
        "filesystem_mcp",
    },
    "azure_openai": {
        "web_search",
        "code_execution",
        "image_understanding",
        "image_generation",
        "mcp",
        "filesystem_mcp",
    },
    "grok": {"web_search", "mcp", "filesystem_mcp"},
    "chatcompletion": {"audio_understanding", "video_understanding", "mcp", "filesystem_mcp"},
}
TABLE_KINDS = {
    "web_search",
    "code_execution",
    "bash",
    "image_understanding",
    "image_generation",
    "audio_understanding",
    "audio_generation",
    "video_understanding",
    "video_generation",
    "mcp",
    "filesystem_native",
    "filesystem_mcp",
}


@pytest.mark.parametrize("backend_type", sorted(SEED_TABLE))
def test_table_capabilities_match_the_seed(backend_type: str) -> None:
    spec = installed_registry().spec(backend_type)
    assert spec.listed
    assert spec.capabilities & TABLE_KINDS == SEED_TABLE[backend_type]


def test_presets_stay_out_of_the_table() -> None:
    registry = installed_registry()
    listed = {t for t, e in registry.backends.items() if e.plugin == "openai" and e.spec.listed}
    assert listed == set(SEED_TABLE)


@pytest.mark.parametrize(
    ("model", "has", "lacks"),
    [
        ("gpt-5", {"reasoning", "verbosity"}, {"sampling"}),
        ("gpt-5-nano", {"reasoning", "web_search"}, {"sampling"}),
        # gpt-4o keeps `verbosity`: it accepts `medium` (the value is checked by the option's validator)
        ("gpt-4o", {"sampling", "image_understanding", "verbosity"}, {"reasoning"}),
        ("o4-mini", {"reasoning"}, {"sampling", "verbosity"}),
        ("some-future-model", {"reasoning", "sampling"}, set()),
    ],
)
def test_per_model_capabilities(model: str, has: set[str], lacks: set[str]) -> None:
    caps = installed_registry().spec("openai").capabilities_for(model)
    assert has <= caps
    assert not lacks & caps


def test_prices_for_known_openai_models() -> None:
    spec = installed_registry().spec("openai")
    for name in ("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4o", "gpt-4o-mini", "o4-mini"):
        model = spec.model(name)
        assert model is not None and model.input_price and model.output_price


def test_model_names_infer_the_backend_type() -> None:
    registry = installed_registry()
    assert registry.infer_type("gpt-5") == "openai"
    assert registry.infer_type("gpt-4o-mini-2024-07-18") == "openai"
    assert registry.infer_type("grok-3-mini") == "grok"
    assert registry.infer_type("glm-4.5-air") == "zai"


@pytest.mark.parametrize(
    ("options", "field", "kind"),
    [
        (OpenAIOptions, "reasoning", "reasoning"),
        (OpenAIOptions, "text", "verbosity"),
        (OpenAIOptions, "temperature", "sampling"),
        (OpenAIOptions, "enable_web_search", "web_search"),
        (OpenAIOptions, "enable_code_interpreter", "code_execution"),
        (OpenAIOptions, "enable_image_generation", "image_generation"),
        (AzureOpenAIOptions, "enable_web_search", "web_search"),
        (GrokOptions, "enable_web_search", "web_search"),
        (ChatCompletionOptions, "reasoning_effort", "reasoning"),
    ],
)
def test_options_name_the_capability_they_need(options: type, field: str, kind: str) -> None:
    assert option_requirements(options)[field] == kind


def test_every_required_capability_is_declared_somewhere() -> None:
    registry = installed_registry()
    for spec in plugin.BACKENDS:
        for name, kind in option_requirements(spec.options_class).items():
            if kind is not None:
                assert kind in registry.kinds, (spec.type, name)
