"""Binding a handler's arguments to a task's input. Pure.

A task's input is {"params": {...}, "upstream": {"<task>": <result>, ...}}.
Each parameter of the handler function is bound, in this order, from:
  1. the task config's "arguments" entry for it, which the flow tracer writes
     ({"upstream": "extract"}, {"param": "q"} or {"value": 3});
  2. the upstream result of the task of that name;
  3. the run parameter of that name;
  4. its default.
Two names are special: ``ctx`` gets the TaskContext and ``inputs`` the whole
input. A ``**kwargs`` parameter gets the run parameters no other one took."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Mapping

from baton.errors import NonRetryable

CONTEXT_NAME = "ctx"
INPUTS_NAME = "inputs"
ARGUMENTS_KEY = "arguments"


class BadInput(NonRetryable):
    """The task's input cannot be bound to the handler's arguments."""


def _from_source(name: str, source: Any, inputs: Mapping[str, Any]) -> Any:
    if not isinstance(source, dict) or len(source) != 1:
        raise BadInput(f'config.arguments.{name}: expected {{"upstream": TASK}}, '
                       f'{{"param": NAME}} or {{"value": V}}, got {source!r}')
    (kind, what), = source.items()
    if kind == "value":
        return what
    table = {"upstream": inputs.get("upstream") or {}, "param": inputs.get("params") or {}}
    if kind not in table:
        raise BadInput(f'config.arguments.{name}: unknown source "{kind}"; '
                       "expected upstream, param or value")
    if what not in table[kind]:
        raise BadInput(f'argument "{name}": the task input has no {kind} "{what}"; '
                       f"it has: {', '.join(sorted(table[kind])) or 'none'}")
    return table[kind][what]


def bind_arguments(func: Callable, inputs: Mapping[str, Any], config: Mapping[str, Any],
                   ctx: Any) -> Dict[str, Any]:
    """Keyword arguments for calling ``func`` on ``inputs``. BadInput
    (non-retryable) naming the argument when one cannot be bound."""
    params = inputs.get("params") or {}
    upstream = inputs.get("upstream") or {}
    sources = config.get(ARGUMENTS_KEY) or {}
    if not isinstance(sources, dict):
        raise BadInput(f"config.arguments: expected an object, got {type(sources).__name__}")
    kwargs: Dict[str, Any] = {}
    var_keyword = None
    for name, p in inspect.signature(func).parameters.items():
        if p.kind == p.VAR_KEYWORD:
            var_keyword = name
        elif p.kind == p.VAR_POSITIONAL:
            continue
        elif name in sources:
            kwargs[name] = _from_source(name, sources[name], inputs)
        elif name == CONTEXT_NAME:
            kwargs[name] = ctx
        elif name == INPUTS_NAME:
            kwargs[name] = dict(inputs)
        elif name in upstream:
            kwargs[name] = upstream[name]
        elif name in params:
            kwargs[name] = params[name]
        elif p.default is p.empty:
            raise BadInput(
                f'{getattr(func, "__name__", "handler")}(): no value for argument "{name}": '
                f"no upstream task and no run parameter of that name "
                f"(upstream: {', '.join(sorted(upstream)) or 'none'}; "
                f"params: {', '.join(sorted(params)) or 'none'})")
    if var_keyword is not None:
        kwargs.update({k: v for k, v in params.items() if k not in kwargs})
    return kwargs
