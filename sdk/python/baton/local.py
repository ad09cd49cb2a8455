"""Running a flow end to end from one script: a worker for its handlers in
this process, the flow applied, one run started and awaited. What each of
examples/python/*.py does under ``if __name__ == "__main__"``."""
from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from baton.client import Client, Run
from baton.connection import ConnectionOptions
from baton.flows import Flow
from baton.worker.runtime import Worker


class ServingWorker:
    """A Worker serving ``flow``'s handlers on a background thread, for as long
    as the ``with`` block lasts (then drained within ``drain_timeout``).

    In process isolation its fork server starts here: construct it before any
    Client of this process (a process running gRPC threads must not fork; it
    warns if it has to)."""

    def __init__(self, flow: Flow, *, client: Optional[Client] = None,
                 connection: Optional[ConnectionOptions] = None, slots: int = 4,
                 isolation: str = "process", drain_timeout: float = 10.0) -> None:
        queues = sorted({entry.get("queue", "default") for entry in flow.spec()["tasks"]})
        connection = connection or (client.connection if client else ConnectionOptions.from_env())
        self.worker = Worker(connection=connection, queues=queues, slots=slots,
                             isolation=isolation, poll_wait=5.0, drain_timeout=drain_timeout)
        self.worker.include(flow)
        self.worker.start_fork_server()
        self._thread = threading.Thread(target=self.worker.run, kwargs={
            "install_signal_handlers": False}, name="baton-worker", daemon=True)

    def __enter__(self) -> Worker:
        self._thread.start()
        return self.worker

    def __exit__(self, *_exc) -> None:
        self.worker.stop()
        self._thread.join(self.worker.drain_timeout + 15.0)


def run_flow(flow: Flow, parameters: Optional[Dict[str, Any]] = None, *,
             client: Optional[Client] = None, timeout: float = 120.0, **start_options) -> Run:
    """Applies ``flow``, serves its handlers here, runs it once and returns the
    ended run (RunTimeout after ``timeout`` s)."""
    serving = ServingWorker(flow, client=client)  # first: its fork server forks before any channel
    client = client or Client(connection=serving.worker.connection)
    with serving:  # its exit ends the fork server, whatever happens inside
        client.apply_flow(flow)
        return client.run(flow, parameters, timeout=timeout, **start_options)
