"""The front of the pipeline: the IR, name resolution, shapes, units, exact forms, convexity."""
