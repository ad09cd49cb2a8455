"""baton.Client: what the ``baton`` CLI does, from a script or a notebook.

    client = baton.Client()                   # $BATON_ADDRESS, TLS and token as the CLI
    client.apply_flow(etl)                    # a @flow, a YAML/JSON file, or a spec dict
    run = client.run("basic-etl", {"factor": 3}, timeout=60)
    print(run.state, run.result)

Every call has a deadline. Failures raise baton.BatonError subclasses
(InvalidArgument, NotFound, FailedPrecondition, Unavailable, ...) carrying the
orchestrator's message; bad input is refused before anything is sent."""
from __future__ import annotations

import datetime
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Union

import grpc

from baton._stubs import (cluster_service_pb2, cluster_service_pb2_grpc, common_pb2,
                          deployment_service_pb2 as dpb, deployment_service_pb2_grpc,
                          flow_service_pb2 as fpb, flow_service_pb2_grpc,
                          run_service_pb2 as rpb, run_service_pb2_grpc)
from baton.connection import ConnectionOptions, open_channel
from baton.deployments import Cron, Deployment, Interval, Secret  # noqa: F401 (re-exported)
from baton.errors import InvalidArgument, RunTimeout, from_rpc_error
from baton.flows import Flow

_TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}


def _time(ts) -> Optional[datetime.datetime]:
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return ts.ToDatetime(tzinfo=datetime.timezone.utc)


def _json(text: str) -> Any:
    return json.loads(text) if text else None


def _state(enum_type, value: int, prefix: str) -> str:
    return enum_type.Name(value)[len(prefix):]


@dataclass(frozen=True)
class Attempt:
    number: int
    state: str  # RUNNING, SUCCEEDED, FAILED, LEASE_EXPIRED, TIMED_OUT, CANCELLED, UNDELIVERED
    error: str
    error_type: str
    worker_name: str


@dataclass(frozen=True)
class TaskRun:
    name: str
    handler: str
    state: str  # PENDING, READY, RUNNING, AWAITING_RETRY, COMPLETED, FAILED, ...
    result: Any
    error: str
    resolution: str
    attempts: List[Attempt]
    waiting_for: str = ""  # READY, served by no online worker: which handler on which queue


@dataclass(frozen=True)
class Run:
    """A flow run as the orchestrator reports it; ``raw`` is the message itself."""

    id: str
    flow_name: str
    flow_version: int
    state: str  # SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLING, CANCELLED, TIMED_OUT
    result: Any
    error: str
    parameters: Dict[str, Any]
    correlation_id: str
    scheduled_time: Optional[datetime.datetime]
    env: Dict[str, str]
    tasks: List[TaskRun]
    raw: Any = field(repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.state in _TERMINAL

    def task(self, name: str) -> TaskRun:
        """The task run named ``name``; KeyError when the run has none."""
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"run {self.id} has no task {name!r}")

    @classmethod
    def from_proto(cls, run) -> "Run":
        tasks = [TaskRun(t.name, t.handler, _state(common_pb2.TaskRunState, t.state,
                                                   "TASK_RUN_STATE_"),
                         _json(t.result_json), t.error, t.resolution,
                         [Attempt(a.number, _state(common_pb2.AttemptState, a.state,
                                                   "ATTEMPT_STATE_"),
                                  a.error, a.error_type, a.worker_name) for a in t.attempts],
                         t.waiting_for)
                 for t in run.tasks]
        return cls(run.id, run.flow_name, run.flow_version,
                   _state(common_pb2.FlowRunState, run.state, "FLOW_RUN_STATE_"),
                   _json(run.result_json), run.error, _json(run.parameters_json) or {},
                   run.correlation_id, _time(run.scheduled_time), dict(run.env), tasks, run)


@dataclass(frozen=True)
class LogEntry:
    id: int
    task_name: str
    attempt: int
    time: Optional[datetime.datetime]
    stream: str
    level: str
    message: str


@dataclass(frozen=True)
class AppliedFlow:
    name: str
    version: int
    created: bool  # False: unchanged, the latest version returned


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidArgument(f"cannot read {path}: {e}") from None


