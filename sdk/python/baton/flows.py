"""Flows as Python functions.

    @task(handler="etl.extract")
    def extract() -> dict: ...

    @task(handler="etl.transform", retries=3, retry_delay=2)
    def transform(payload: dict, factor: int = 2) -> list: ...

    @flow(name="basic-etl")
    def etl(factor: int = 2):
        data = extract()
        return transform(data, factor)

Calling ``etl.spec()`` traces the function: task calls return placeholders,
the DAG follows which results feed which task, the flow's parameters come
from its signature (defaults included), and each task's retries, timeouts,
circuit breaker and fallback from its decorator. The result is the same flow
spec a YAML file expresses (``etl.to_yaml()``), which baton.Client applies.
How each argument was fed is kept in the task's ``config.arguments``, so the
worker binds it the same way. The same decorated functions are the handlers
the worker runs (``Worker.include(etl)``).

Calling ``etl()`` or ``extract()`` directly runs the plain functions in this
process, as the course's ``print(etl())`` does."""
from __future__ import annotations

import contextvars
import inspect
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from baton.binding import ARGUMENTS_KEY, CONTEXT_NAME, INPUTS_NAME
from baton.context import TaskContext
from baton.durations import Duration, to_spec

_HANDLER_SEGMENT = re.compile(r"[a-z_][a-z0-9_]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class Backoff:
    """Exponential retry delays: initial * factor^(n-1), at most ``max``."""

    initial: Duration = 1
    factor: float = 2.0
    max: Duration = 300


@dataclass(frozen=True)
class CircuitBreaker:
    """A breaker shared (by key) by every task, flow, worker and orchestrator
    replica that names it: ``failure_threshold`` failures within ``window``
    open it; after ``cooldown`` one probe decides. ``when_open``: "fallback"
    (the task's fallback runs) or "wait"."""

    key: str
    failure_threshold: int = 5
    window: Duration = 60
    cooldown: Duration = 30
    when_open: str = "fallback"

    def spec(self) -> Dict[str, Any]:
        return {"key": self.key, "failure_threshold": self.failure_threshold,
                "window": to_spec(self.window, "breaker.window"),
                "cooldown": to_spec(self.cooldown, "breaker.cooldown"),
                "when_open": self.when_open}


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f'{what} "{name}": expected 1..128 characters of [A-Za-z0-9_.-], '
                         "starting with a letter or digit")
    return name


def _check_handler(handler: str) -> str:
    if len(handler) > 128 or not all(_HANDLER_SEGMENT.fullmatch(s) for s in handler.split(".")):
        raise ValueError(f'handler "{handler}": expected dot-separated segments of '
                         "[a-z_][a-z0-9_]* (e.g. etl.extract), at most 128 characters")
    return handler


def _error_name(error: Union[str, type]) -> str:
    return error.__name__ if isinstance(error, type) else str(error)


