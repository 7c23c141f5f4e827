"""Start-up as whole processes (issue 12: "`saddle check models/treasury.saddle` <= 1.3x
`python -c "import cvxpy, dsp"`", "`saddle --help` <= 0.3 s").

    python benchmarks/bench_startup.py [--repeat 7] [--bytecode both|cached|as-is]
                                       [--model models/treasury.saddle]

Not a test: a script run by hand. Each command is a fresh interpreter; the commands are
interleaved (the order alternates every repeat) so that the machine's load hits them alike.
Per command: the median and range of wall time and of CPU time (user + system of the
child: less sensitive to other processes on a shared machine), and the ratio to the bare
import per repeat (median and range). The load average is printed before and after.

Two bytecode conditions, because they differ by ~0.15 s:

* cached   Python writes and reads bytecode as it does for an installed package (a private
           PYTHONPYCACHEPREFIX, filled by a warm-up run; the working tree is not touched).
* as-is    the environment as it is. With PYTHONDONTWRITEBYTECODE=1 and an editable
           install (this project's sandbox) no `__pycache__` exists under compiler/ and
           dsl/, so every process compiles each Saddle module it imports from source;
           cvxpy's and pandas' bytecode was written when they were installed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure(commands: dict[str, list[str]], env: dict[str, str], repeat: int
            ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    for command in commands.values():  # warm the file cache, the parser and bytecode caches
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True, env=env)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for k in range(repeat):
        for name in (list(commands) if k % 2 == 0 else list(reversed(commands))):
            started, cpu_before = time.perf_counter(), _cpu()
            subprocess.run(commands[name], cwd=ROOT, capture_output=True, check=True, env=env)
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(_cpu() - cpu_before)
    return wall, cpu


def _line(values: list[float], base: list[float]) -> str:
    ratios = [v / b for v, b in zip(values, base, strict=True)]
    return (f"{statistics.median(values):6.3f} s [{min(values):.3f}-{max(values):.3f}] "
            f"x{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--bytecode", choices=("both", "cached", "as-is"), default="both")
    parser.add_argument("--model", default="models/treasury.saddle")
    args = parser.parse_args()
    saddle = str(Path(sys.executable).with_name("saddle"))
    commands = {
        "import": [sys.executable, "-c", "import cvxpy, dsp"],
        "check": [saddle, "check", args.model],
        "help": [saddle, "--help"],
        "fmt": [saddle, "fmt", args.model],
    }
    conditions = ("cached", "as-is") if args.bytecode == "both" else (args.bytecode,)
    print(f"{args.repeat} interleaved repeats; ratio = time / the bare import's in the same "
          f"repeat; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    with tempfile.TemporaryDirectory() as prefix:
        for condition in conditions:
            env = dict(os.environ)
            if condition == "cached":
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                env["PYTHONPYCACHEPREFIX"] = prefix
            load = os.getloadavg()[0]
            wall, cpu = measure(commands, env, args.repeat)
            print(f"bytecode {condition}; load average {load:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after")
            print(f"  {'':7s} {'wall':38s} cpu")
            for name in commands:
                print(f"  {name:7s} {_line(wall[name], wall['import'])}   "
                      f"{_line(cpu[name], cpu['import'])}")
    print("targets: check / import <= 1.3 (whole processes), help <= 0.3 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