def _params_json(parameters: Optional[Dict[str, Any]]) -> str:
    if parameters is None:
        return ""
    if not isinstance(parameters, dict):
        raise InvalidArgument(f"parameters: expected a dict, got {type(parameters).__name__}")
    try:
        return json.dumps(parameters, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"parameters: not JSON-serialisable: {e}") from None


class Client:
    """A connection to the orchestrator. Thread-safe. ``timeout``: the deadline
    of each call, in seconds."""

    def __init__(self, address: Optional[str] = None, *,
                 connection: Optional[ConnectionOptions] = None, timeout: float = 10.0) -> None:
        self.connection = connection or ConnectionOptions.from_env(address=address)
        self.timeout = timeout
        self._channel = open_channel(self.connection)
        self._flows = flow_service_pb2_grpc.FlowServiceStub(self._channel)
        self._runs = run_service_pb2_grpc.RunServiceStub(self._channel)
        self._deployments = deployment_service_pb2_grpc.DeploymentServiceStub(self._channel)
        self._cluster = cluster_service_pb2_grpc.ClusterServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _call(self, method, request, timeout: Optional[float] = None):
        try:
            return method(request, timeout=timeout or self.timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None

    # -- flows ------------------------------------------------------------

    def apply_flow(self, flow: Union[Flow, Dict[str, Any], str]) -> AppliedFlow:
        """Stores a flow: a @flow function, a spec dict, or the path of a YAML
        or JSON flow file. A changed flow gets the next version."""
        if isinstance(flow, Flow):
            source, content = f"{flow.name} (Python)", flow.to_json()
        elif isinstance(flow, dict):
            source, content = f"{flow.get('name', 'flow')} (dict)", json.dumps(flow)
        elif isinstance(flow, (str, os.PathLike)):
            source, content = os.fspath(flow), _read_file(os.fspath(flow))
        else:
            raise InvalidArgument(f"apply_flow: expected a @flow, a dict or a file path, got "
                                  f"{type(flow).__name__}")
        response = self._call(self._flows.ApplyFlow,
                              fpb.ApplyFlowRequest(source_name=source, content=content))
        return AppliedFlow(response.flow.name, response.flow.version, response.created)

    def get_flow(self, name: str, version: int = 0) -> Dict[str, Any]:
        """The stored flow spec (canonical JSON form) of ``name`` (0: the latest)."""
        flow = self._call(self._flows.GetFlow, fpb.GetFlowRequest(name=name, version=version))
        return {"name": flow.name, "version": flow.version, "spec": json.loads(flow.spec_json)}

    def list_flows(self, limit: int = 100) -> List[Dict[str, Any]]:
        flows = self._call(self._flows.ListFlows, fpb.ListFlowsRequest(limit=limit)).flows
        return [{"name": f.name, "version": f.version, "tasks": list(f.task_names)} for f in flows]

    # -- deployments ------------------------------------------------------

    def apply_deployment(self, deployment: Union[Deployment, Dict[str, Any], str]):
        """Stores a deployment (a baton.Deployment, a dict, or a YAML/JSON file
        path), replacing one of the same name. Returns the Deployment message."""
        if isinstance(deployment, Deployment):
            source, content = f"{deployment.name} (Python)", json.dumps(deployment.spec())
        elif isinstance(deployment, dict):
            source, content = "deployment (dict)", json.dumps(deployment)
        elif isinstance(deployment, (str, os.PathLike)):
            source, content = os.fspath(deployment), _read_file(os.fspath(deployment))
        else:
            raise InvalidArgument("apply_deployment: expected a baton.Deployment, a dict or a "
                                  f"file path, got {type(deployment).__name__}")
        request = dpb.ApplyDeploymentRequest(source_name=source, content=content)
        return self._call(self._deployments.ApplyDeployment, request).deployment

    def get_deployment(self, name: str, next_fires: int = 5):
        return self._call(self._deployments.GetDeployment,
                          dpb.GetDeploymentRequest(name=name, next_fires=next_fires))

    def run_deployment(self, name: str, parameters: Optional[Dict[str, Any]] = None, *,
                       idempotency_key: str = "") -> Run:
        """Starts one run of deployment ``name`` now."""
        request = dpb.RunDeploymentRequest(name=name, parameters_json=_params_json(parameters),
                                           idempotency_key=idempotency_key)
        return Run.from_proto(self._call(self._deployments.RunDeployment, request).run)

    # -- runs -------------------------------------------------------------

    def start_run(self, flow: Union[Flow, str], parameters: Optional[Dict[str, Any]] = None, *,
                  idempotency_key: str = "", correlation_id: str = "", version: int = 0) -> Run:
        """Starts a run of the latest (or given) version of ``flow``. With an
        idempotency key, the same key returns the same run."""
        request = rpb.StartRunRequest(
            flow_name=flow.name if isinstance(flow, Flow) else flow, flow_version=version,
            parameters_json=_params_json(parameters), idempotency_key=idempotency_key,
            correlation_id=correlation_id)
        return Run.from_proto(self._call(self._runs.StartRun, request).run)

    def get_run(self, run_id: str) -> Run:
        return Run.from_proto(self._call(self._runs.GetRun, rpb.GetRunRequest(run_id=run_id)))

    def wait(self, run_id: str, timeout: float = 60.0, poll_interval: float = 0.2) -> Run:
        """The run once it has ended; RunTimeout when it has not within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_run(run_id)
            if run.done:
                return run
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunTimeout(f"run {run_id} is still {run.state} after {timeout:g}s")
            time.sleep(min(poll_interval, left))

    def run(self, flow: Union[Flow, str], parameters: Optional[Dict[str, Any]] = None, *,
            timeout: float = 60.0, **start_options) -> Run:
        """start_run, then wait (bounded by ``timeout``)."""
        started = self.start_run(flow, parameters, **start_options)
        return self.wait(started.id, timeout)

    def list_runs(self, flow: Optional[str] = None, state: Optional[str] = None,
                  limit: int = 50, deployment_id: str = "") -> List[Run]:
        """Newest first; ``state`` e.g. "COMPLETED"."""
        request = rpb.ListRunsRequest(flow_name=flow or "", limit=limit,
                                      deployment_id=deployment_id)
        if state:
            try:
                request.state = common_pb2.FlowRunState.Value("FLOW_RUN_STATE_" + state.upper())
            except ValueError:
                raise InvalidArgument(f'state "{state}": expected one of COMPLETED, FAILED, '
                                      "RUNNING, PENDING, SCHEDULED, CANCELLING, CANCELLED, "
                                      "TIMED_OUT") from None
        return [Run.from_proto(r) for r in self._call(self._runs.ListRuns, request).runs]

    def cancel(self, run_id: str, reason: str = "") -> Run:
        """Asks an active run to stop; FailedPrecondition when it already ended."""
        request = rpb.CancelRunRequest(run_id=run_id, reason=reason)
        return Run.from_proto(self._call(self._runs.CancelRun, request))

    def logs(self, run_id: str, task: str = "", *, follow: bool = False,
             timeout: float = 60.0) -> List[LogEntry]:
        """The run's log lines, oldest first. With ``follow``, until the run has
        ended and its lines are all in (bounded by ``timeout``)."""
        return list(self.iter_logs(run_id, task, follow=follow, timeout=timeout))

    def iter_logs(self, run_id: str, task: str = "", *, follow: bool = False,
                  timeout: float = 60.0) -> Iterator[LogEntry]:
        """As logs(), one line at a time as they arrive."""
        request = rpb.StreamRunLogsRequest(run_id=run_id, task_name=task, follow=follow)
        try:
            for e in self._runs.StreamRunLogs(request, timeout=timeout):
                yield LogEntry(e.id, e.task_name, e.attempt, _time(e.line.time), e.line.stream,
                               e.line.level, e.line.message)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    def list_workers(self, include_stopped: bool = False) -> List[Dict[str, Any]]:
        request = cluster_service_pb2.ListWorkersRequest(include_stopped=include_stopped)
        workers = self._call(self._cluster.ListWorkers, request).workers
        return [{"id": w.id, "name": w.name, "queues": list(w.queues),
                 "handlers": list(w.handlers), "slots": w.slots,
                 "running": w.running_attempts} for w in workers]
