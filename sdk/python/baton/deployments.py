"""Deployments from Python: the form of a deployment YAML file
(examples/04-scheduling/deployment.yaml, common/spec/deployment.h). Pure.

    baton.Deployment("daily-0900", flow=daily_job,
                     schedules=[baton.Cron("0 9 * * *", timezone="Europe/Madrid")],
                     env={"REGION": "eu-south", "DB_PASSWORD": baton.Secret("...")})
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

from baton.durations import Duration, to_spec
from baton.flows import Flow


@dataclass(frozen=True)
class Cron:
    """A cron schedule, in local time of ``timezone`` (IANA name)."""

    expression: str
    timezone: str = "UTC"
    start: Optional[str] = None  # RFC 3339
    end: Optional[str] = None

    def spec(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"cron": self.expression, "timezone": self.timezone}
        out.update({k: v for k, v in (("start", self.start), ("end", self.end)) if v})
        return out


@dataclass(frozen=True)
class Interval:
    """Every ``every``, counted from ``anchor`` (RFC 3339; default the epoch)."""

    every: Duration
    anchor: Optional[str] = None

    def spec(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"interval": to_spec(self.every, "schedules[].interval")}
        if self.anchor:
            out["anchor"] = self.anchor
        return out


@dataclass(frozen=True)
class Secret:
    """An env value never shown in output or logs (masked as ***)."""

    value: str


@dataclass
class Deployment:
    name: str
    flow: Union[Flow, str]
    schedules: Sequence[Union[Cron, Interval]] = ()
    parameters: Dict[str, Any] = field(default_factory=dict)
    env: Dict[str, Union[str, Secret]] = field(default_factory=dict)
    tags: List[str] = field(default_factory=list)
    work_queue: str = ""
    description: str = ""
    flow_version: int = 0
    paused: bool = False
    catch_up: Union[str, Dict[str, Any], None] = None  # skip | latest | all, or {policy: all, ...}
    overlap: Optional[str] = None  # allow | skip | buffer_one | cancel_previous
    late_after: Optional[Duration] = None

    def spec(self) -> Dict[str, Any]:
        """The deployment file's content as a dict."""
        flow_name = self.flow.name if isinstance(self.flow, Flow) else self.flow
        out: Dict[str, Any] = {"name": self.name, "flow": flow_name}
        optional = {"description": self.description, "flow_version": self.flow_version,
                    "schedules": [s.spec() for s in self.schedules],
                    "parameters": self.parameters, "tags": list(self.tags),
                    "work_queue": self.work_queue, "paused": self.paused,
                    "overlap": self.overlap}
        out.update({k: v for k, v in optional.items() if v})
        if self.env:
            out["env"] = {k: {"value": v.value, "secret": True} if isinstance(v, Secret) else v
                          for k, v in self.env.items()}
        if self.catch_up:
            out["catch_up"] = ({"policy": self.catch_up} if isinstance(self.catch_up, str)
                               else dict(self.catch_up))
        if self.late_after is not None:
            out["late_after"] = to_spec(self.late_after, "late_after")
        return out
