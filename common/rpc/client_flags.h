// The TLS and token flags every client binary (baton-worker, baton) takes,
// with their environment variables. Header-only (CLI11).
#pragma once

#include "CLI/CLI.hpp"
#include "common/rpc/client_channel.h"

namespace baton::rpc {

// `name` taking one orchestrator address or several: repeated, or separated by
// commas; stored joined by commas (see ChannelOptions::addresses).
inline CLI::Option* AddAddressesOption(CLI::App& app, const std::string& name,
                                       std::string& addresses) {
  return app
      .add_option(name, addresses,
                  "orchestrator address host:port; several replicas: repeat the flag or separate "
                  "IP:port entries with commas (or one DNS name resolving to all of them)")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::Join)
      ->envname("BATON_ADDRESS")
      ->capture_default_str();
}

inline void AddClientSecurityOptions(CLI::App& app, ClientSecurity& s) {
  app.add_flag("--tls", s.tls,
               "connect over TLS, verifying the orchestrator with the system's roots")
      ->envname("BATON_TLS");
  app.add_option("--tls-ca", s.ca_file, "PEM CA that verifies the orchestrator (implies --tls)")
      ->envname("BATON_TLS_CA");
  app.add_option("--tls-cert", s.cert_file, "PEM client certificate chain, for mutual TLS")
      ->envname("BATON_TLS_CLIENT_CERT");
  app.add_option("--tls-key", s.key_file, "PEM private key of --tls-cert")
      ->envname("BATON_TLS_CLIENT_KEY");
  app.add_option("--tls-server-name", s.server_name,
                 "name to verify in the orchestrator's certificate instead of the address's host "
                 "(needed with several addresses)")
      ->envname("BATON_TLS_SERVER_NAME");
  app.add_option("--token-file", s.token_file,
                 "file holding the bearer token sent on every call; else $BATON_TOKEN")
      ->envname("BATON_TOKEN_FILE");
}

}  // namespace baton::rpc
