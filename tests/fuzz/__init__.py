"""Saddle's differential and mutation fuzzers (issue 10).

generate.py draws well-typed models with their own direct cvxpy construction (terms.py,
uncertainty.py); oracle.py solves both and compares; mutate.py mutates the shipped models.
benchmarks/fuzz.py runs them at length."""
