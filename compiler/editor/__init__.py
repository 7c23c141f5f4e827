"""Editor support: the language server (`saddle lsp`) and what it computes from a model's
text, kept apart from the protocol (document.py, navigation.py know nothing of pygls)."""
