"""``/usr/bin/python3 -m baton.worker FILE_OR_MODULE [options]``: imports the
user's file (or module) and serves every handler it declares — baton.task and
baton.flow objects, and the handlers of baton.Worker objects — until SIGTERM
or SIGINT, then drains."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from types import ModuleType
from typing import Dict, List, Optional

from baton import connection
from baton.errors import BatonError
from baton.flows import Flow, Task
from baton.worker.isolation import MODES, PROCESS
from baton.worker.runtime import Worker


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 -m baton.worker",
        description="Serve the Baton task handlers a Python file or module declares.")
    parser.add_argument("target", help="a .py file or an importable module name")
    connection.add_arguments(parser)
    parser.add_argument("--queue", action="append", dest="queues",
                        help="queue to take tasks from (repeatable; default: default)")
    parser.add_argument("--label", action="append", default=[], help="label key=value (repeatable)")
    parser.add_argument("--slots", type=int, default=4, help="attempts run at once (default 4)")
    parser.add_argument("--name", help="worker name (default hostname:pid)")
    parser.add_argument("--isolation", choices=MODES, default=PROCESS,
                        help="process: each attempt in a child process, killed at its deadline "
                             "or on cancel (default); thread: cooperative, in the worker")
    parser.add_argument("--poll-wait", type=float, default=20.0,
                        help="seconds one poll waits for work (default 20)")
    parser.add_argument("--drain-timeout", type=float, default=30.0,
                        help="on SIGTERM, seconds running attempts may take before being "
                             "stopped (default 30)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warn", "error"])
    return parser.parse_args(argv)


def load_target(target: str) -> ModuleType:
    """Imports a file by path (its folder first on sys.path) or a module by name."""
    if target.endswith(".py") or os.path.sep in target:
        path = os.path.abspath(target)
        if not os.path.isfile(path):
            raise SystemExit(f"baton.worker: {target}: no such file")
        sys.path.insert(0, os.path.dirname(path))
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(target)


def collect_handlers(module: ModuleType) -> Dict[str, object]:
    """Handler name -> function for the tasks, flows and workers ``module`` holds."""
    handlers: Dict[str, object] = {}
    for value in vars(module).values():
        if isinstance(value, (Task, Flow)):
            handlers.update(value.handlers())
        elif isinstance(value, Worker):
            handlers.update(value.handlers)
    return handlers


def _labels(pairs: List[str]) -> Dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f'baton.worker: --label "{pair}": expected key=value')
        labels[key] = value
    return labels


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    level = logging.getLevelName({"warn": "WARNING"}.get(args.log_level, args.log_level.upper()))
    # The level filters the worker's own output; the root logger stays at INFO
    # at least, so that a handler's logging.info() still reaches its attempt's log.
    logging.basicConfig(level=min(level, logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    options = connection.options_from_args(args)
    # Handlers (and their child processes) must not see the worker's token.
    if not options.token_file:
        options.token = os.environ.get(connection.TOKEN_ENV, "")
    os.environ.pop(connection.TOKEN_ENV, None)
    module = load_target(args.target)
    handlers = collect_handlers(module)
    if not handlers:
        logging.error("%s declares no baton.task, baton.flow or baton.Worker handler",
                      args.target)
        return 2
    try:
        worker = Worker(connection=options, queues=args.queues or ["default"],
                        labels=_labels(args.label), slots=args.slots, name=args.name,
                        isolation=args.isolation, poll_wait=args.poll_wait,
                        drain_timeout=args.drain_timeout)
        for handler, func in handlers.items():
            worker.register(handler, func)
        worker.run()
    except BatonError as e:
        logging.error("%s", e)
        return 1
    return 0
