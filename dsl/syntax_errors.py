"""Syntax error examples for Lark's `match_examples`, and user-facing names of tokens.

Each code maps to (message, help, [malformed snippets]). A snippet is a whole small model
that fails the way a user's model would; the parser state at the failure selects the code.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, str, list[str]]] = {
    "E104": (
        "expected ':' after the name",
        "put a colon after the objective's or constraint's name, as in `maximize carry:` "
        "or `capital: sum(abs(w)) <= 5`.",
        [
            "maximize carry\n    sum(x)\n",
            "minimize risk sum(x)\n",
            "maximize carry sum(x)\n",
            "subject to\n    cap sum(w) <= 1\n",
        ],
    ),
    "E106": (
        "expected '=' in the declaration",
        "give the value after '=', as in `param repo = 0.02` or `set tenor = [\"5Y\", \"10Y\"]`.",
        [
            "set s [1, 2]\n",
            "set s 1\n",
            "let e x\n",
            "let e[s] x\n",
        ],
    ),
}

TOKEN_NAMES: dict[str, str] = {
    "NAME": "a name",
    "NUMBER": "a number",
    "QUANTITY": "a number with a unit",
    "MONEY": "an amount such as $250M",
    "STRING": "a string",
    "_NL": "end of line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "_COLON": "':'",
    "_SUBJECT_TO": "'subject to'",
    "SENSE": "'minimize' or 'maximize'",
    "REL": "a comparison (<=, >=, ==)",
    "FLAG": "a variable attribute (integer, binary, nonneg, psd, ...)",
    "POW_OP": "'^'",
    "DOLLAR_UNIT": "a dollar unit ($, $k, $M, $bn)",
    "PERCENT": "'%'",
    "$END": "end of file",
}
