# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
# Minimum versions are checked here so that a wrong machine fails early and clearly.

function(baton_require_version what found minimum package)
  if(found VERSION_LESS minimum)
    message(FATAL_ERROR
      "${what} ${found} is too old: Baton needs ${minimum} or newer "
      "(Debian 12 package ${package}). Run scripts/install-deps.sh.")
  endif()
  message(STATUS "${what} ${found} (needs >= ${minimum})")
endfunction()

find_package(Threads REQUIRED)

find_package(Protobuf REQUIRED)
baton_require_version("Protobuf" "${Protobuf_VERSION}" 3.21 libprotobuf-dev)

find_package(gRPC CONFIG REQUIRED)
baton_require_version("gRPC" "${gRPC_VERSION}" 1.51 libgrpc++-dev)

find_package(absl CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
baton_require_version("spdlog" "${spdlog_VERSION}" 1.10 libspdlog-dev)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
baton_require_version("nlohmann_json" "${nlohmann_json_VERSION}" 3.11 nlohmann-json3-dev)
find_package(CLI11 CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)  # core + pull (/metrics over HTTP); 1.0.1 ships no version file

# Certificates: validity windows checked at start, failed handshakes explained.
find_package(OpenSSL REQUIRED)
baton_require_version("OpenSSL" "${OPENSSL_VERSION}" 3.0 libssl-dev)

find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
message(STATUS "libpqxx ${PQXX_VERSION} (needs >= 6.4)")

find_program(BATON_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
