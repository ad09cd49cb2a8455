"""The worker's side of the worker API: one method per RPC, each with a
deadline, failures raised as baton.errors.BatonError. Thread-safe."""
from __future__ import annotations

import threading
from typing import List, Optional, Sequence

import grpc

from baton._stubs import common_pb2, worker_service_pb2 as pb, worker_service_pb2_grpc
from baton.connection import ConnectionOptions, open_channel
from baton.errors import BatonError, from_rpc_error


class OrchestratorClient:
    def __init__(self, connection: ConnectionOptions, rpc_timeout: float) -> None:
        self._channel = open_channel(connection)
        self._stub = worker_service_pb2_grpc.WorkerServiceStub(self._channel)
        self._rpc_timeout = rpc_timeout
        self._lock = threading.Lock()
        self._poll: Optional[grpc.Future] = None
        self._polls_cancelled = False

    def _call(self, method, request, timeout: Optional[float] = None):
        try:
            return method(request, timeout=timeout or self._rpc_timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None

    def register(self, request: pb.RegisterWorkerRequest) -> pb.RegisterWorkerResponse:
        return self._call(self._stub.RegisterWorker, request)

    def poll(self, worker_id: str, max_leases: int, wait: float) -> List[pb.Lease]:
        """Waits up to ``wait`` s for leases; CANCELLED once cancel_polls() ran."""
        request = pb.PollLeasesRequest(worker_id=worker_id, max_leases=max_leases)
        request.wait.FromMilliseconds(int(wait * 1000))
        with self._lock:
            if self._polls_cancelled:
                raise BatonError("polling stopped", "CANCELLED")
            future = self._stub.PollLeases.future(request, timeout=wait + self._rpc_timeout)
            self._poll = future
        try:
            return list(future.result().leases)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        except grpc.FutureCancelledError:
            raise BatonError("polling stopped", "CANCELLED") from None
        finally:
            with self._lock:
                self._poll = None

    def cancel_polls(self) -> None:
        """Makes the poll in flight, and every later one, end CANCELLED."""
        with self._lock:
            self._polls_cancelled = True
            if self._poll is not None:
                self._poll.cancel()

    def heartbeat(self, worker_id: str, attempts: Sequence[common_pb2.AttemptRef],
                  timeout: float) -> List[pb.AttemptDirective]:
        request = pb.HeartbeatRequest(worker_id=worker_id, attempts=list(attempts))
        return list(self._call(self._stub.Heartbeat, request, timeout).directives)

    def complete(self, request: pb.CompleteAttemptRequest) -> None:
        self._call(self._stub.CompleteAttempt, request)

    def append_logs(self, request: pb.AppendLogsRequest) -> pb.AppendLogsResponse:
        return self._call(self._stub.AppendLogs, request)

    def deregister(self, worker_id: str) -> None:
        self._call(self._stub.DeregisterWorker, pb.DeregisterWorkerRequest(worker_id=worker_id))

    def close(self) -> None:
        self._channel.close()
