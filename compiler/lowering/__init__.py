"""Lowering checked expressions to cvxpy (or numpy for data): the evaluator and tensor helpers."""