class Task:
    """A function that is both a task of flows and a worker handler. Made by
    @task; see the module docstring."""

    def __init__(self, func: Callable, *, name: Optional[str] = None,
                 handler: Optional[str] = None, queue: str = "default", retries: int = 0,
                 retry_delay: Optional[Duration] = None,
                 retry_delays: Optional[Sequence[Duration]] = None,
                 backoff: Optional[Backoff] = None, jitter: Optional[float] = None,
                 non_retryable: Sequence[Union[str, type]] = (),
                 retry_timeouts: Optional[bool] = None, timeout: Optional[Duration] = None,
                 heartbeat_timeout: Optional[Duration] = None,
                 schedule_to_start_timeout: Optional[Duration] = None,
                 breaker: Optional[CircuitBreaker] = None, fallback: Optional["Task"] = None,
                 config: Optional[Dict[str, Any]] = None) -> None:
        self.func = func
        self.name = _check_name(name or func.__name__, "task name")
        self.handler = _check_handler(handler or func.__name__.lower())
        self.queue = _check_name(queue, "queue")
        if fallback is not None and not isinstance(fallback, Task):
            raise TypeError(f"task {self.name}: fallback must be a @task, got {fallback!r}")
        if breaker is not None and breaker.when_open == "fallback" and fallback is None:
            raise ValueError(f"task {self.name}: a breaker with when_open=fallback needs fallback=")
        self.fallback = fallback
        self.config = dict(config or {})
        self._entry = self._static_entry(
            retries, retry_delay, retry_delays, backoff, jitter, non_retryable, retry_timeouts,
            {"timeout": timeout, "heartbeat_timeout": heartbeat_timeout,
             "schedule_to_start_timeout": schedule_to_start_timeout}, breaker)
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__
        self.__wrapped__ = func

    def _static_entry(self, retries, delay, delays, backoff, jitter, non_retryable,
                      retry_timeouts, timeouts, breaker) -> Dict[str, Any]:
        where = f"task {self.name}"
        retry: Dict[str, Any] = {}
        if delay is not None:
            retry["delay"] = to_spec(delay, f"{where}: retry_delay")
        if delays:
            retry["delays"] = [to_spec(d, f"{where}: retry_delays") for d in delays]
        if backoff is not None:
            retry["backoff"] = {"initial": to_spec(backoff.initial, f"{where}: backoff.initial"),
                                "factor": backoff.factor,
                                "max": to_spec(backoff.max, f"{where}: backoff.max")}
        if jitter is not None:
            retry["jitter"] = jitter
        if non_retryable:
            retry["non_retryable_errors"] = [_error_name(e) for e in non_retryable]
        if retry_timeouts is not None:
            retry["retry_timeouts"] = retry_timeouts
        entry: Dict[str, Any] = {}
        if retries or retry:
            entry["retry"] = {"retries": retries, **retry}
        for key, value in timeouts.items():
            if value is not None:
                entry[key] = to_spec(value, f"{where}: {key}")
        if breaker is not None:
            entry["circuit_breaker"] = breaker.spec()
        return entry

    def entry(self, name: str, depends_on: List[str], arguments: Dict[str, Any]) -> Dict[str, Any]:
        """This task's entry in a flow spec, under ``name``."""
        out: Dict[str, Any] = {"name": name, "handler": self.handler}
        if depends_on:
            out["depends_on"] = depends_on
        if self.queue != "default":
            out["queue"] = self.queue
        config = dict(self.config)
        if arguments:
            config[ARGUMENTS_KEY] = arguments
        if config:
            out["config"] = config
        out.update(self._entry)
        if self.fallback is not None:
            out["fallback"] = self.fallback.name
        return out

    def handlers(self) -> Dict[str, Callable]:
        """Handler name -> function, for this task and its fallback."""
        out = {self.handler: self.func}
        if self.fallback is not None:
            out.update(self.fallback.handlers())
        return out

    def __call__(self, *args, wait_for: Sequence["TaskResult"] = (), **kwargs):
        trace = _tracing.get()
        if trace is not None:
            return trace.call(self, args, kwargs, wait_for)
        return _run_locally(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<baton.task {self.name} handler={self.handler}>"


def _caller_signature(func: Callable) -> inspect.Signature:
    """``func``'s signature without ``ctx`` and ``inputs``, which the worker
    passes: positional arguments of a task call skip them."""
    sig = inspect.signature(func)
    return sig.replace(parameters=[p for p in sig.parameters.values()
                                   if p.name not in (CONTEXT_NAME, INPUTS_NAME)])


def _run_locally(t: Task, args, kwargs):
    """A plain call, outside any trace; ``ctx`` gets a local context."""
    bound = _caller_signature(t.func).bind(*args, **kwargs)
    call = dict(bound.arguments)
    if CONTEXT_NAME in inspect.signature(t.func).parameters:
        call[CONTEXT_NAME] = TaskContext(task_name=t.name, handler=t.handler, config=t.config)
    return t.func(**call)


def task(func: Optional[Callable] = None, **options) -> Any:
    """Decorator, bare (@task) or with options (@task(handler=..., retries=3,
    retry_delay=2, timeout=10, non_retryable=[ValueError], breaker=...,
    fallback=other_task, queue=..., config={...})). Durations are seconds,
    timedeltas or text like "2s"."""
    if func is not None:
        return Task(func, **options)
    return lambda f: Task(f, **options)


class TaskResult:
    """A placeholder for a task's result while a flow is traced. Pass it whole
    to other tasks; it has no value yet."""

    def __init__(self, task_name: str) -> None:
        self.task_name = task_name

    def _refuse(self, *_args, **_kwargs):
        raise TypeError(
            f'the result of task "{self.task_name}" is a placeholder while the flow is traced: '
            "pass it whole to another task; work on its value inside that task")

    __getitem__ = __iter__ = __bool__ = __len__ = __add__ = __mul__ = _refuse

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        self._refuse()

    def __repr__(self) -> str:
        return f"<result of task {self.task_name}>"


@dataclass(frozen=True)
class ParamRef:
    """A placeholder for a flow parameter while a flow is traced."""

    name: str


def _source(value: Any, where: str) -> Dict[str, Any]:
    """Where an argument's value comes from at run time."""
    if isinstance(value, TaskResult):
        return {"upstream": value.task_name}
    if isinstance(value, ParamRef):
        return {"param": value.name}
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {value!r} is neither a task result, a flow parameter nor a "
                        "JSON value (placeholders cannot be nested in lists or dicts)") from None
    return {"value": value}


