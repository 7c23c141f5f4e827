"""Scenario CVaR at scale: cutting planes on a persistent HiGHS master instead of the
Rockafellar-Uryasev LP when a CVaR term has many scenarios (compiler/scale/scenario_cvar.py)."""
