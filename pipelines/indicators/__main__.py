"""`python -m pipelines.indicators generate|check`: render the catalogue for dbt, or verify it."""

from __future__ import annotations

import sys

from pipelines.indicators.render import write_generated
from pipelines.indicators.validate import catalogue_problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "generate":
        for path in write_generated():
            print(f"written {path}")
        return 0
    if command == "check":
        problems = catalogue_problems()
        for problem in problems:
            print(problem)
        print("catalogue and models agree" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    print("usage: python -m pipelines.indicators generate|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
