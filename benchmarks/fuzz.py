"""Saddle's fuzzers at length (issue 10): the differential fuzzer (generated models against
their direct cvxpy construction, tests/fuzz/generate.py) and the mutation fuzzer (the
shipped models mutated, tests/fuzz/mutate.py).

    python benchmarks/fuzz.py --strategy differential --examples 2000 --seed 1
    python benchmarks/fuzz.py --strategy mutation --examples 2000 --seed 2
    python benchmarks/fuzz.py --strategy both --groups robust,exact --examples 500
    python benchmarks/fuzz.py ... --source /tmp/snapshot      # fuzz another checkout's code
    python benchmarks/fuzz.py ... --json findings.json        # the findings, machine-readable
    python benchmarks/fuzz.py --strategy mutation --kinds range,huge --examples 50

Not a test: a script run by hand. It prints how many models it tried, how many agreed
(differential) or passed (mutation), and every finding once (deduplicated by kind and
where: the exception's location, the error code, or the builtins a wrong answer needs),
each with its smallest model and the discrepancy. Every feature runs, KNOWN_BROKEN ones
too (`--skip-broken` leaves them out). Each check runs under a time limit (SIGALRM) and
the process under a memory limit, so a mutant that hangs or allocates without bound is a
finding ("timeout", "crash:MemoryError") rather than the end of the run.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import signal
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class Timeout(BaseException):
    """Not an Exception: the code under test must not catch it as its own failure."""


def _alarm(signum, frame):
    raise Timeout()


def guarded(fn, seconds: int):
    """fn() under a time limit; a Timeout or MemoryError becomes a finding."""
    from fuzz.oracle import Finding

    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        try:
            return fn()
        finally:
            signal.alarm(0)
    except Timeout:
        return Finding("timeout", f"no answer within {seconds} s")
    except MemoryError:
        return Finding("crash:MemoryError", "the memory limit was reached")
    except Exception as exc:  # noqa: BLE001 - the harness itself: a finding, not the end
        from fuzz.oracle import crash_head
        return Finding("harness:" + type(exc).__name__, crash_head(exc))


def dedup_key(finding, text: str) -> str:
    detail = finding.detail
    if finding.kind.startswith("crash"):
        return finding.kind + " " + (detail.split("\n  at ")[-1] if "\n  at " in detail
                                     else "")
    if finding.kind in ("E900", "unlocated") or finding.kind.startswith("refused"):
        message = next((line for line in detail.splitlines() if "error[" in line), detail)
        message = re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "_", message.split("]: ", 1)[-1])
        return f"{finding.kind} {message[:90]}"
    if finding.kind in ("value", "status"):
        builtins = sorted(set(re.findall(r"\b([a-z_0-9]+)\(", text)) - {"model"})
        sets = sorted(set(re.findall(r"\bin (box|ball|ellipsoid|budget|simplex)\b", text)))
        block = ["block"] if re.search(r"^uncertain \w+\[s\]:", text, re.M) else []
        exact = ["exact"] if "abs(w) >=" in text or "abs(x) >=" in text else []
        return f"{finding.kind} {' '.join(builtins + sets + block + exact)}"
    return finding.kind


def progress(counts: Counter, name: str) -> None:
    if counts["tried"] % 100 == 0:
        print(f"  {name}: {counts['tried']} tried, {counts['agreed']} agreed", flush=True)


def differential(args, record) -> tuple[int, int]:
    from fuzz import generate
    from fuzz.oracle import check
    from fuzz.shrink import shrink
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    groups = sorted(generate.GROUPS) if args.groups == "all" else args.groups.split(",")
    groups = [*groups, "everything"] if args.groups == "all" else groups
    counts = Counter()

    def features(group: str) -> frozenset[str]:
        names = set(generate.FEATURES) if group == "everything" else generate.GROUPS[group]
        return frozenset(names - set(generate.KNOWN_BROKEN)) if args.skip_broken \
            else frozenset(names)

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(groups).flatmap(lambda g: generate.models(features(g))))
    def run(generated):
        counts["tried"] += 1
        progress(counts, "differential")
        outcome = guarded(lambda: check(generated), args.timeout)
        finding = outcome if not isinstance(outcome, tuple) else outcome[2]
        if finding is None:
            counts["agreed"] += 1
            return
        key = dedup_key(finding, generated.text)

        def same(candidate) -> bool:
            found = guarded(lambda: check(candidate), args.timeout)
            found = found if not isinstance(found, tuple) else found[2]
            return found is not None and dedup_key(found, candidate.text) == key

        if record.is_new(key):
            small = shrink(generated, same) if finding.kind != "timeout" else generated
            again = guarded(lambda: check(small), args.timeout)
            finding = again if not isinstance(again, tuple) else again[2] or finding
            record.add(key, finding, small.text, "differential")
        else:
            record.add(key, finding, None, "differential")

    run()
    return counts["tried"], counts["agreed"]


def mutation(args, record) -> tuple[int, int]:
    from fuzz import mutate
    from hypothesis import HealthCheck, Phase, given, seed, settings

    counts = Counter()
    kinds = tuple(k for k in (args.kinds.split(",") if args.kinds else mutate.KINDS)
                  if not (args.skip_broken and k in mutate.KNOWN_BROKEN_MUTATIONS))

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(mutate.mutants(kinds))
    def run(mutant):
        counts["tried"] += 1
        progress(counts, "mutation")
        finding = guarded(lambda: mutate.check_mutant(mutant), args.timeout)
        if finding is None:
            counts["agreed"] += 1
            return
        key = dedup_key(finding, mutant.text)
        if record.is_new(key):
            expensive = finding.kind in ("timeout", "crash:MemoryError")
            small = mutant if expensive else reduce_lines(mutant, key, args.timeout)
            record.add(key, finding, small.text, f"mutation of {mutant.path.name} "
                       f"({', '.join(mutant.kinds)})")
        else:
            record.add(key, finding, None, "mutation")

    run()
    print(f"  mutants gave: {dict(sorted(mutate.OUTCOMES.items()))}", flush=True)
    return counts["tried"], counts["agreed"]


def reduce_lines(mutant, key: str, timeout: int):
    """Delete lines (then comments) while the same finding remains."""
    from fuzz import mutate

    def same(text: str) -> bool:
        candidate = mutate.Mutant(mutant.path, text, mutant.kinds)
        found = guarded(lambda: mutate.check_mutant(candidate), timeout)
        return found is not None and dedup_key(found, text) == key

    lines = [line for line in mutant.text.splitlines(keepends=True)
             if not line.lstrip().startswith("#") or line.strip() == ""]
    lines = [line for line in lines if line.strip()]
    if not same("".join(lines)):
        lines = mutant.text.splitlines(keepends=True)
    i, budget = 0, 80
    while i < len(lines) and budget > 0:
        budget -= 1
        trial = lines[:i] + lines[i + 1:]
        if same("".join(trial)):
            lines = trial
        else:
            i += 1
    return mutate.Mutant(mutant.path, "".join(lines), mutant.kinds)


class Record:
    """Findings by dedup key: the first (shrunk) model and how often each was hit."""

    def __init__(self, path: Path | None = None):
        self.items: dict[str, dict] = {}
        self.path = path          # rewritten at each new finding: readable mid-run
        self.totals: dict[str, tuple[int, int]] = {}

    def is_new(self, key: str) -> bool:
        return key not in self.items

    def add(self, key: str, finding, text: str | None, source: str) -> None:
        if key in self.items:
            self.items[key]["count"] += 1
            return
        self.items[key] = {"key": key, "kind": finding.kind, "detail": finding.detail,
                           "model": text, "source": source, "count": 1}
        print(f"  new finding: {key}", flush=True)
        self.save()

    def save(self) -> None:
        if self.path:
            self.path.write_text(json.dumps({"totals": self.totals,
                                             "findings": list(self.items.values())}, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", choices=["differential", "mutation", "both"],
                        default="both")
    parser.add_argument("--examples", type=int, default=500, help="per strategy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--groups", default="all",
                        help="differential feature groups (generate.GROUPS), comma-separated")
    parser.add_argument("--kinds", help="mutation kinds (mutate.KINDS), comma-separated")
    parser.add_argument("--skip-broken", action="store_true",
                        help="leave out the KNOWN_BROKEN features and mutation kinds")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per check")
    parser.add_argument("--memory-gb", type=float, default=6.0)
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the checkout whose compiler/ and dsl/ are fuzzed")
    parser.add_argument("--json", type=Path, help="write the findings here")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(REPO / "tests"), str(args.source)]
    limit = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    record = Record(args.json)
    started = time.perf_counter()
    totals = {}
    for name, run in (("differential", differential), ("mutation", mutation)):
        if args.strategy in (name, "both"):
            tried, agreed = run(args, record)
            totals[name] = record.totals[name] = (tried, agreed)
            record.save()
            print(f"{name}: tried {tried}, agreed {agreed}, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    print(f"\n{len(record.items)} distinct findings")
    for item in record.items.values():
        print(f"\n=== {item['key']}  (x{item['count']}, {item['source']})\n{item['detail']}")
        if item["model"]:
            print("--- model\n" + item["model"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
