"""Uncertainty sets: one class per kind of set the adversary may choose from.

* `base.py`: `UncertaintySet`, the abstract class every set derives from; it declares each
  method a set must provide (validation, the adversary's variable and rows for the
  saddle-point backend, the support function for the counterpart, its numeric value and
  maximizer for the certificate and the worst-case report, element bounds, boundedness).
* `registry.py`: the DSL name -> class map (`box`, `ball`, ...), filled by `@register`,
  which refuses a class that misses a method.
* one module per set: `box.py`, `ball.py`, `normball.py`, `ellipsoid.py`, `budget.py`,
  `simplex.py` (written as a call), `polyhedron.py` (a block of linear lines) and
  `block.py` (any other convex block, and the PSD matrix block).
* `build.py`: a declaration's set, evaluated and checked (E410).

Adding a set is one class in its own module, registered with `@register`, plus its tests.
"""
