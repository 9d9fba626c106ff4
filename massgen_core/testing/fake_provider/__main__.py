"""``python -m massgen_core.testing.fake_provider --port 4010 [--latency 0.05]``: serve echo replies."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .server import DEFAULT_MODELS, FakeProviderServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m massgen_core.testing.fake_provider",
        description="Run the fake OpenAI/Anthropic/Gemini server in the foreground with echo replies.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4010, help="port (0 picks a free one; default 4010)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before the headers and before each chunk"
    )
    parser.add_argument("--api-key", default=None, help="reject requests that do not carry this key")
    parser.add_argument("--model", action="append", dest="models", help="model id to list (repeatable)")
    args = parser.parse_args(argv)

    server = FakeProviderServer(
        host=args.host,
        port=args.port,
        models=args.models or DEFAULT_MODELS,
        api_key=args.api_key,
        default_latency=args.latency,
    )
    done = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with server:
        print(f"fake provider listening on {server.url}", flush=True)
        print(f"  OpenAI    base_url={server.openai_base_url}", flush=True)
        print(f"  Anthropic base_url={server.anthropic_base_url}", flush=True)
        print(f"  Gemini    base_url={server.gemini_base_url} (api_version v1beta or v1)", flush=True)
        while not done.wait(0.5):
            pass
    print("fake provider stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
