"""Write massgen_core/eval/data/basic.jsonl: the offline dataset shipped for ``massgen eval``.

Generated (deterministically: ``python scripts/make_eval_dataset.py``) so every answer is computed,
not typed: 10 arithmetic questions, 10 capitals, 10 unit conversions.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "massgen_core" / "eval" / "data" / "basic.jsonl"

CAPITALS = [
    ("France", "Paris"),
    ("Japan", "Tokyo"),
    ("Italy", "Rome"),
    ("Egypt", "Cairo"),
    ("Canada", "Ottawa"),
    ("Australia", "Canberra"),
    ("Spain", "Madrid"),
    ("Kenya", "Nairobi"),
    ("Peru", "Lima"),
    ("Norway", "Oslo"),
]
CONVERSIONS = [  # (from unit, to unit, factor)
    ("kilometres", "metres", 1000),
    ("hours", "minutes", 60),
    ("kilograms", "grams", 1000),
    ("metres", "centimetres", 100),
    ("minutes", "seconds", 60),
    ("litres", "millilitres", 1000),
    ("feet", "inches", 12),
    ("days", "hours", 24),
    ("yards", "feet", 3),
    ("weeks", "days", 7),
]


def lines() -> list[dict[str, object]]:
    rng = random.Random(27)
    found: list[dict[str, object]] = []
    for n in range(1, 11):
        a, b = rng.randint(12, 99), rng.randint(3, 29)
        op = ["+", "-", "*"][n % 3]
        value = {"+": a + b, "-": a - b, "*": a * b}[op]
        found.append(
            {
                "id": f"arith-{n}",
                "question": f"What is {a} {op} {b}? Answer with the number only.",
                "answer": value,
                "scorer": "numeric",
            }
        )
    for n, (country, capital) in enumerate(CAPITALS, start=1):
        found.append(
            {
                "id": f"capital-{n}",
                "question": f"What is the capital of {country}? Answer with the city's name only.",
                "answer": capital,
                "scorer": "contains",
            }
        )
    for n, (source, target, factor) in enumerate(CONVERSIONS, start=1):
        amount = rng.randint(2, 9)
        found.append(
            {
                "id": f"unit-{n}",
                "question": f"How many {target} are in {amount} {source}? Answer with the number only.",
                "answer": amount * factor,
                "scorer": "numeric",
            }
        )
    return found


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(line) + "\n" for line in lines()), encoding="utf-8")
    print(f"wrote {OUT}")
