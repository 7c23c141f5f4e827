"""The mutation fuzzer in the suite: the shipped models mutated (tests/fuzz/mutate.py:
token swaps, deletions and insertions, changed operators and numbers including 0, -0 and
1e309, renamed names, deleted, duplicated, swapped and re-indented lines) give a located
SpecError that is never E900, or a Result with a status: never another exception.
Supersedes tests/compiler/test_check_fuzz.py's single-character mutations (which stopped
at compile_model, without solving)."""

import signal

from hypothesis import HealthCheck, given, settings

from fuzz.mutate import KINDS, KNOWN_BROKEN_MUTATIONS, MODELS, check_mutant, mutants

SECONDS = 30  # per mutant: a hang is a finding, not a stuck suite


def _timeout(signum, frame):
    raise TimeoutError(f"no answer within {SECONDS} s")


@settings(max_examples=120, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutants())
def test_mutants_give_a_spec_error_or_a_result(mutant):
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(SECONDS)
    try:
        finding = check_mutant(mutant)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert finding is None, (f"{finding.kind} after {mutant.kinds} of {mutant.path.name}:\n"
                             f"{finding.detail}\n--- mutant\n{mutant.text}")


def test_there_are_models_and_mutations():
    assert len(MODELS) >= 10
    assert set(KNOWN_BROKEN_MUTATIONS) <= set(KINDS)
