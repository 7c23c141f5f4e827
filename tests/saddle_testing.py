"""Small helpers shared by the compiler tests."""

import os
from pathlib import Path

import pytest

from compiler import compile_model, loads
from dsl import SpecError

HEADER = 'model m "test"\n'
# A MIP solver's integer values are integers to its feasibility tolerance, not bit for bit
# (HiGHS 1.16 returns -1.0000000000000486): compare with this.
INTEGRALITY = 1e-6
REPO = Path(__file__).resolve().parents[1]


def shared_folder() -> Path:
    """The shared folder beside the checkout (`../shared`), or `$SADDLE_SHARED`.

    Tests reach it through the `shared` fixture (tests/conftest.py); oracle modules that
    read the paper's data call this."""
    override = os.environ.get("SADDLE_SHARED")
    return Path(override) if override else REPO.parent / "shared"


# a five-asset book with a scenario CVaR limit and uncertain returns (a model body)
TAIL_VOL = (0.010, 0.014, 0.018, 0.022, 0.026)
TAIL_MU = (0.0005, 0.0008, 0.0010, 0.0013, 0.0015)


def robust_tail_book(uncertain: str, scenarios: int = 3000, level: float = 0.95,
                     limit: float = 0.03) -> str:
    """The body: maximize the worst-case `sum(r * w)` with `r in <uncertain>` (which may
    use `mu`), long only, at most 0.6 each, CVaR(level) of the scenario loss <= limit."""
    return f"""
set asset = 1..{len(TAIL_VOL)}
param vol[asset] = [{", ".join(map(repr, TAIL_VOL))}]
param mu[asset] = [{", ".join(map(repr, TAIL_MU))}]
scenarios shock[{scenarios}, asset] ~ normal(0, 1, seed = 7)
uncertain r[asset] in {uncertain}
variable w[asset]
let pnl = shock @ (vol * w)
maximize ret: sum(r * w)
subject to
    budget: sum(w) == 1
    long: w >= 0
    cap: w <= 0.6
    tail: cvar({level}, -pnl) <= {limit}
"""


def compile_text(body: str, **kwargs):
    """Compile a model body (the header is added)."""
    return compile_model(loads(HEADER + body, "m.saddle"), **kwargs)


def first_error(body: str, **kwargs):
    """The first diagnostic of a model body that must fail to compile."""
    with pytest.raises(SpecError) as info:
        compile_text(body, **kwargs)
    return info.value.diagnostics[0]


def updating_goldens(request) -> bool:
    """`pytest --update-goldens` (or SADDLE_UPDATE_GOLDENS=1): rewrite golden files."""
    if os.environ.get("SADDLE_UPDATE_GOLDENS") == "1":
        return True
    try:
        return bool(request.config.getoption("--update-goldens", default=False))
    except ValueError:  # the option is not registered (no tests/conftest.py)
        return False


def check_golden(request, golden: Path, rendered: str) -> None:
    """`rendered` must equal the golden file. A missing golden fails (it is written only by
    `--update-goldens`, so a run never passes on a file it wrote itself)."""
    if updating_goldens(request):
        golden.write_text(rendered, encoding="utf-8")
    elif not golden.exists():
        pytest.fail(f"golden {golden.name} is missing: write it with --update-goldens and "
                    "review it")
    assert rendered == golden.read_text(encoding="utf-8"), \
        f"{golden.name} changed: review, then --update-goldens"
