"""``massgen sessions``: list saved multi-turn sessions, or show one's turns."""

from __future__ import annotations

from collections.abc import Sequence

from .format import argument_parser, print_json, print_table


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: Sequence[str]) -> int:
    parser = argument_parser(
        prog="massgen sessions",
        description="List saved sessions (resume one with massgen --session-id ID or --continue).",
    )
    parser.add_argument("session_id", nargs="?", help="show this session's turns")
    parser.add_argument("--dir", metavar="DIR", help="where sessions are saved (default .massgen/sessions)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ..records.sessions import DEFAULT_SESSION_ROOT, SessionStore

    store = SessionStore(args.dir or DEFAULT_SESSION_ROOT)
    if args.session_id:
        turns = store.open(args.session_id).turns()
        if args.json:
            print_json([t.to_dict() for t in turns])
            return 0
        turn_rows = [
            (str(t.number), str(t.status), _clip(t.question), _clip(t.final_answer or t.error or ""))
            for t in turns
        ]
        print_table(("turn", "status", "question", "final answer"), turn_rows)
        return 0
    summaries = []
    for session in store.list():
        saved = session.turns()
        last = saved[-1].question if saved else ""
        summaries.append((session.id, session.created_at() or "", len(saved), last))
    if args.json:
        keys = ("id", "created_at", "turns", "last_question")
        print_json([dict(zip(keys, s, strict=True)) for s in summaries])
        return 0
    if not summaries:
        print(f"no sessions in {store.root}")
        return 0
    rows = [(sid, created, str(n), _clip(last)) for sid, created, n, last in summaries]
    print_table(("id", "created", "turns", "last question"), rows)
    return 0
