#!/usr/bin/env bash
# The include directions of ARCHITECTURE.md ("Layers and allowed
# directions"), as greps over #include lines. Prints each offending line and
# exits 1 when one is found. Run by ctest as layer_check (label lint).
set -euo pipefail
cd "$(dirname "$0")/.."
failed=0

# forbid WHY PATTERN DIR... : no #include matching PATTERN under DIRs.
forbid() {
  local why=$1 pattern=$2
  shift 2
  local hits
  hits=$(grep -rnE --include='*.cc' --include='*.h' "^#include [\"<]($pattern)" "$@" || true)
  if [ -n "$hits" ]; then
    echo "check-layers: $why"
    sed 's/^/  /' <<<"$hits"
    failed=1
  fi
}

forbid "common/ includes no layer above it and no generated protos" \
  'orchestrator/|worker/|cli/|baton/v1/|pqxx' common
forbid "gRPC stays in common/rpc/ within common/" \
  'grpcpp/' $(find common -mindepth 1 -maxdepth 1 -not -name rpc)
forbid "common/base/ is the bottom of common/" 'common/(spec|process|rpc)/' common/base
forbid "common/process/ needs only common/base/" 'common/(spec|rpc)/' common/process
forbid "common/spec/ needs only common/base/" 'common/(process|rpc)/' common/spec
forbid "common/spec/internal/ is included from common/spec/ only" 'common/spec/internal/' \
  $(find . -mindepth 1 -maxdepth 1 -type d -not -name common -not -name build -not -name deps \
    -not -name '.*') $(find common -mindepth 1 -maxdepth 1 -type d -not -name spec)
forbid "the model (state vocabulary) depends on nothing of the orchestrator" \
  'orchestrator/(engine|store|service|loops|security)/|orchestrator/[a-z_]+\.h|baton/v1/|grpcpp/|pqxx' \
  orchestrator/model
forbid "the engine is pure: no store, service, gRPC, SQL or logging" \
  'orchestrator/(store|service|loops|security)/|orchestrator/[a-z_]+\.h|baton/v1/|grpcpp/|grpc/|pqxx|spdlog/' \
  orchestrator/engine
forbid "the store knows no service and no gRPC" \
  'orchestrator/(service|loops|security)/|orchestrator/[a-z_]+\.h|baton/v1/|grpcpp/|grpc/' \
  orchestrator/store
forbid "handlers do not reach into the background loops" 'orchestrator/loops/' orchestrator/service
forbid "SQL stays in the store" 'pqxx' orchestrator/service
forbid "the worker SDK does not reach into the orchestrator or the CLI" \
  'orchestrator/|cli/|pqxx' worker
forbid "the CLI speaks the API only" 'orchestrator/|worker/|pqxx' cli
forbid "examples and bench use the SDK and the API only" 'orchestrator/|pqxx' examples bench

if [ "$failed" -ne 0 ]; then
  echo "check-layers: see ARCHITECTURE.md for the allowed directions"
  exit 1
fi
echo "check-layers: every include follows ARCHITECTURE.md"
