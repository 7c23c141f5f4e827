"""Shrink a generated model that shows a finding, keeping its text and its direct
construction in step: drop constraints, exact forms and objective terms while the same
finding remains, then the declarations nothing mentions any more."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from fuzz.generate import Generated
from fuzz.spec import Spec

Still = Callable[[Generated], bool]


def shrink(generated: Generated, still: Still, budget: int = 60) -> Generated:
    best = generated
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for candidate in _candidates(best):
            tries += 1
            if still(candidate):
                best, changed = candidate, True
                break
            if tries >= budget:
                break
    return best


def _rebuilt(spec: Spec, expect_error: bool) -> Generated:
    _drop_unused(spec)
    return Generated(spec.text(), spec, expect_error)


def _candidates(generated: Generated):
    spec = generated.spec
    for table in ("constraints", "exact"):
        for name in list(getattr(spec, table)):
            smaller = copy.copy(spec)
            setattr(smaller, table, {k: v for k, v in getattr(spec, table).items()
                                     if k != name})
            smaller.decls, smaller.lets = list(spec.decls), list(spec.lets)
            smaller.variables = dict(spec.variables)
            yield _rebuilt(smaller, generated.expect_error)
    if len(spec.parts) > 1:
        for i in range(len(spec.parts)):
            smaller = copy.copy(spec)
            smaller.decls, smaller.lets = list(spec.decls), list(spec.lets)
            smaller.variables = dict(spec.variables)
            smaller.set_objective(spec.parts[:i] + spec.parts[i + 1:])
            yield _rebuilt(smaller, generated.expect_error)


def _mentioned(name: str, lines: list[str]) -> bool:
    pattern = re.compile(rf"(?<![\w\"]){re.escape(name)}(?![\w\"])")
    return any(pattern.search(line) for line in lines)


def _drop_unused(spec: Spec) -> None:
    """Params, lets, uncertain quantities and decisions (other than w) nothing mentions."""
    changed = True
    while changed:
        changed = False
        body = [spec.objective.text] + [c.text for c in spec.constraints.values()] + \
            [c.text for c in spec.exact.values()]
        for i, line in enumerate(spec.decls + spec.lets):
            match = re.match(r"(param|let|uncertain|scenarios) (\w+)", line)
            if not match:
                continue
            others = body + [x for j, x in enumerate(spec.decls + spec.lets) if j != i]
            if not _mentioned(match.group(2), others):
                if i < len(spec.decls):
                    spec.decls.pop(i)
                else:
                    spec.lets.pop(i - len(spec.decls))
                changed = True
                break
    body = [spec.objective.text] + [c.text for c in spec.constraints.values()] + \
        [c.text for c in spec.exact.values()] + spec.lets + spec.decls
    for name in [n for n in spec.variables if n != "w"]:
        if not _mentioned(name, body):
            del spec.variables[name]
