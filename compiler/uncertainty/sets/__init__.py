"""One module per uncertainty set; `registry.py` finds every set class defined here."""