class _Trace:
    """What one traced call of a flow function made."""

    def __init__(self) -> None:
        self.entries: List[Dict[str, Any]] = []
        self.tasks: List[Task] = []
        self._names: Dict[str, int] = {}

    def _unique(self, name: str) -> str:
        count = self._names.get(name, 0) + 1
        self._names[name] = count
        return name if count == 1 else f"{name}-{count}"

    def call(self, t: Task, args, kwargs, wait_for) -> TaskResult:
        try:
            bound = _caller_signature(t.func).bind_partial(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"task {t.name}: {e}") from None
        arguments: Dict[str, Any] = {}
        for pname, value in bound.arguments.items():
            kind = bound.signature.parameters[pname].kind
            if kind == inspect.Parameter.VAR_POSITIONAL:
                raise TypeError(f"task {t.name}: *{pname} cannot be given in a flow")
            items = value.items() if kind == inspect.Parameter.VAR_KEYWORD else [(pname, value)]
            for key, item in items:
                arguments[key] = _source(item, f"task {t.name}: argument {key}")
        depends_on = [s["upstream"] for s in arguments.values() if "upstream" in s]
        for w in wait_for:
            if not isinstance(w, TaskResult):
                raise TypeError(f"task {t.name}: wait_for takes task results, got {w!r}")
            depends_on.append(w.task_name)
        name = self._unique(t.name)
        self.entries.append(t.entry(name, list(dict.fromkeys(depends_on)), arguments))
        self.tasks.append(t)
        if t.fallback is not None:
            self._add_fallback(t, bound, arguments)
        return TaskResult(name)

    def _add_fallback(self, primary: Task, bound: inspect.BoundArguments,
                      arguments: Dict[str, Any]) -> None:
        """The fallback gets the primary's input; its arguments bind by name to
        the primary's, else by position."""
        fb = primary.fallback
        if any(e["name"] == fb.name for e in self.entries):
            raise ValueError(f"task {fb.name} is the fallback of two tasks (or also a task of "
                             "the flow); a fallback serves one task only")
        primary_sources = list(arguments.values())
        own = [p for p in inspect.signature(fb.func).parameters
               if p not in (CONTEXT_NAME, INPUTS_NAME)]
        mapped = {}
        for i, pname in enumerate(own):
            if pname in arguments:
                mapped[pname] = arguments[pname]
            elif i < len(primary_sources):
                mapped[pname] = primary_sources[i]
        self.entries.append(fb.entry(fb.name, [], mapped))
        self.tasks.append(fb)


_tracing: contextvars.ContextVar[Optional[_Trace]] = contextvars.ContextVar(
    "baton_flow_trace", default=None)


class Flow:
    """A flow written as a Python function. Made by @flow; see the module docstring."""

    def __init__(self, func: Callable, *, name: Optional[str] = None,
                 description: Optional[str] = None, timeout: Optional[Duration] = None) -> None:
        self.func = func
        self.name = _check_name(name or func.__name__.replace("_", "-"), "flow name")
        doc = inspect.getdoc(func) or ""
        self.description = description if description is not None else doc.split("\n")[0]
        self.timeout = None if timeout is None else to_spec(timeout, f"flow {self.name}: timeout")
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def _parameters(self) -> Dict[str, Dict[str, Any]]:
        out: Dict[str, Dict[str, Any]] = {}
        for pname, p in inspect.signature(self.func).parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"flow {self.name}: *{pname} cannot be a flow parameter; "
                                "name each parameter")
            _check_name(pname, f"flow {self.name}: parameter")
            if p.default is p.empty:
                out[pname] = {"required": True}
            else:
                _source(p.default, f"flow {self.name}: default of parameter {pname}")
                out[pname] = {"default": p.default}
        return out

    def _trace(self) -> tuple:
        parameters = self._parameters()
        trace = _Trace()
        token = _tracing.set(trace)
        try:
            returned = self.func(**{p: ParamRef(p) for p in parameters})
        finally:
            _tracing.reset(token)
        if not trace.entries:
            raise ValueError(f"flow {self.name}: calls no task")
        if returned is not None and not isinstance(returned, TaskResult):
            raise TypeError(f"flow {self.name}: returns {returned!r}; a flow returns one task's "
                            "result (its result becomes the run's) or nothing")
        return parameters, trace, returned

    def spec(self) -> Dict[str, Any]:
        """The flow spec (the form of a flow YAML file) this function traces to."""
        parameters, trace, returned = self._trace()
        out: Dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if parameters:
            out["parameters"] = parameters
        if returned is not None:
            out["result"] = returned.task_name
        if self.timeout is not None:
            out["timeout"] = self.timeout
        out["tasks"] = trace.entries
        return out

    def to_json(self) -> str:
        """The spec as JSON text, which the orchestrator takes as a flow file."""
        return json.dumps(self.spec(), indent=2)

    def to_yaml(self) -> str:
        """The spec as a YAML flow file."""
        import yaml
        return yaml.safe_dump(self.spec(), sort_keys=False)

    def handlers(self) -> Dict[str, Callable]:
        """Handler name -> function for every task the flow calls (fallbacks too)."""
        out: Dict[str, Callable] = {}
        for t in self._trace()[1].tasks:
            out.update(t.handlers())
        return out

    def __call__(self, *args, **kwargs):
        """Runs the plain function here, tasks called directly (no orchestrator)."""
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<baton.flow {self.name}>"


def flow(func: Optional[Callable] = None, **options) -> Any:
    """Decorator, bare (@flow) or with options (@flow(name="basic-etl",
    description=..., timeout=...))."""
    if func is not None:
        return Flow(func, **options)
    return lambda f: Flow(f, **options)
