"""The generated gRPC stubs (package baton.v1), built from proto/ by CMake
into <build>/sdk/python/gen, which must be on sys.path next to this package."""
from __future__ import annotations

try:
    from baton.v1 import (  # noqa: F401
        common_pb2, deployment_service_pb2, deployment_service_pb2_grpc, flow_service_pb2,
        flow_service_pb2_grpc, run_service_pb2, run_service_pb2_grpc, worker_service_pb2,
        worker_service_pb2_grpc, cluster_service_pb2, cluster_service_pb2_grpc)
except ImportError as e:  # pragma: no cover - a setup error, said plainly
    raise ImportError(
        "baton: the generated gRPC stubs (baton.v1) are not on sys.path: build them "
        "(cmake --build build --target baton_python_stubs) and add build/sdk/python/gen to "
        f"PYTHONPATH next to sdk/python ({e})") from e
