#!/usr/bin/env python
"""`make bench`: webhook-to-pop latency at scale (the run itself is in scripts/bench_load.py for now)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.bench_load import main, prefixes  # noqa: E402, F401  (prefixes: scripts/bench_search.py dials them too)

if __name__ == "__main__":
    sys.exit(main())
