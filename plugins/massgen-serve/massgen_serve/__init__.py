"""MassGen teams served as OpenAI-compatible models: ``massgen serve --config team.yaml``.

Each config is a model (named by its ``name:`` key, else its file stem). ``POST
/v1/chat/completions`` and ``POST /v1/responses`` run one coordination per request;
``GET /v1/models`` lists the teams; ``GET /health`` answers without a key. ``/`` is the web
view of the runs (:mod:`.web`), which ``massgen view LOG_DIR`` (:mod:`.view_cli`) serves alone.

The pieces: :mod:`.plugin` (the entry point: declares the command, imports nothing heavy),
:mod:`.cli` (the command's options and its safety checks), :mod:`.catalog` (configs as models),
:mod:`.wire` and :mod:`.responses_wire` (the OpenAI wire formats), :mod:`.runs` (a request's
coordination as the pieces a reply is made of), :mod:`.limits` (admission, body size, time),
:mod:`.auth` (bearer keys), :mod:`.listening` (the address and key rules both commands share),
:mod:`.app` (the Starlette application) and :mod:`.web` (the pages, fed by following run logs).
"""
