"""Why a model is infeasible or unbounded, in its own names."""
