"""Results and how they are shown: Result, tables, JSON, HTML, LaTeX, plots, risk."""
