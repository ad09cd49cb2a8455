"""How the SDK reaches the orchestrator: addresses (one, or several replicas),
TLS, mutual TLS and the bearer token, with the same flags and environment
variables as the C++ binaries (common/rpc/client_flags.h):

  --address / BATON_ADDRESS            host:port, or several IP:port separated by commas
  --tls / BATON_TLS                    TLS with the system's roots
  --tls-ca / BATON_TLS_CA              PEM roots that verify the orchestrator
  --tls-cert / BATON_TLS_CLIENT_CERT   client certificate chain (mutual TLS)
  --tls-key / BATON_TLS_CLIENT_KEY     its private key
  --tls-server-name / BATON_TLS_SERVER_NAME   name checked in the server's certificate
  --token-file / BATON_TOKEN_FILE      bearer token file; else $BATON_TOKEN
"""
from __future__ import annotations

import argparse
import ipaddress
import os
from dataclasses import dataclass
from typing import List, Mapping, Optional, Tuple

import grpc

from baton import _limits
from baton.errors import InvalidArgument, NotFound

DEFAULT_ADDRESS = "127.0.0.1:7233"
TOKEN_ENV = "BATON_TOKEN"
_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")
_TRUE = {"1", "true", "yes", "on"}


@dataclass
class ConnectionOptions:
    """Where the orchestrator is and how to prove who we are."""

    address: str = DEFAULT_ADDRESS
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name: str = ""
    token_file: str = ""
    token: str = ""  # the token itself; else token_file; else $BATON_TOKEN
    keepalive_seconds: float = 0.0  # HTTP/2 pings (0: off)

    def uses_tls(self) -> bool:
        return bool(self.tls or self.ca_file or self.cert_file or self.key_file)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, **overrides) -> "ConnectionOptions":
        """Options from the BATON_* environment variables, then ``overrides``
        (None values ignored)."""
        env = os.environ if env is None else env
        options = cls(
            address=env.get("BATON_ADDRESS") or DEFAULT_ADDRESS,
            tls=env.get("BATON_TLS", "").strip().lower() in _TRUE,
            ca_file=env.get("BATON_TLS_CA", ""),
            cert_file=env.get("BATON_TLS_CLIENT_CERT", ""),
            key_file=env.get("BATON_TLS_CLIENT_KEY", ""),
            server_name=env.get("BATON_TLS_SERVER_NAME", ""),
            token_file=env.get("BATON_TOKEN_FILE", ""))
        for key, value in overrides.items():
            if value is not None:
                setattr(options, key, value)
        return options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the connection flags; their defaults come from the environment at
    parse time (see options_from_args)."""
    parser.add_argument("--address", "--orchestrator", action="append", dest="address",
                        help="orchestrator host:port; several replicas: repeat the flag or "
                             "separate IP:port entries with commas [$BATON_ADDRESS]")
    parser.add_argument("--tls", action="store_true", default=None,
                        help="connect over TLS with the system's roots [$BATON_TLS]")
    parser.add_argument("--tls-ca", dest="ca_file", help="PEM CA that verifies the orchestrator "
                        "(implies --tls) [$BATON_TLS_CA]")
    parser.add_argument("--tls-cert", dest="cert_file",
                        help="PEM client certificate chain, for mutual TLS [$BATON_TLS_CLIENT_CERT]")
    parser.add_argument("--tls-key", dest="key_file",
                        help="PEM private key of --tls-cert [$BATON_TLS_CLIENT_KEY]")
    parser.add_argument("--tls-server-name", dest="server_name",
                        help="name to verify in the orchestrator's certificate "
                             "[$BATON_TLS_SERVER_NAME]")
    parser.add_argument("--token-file", dest="token_file",
                        help="file holding the bearer token; else $BATON_TOKEN [$BATON_TOKEN_FILE]")


def options_from_args(args: argparse.Namespace,
                      env: Optional[Mapping[str, str]] = None) -> ConnectionOptions:
    """Flags over environment variables over defaults."""
    address = ",".join(args.address) if args.address else None
    return ConnectionOptions.from_env(env, address=address, tls=args.tls, ca_file=args.ca_file,
                                      cert_file=args.cert_file, key_file=args.key_file,
                                      server_name=args.server_name, token_file=args.token_file)


def _bad_entry(entry: str, why: str) -> InvalidArgument:
    return InvalidArgument(
        f'orchestrator address "{entry}": {why}; a list of several addresses takes IP:port '
        "entries (IPv6 as [addr]:port); for host names use one DNS name that resolves to every "
        "replica, e.g. dns:///baton.internal:7233")


def _parse_ip(entry: str) -> Tuple[str, bool]:
    """``entry`` (IP:port) normalised, and whether it is IPv6."""
    if entry.startswith("["):
        close = entry.find("]")
        if close < 0:
            raise _bad_entry(entry, "no closing ']'")
        host, rest, v6 = entry[1:close], entry[close + 1:], True
    else:
        host, sep, port = entry.rpartition(":")
        if not sep:
            raise _bad_entry(entry, "no port")
        if ":" in host:
            raise _bad_entry(entry, "an IPv6 address needs brackets")
        rest, v6 = ":" + port, False
    port_text = rest[1:] if rest.startswith(":") else ""
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise _bad_entry(entry, "expected a port 1..65535 after the address")
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        raise _bad_entry(entry, "not an IPv6 address" if v6 else "not an IPv4 address") from None
    if (parsed.version == 6) != v6:
        raise _bad_entry(entry, "not an IPv4 address")
    return (f"[{host}]:{port_text}" if v6 else f"{host}:{port_text}"), v6


def channel_target(addresses: str) -> str:
    """The gRPC target for ``addresses`` (the rule of common/rpc/channel_target.cc):
    one address as it is; several IP:port entries as "ipv4:a,b" (or ipv6:),
    which the round-robin policy spreads calls over and fails over between; a
    target with a scheme passed through. InvalidArgument for a bad list."""
    trimmed = addresses.strip()
    if trimmed.startswith(_SCHEMES):
        return trimmed
    entries = [e.strip() for e in trimmed.split(",") if e.strip()]
    if not entries:
        raise InvalidArgument("no orchestrator address given")
    if len(entries) == 1:
        return entries[0]
    parts: List[str] = []
    families = set()
    for entry in entries:
        part, v6 = _parse_ip(entry)
        if families and v6 not in families:
            raise _bad_entry(entry, "IPv4 and IPv6 addresses cannot be mixed in one list")
        families.add(v6)
        parts.append(part)
    return ("ipv6:" if True in families else "ipv4:") + ",".join(parts)


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            content = f.read()
    except OSError:
        raise NotFound(f'{what}: cannot read "{path}"') from None
    if not content:
        raise InvalidArgument(f'{what}: "{path}" is empty')
    return content


def _check_token(token: str, where: str) -> str:
    if not token:
        raise InvalidArgument(f"{where}: the token is empty")
    if any(not "!" <= c <= "~" for c in token):
        raise InvalidArgument(f"{where}: the token has a character outside visible ASCII; "
                              "expected e.g. the output of `openssl rand -hex 32`")
    return token


def read_token(options: ConnectionOptions, env: Optional[Mapping[str, str]] = None) -> str:
    """The bearer token: ``token``, else the token file, else $BATON_TOKEN; "" for none."""
    if options.token and not options.token_file:
        return _check_token(options.token.strip(), "the bearer token")
    if options.token_file:
        try:
            with open(options.token_file, encoding="utf-8") as f:
                content = f.read()
        except (OSError, UnicodeDecodeError):
            raise NotFound(f'token file "{options.token_file}" cannot be read') from None
        return _check_token(content.strip(), f'token file "{options.token_file}"')
    value = (os.environ if env is None else env).get(TOKEN_ENV, "").strip()
    return _check_token(value, f"${TOKEN_ENV}") if value else ""


def _credentials(options: ConnectionOptions) -> Optional[grpc.ChannelCredentials]:
    token = read_token(options)
    if not options.uses_tls():
        if token:
            raise InvalidArgument(f"a bearer token (--token-file or ${TOKEN_ENV}) is only sent "
                                  "over TLS; add --tls-ca FILE (or --tls for the system's roots)")
        return None
    if bool(options.cert_file) != bool(options.key_file):
        raise InvalidArgument("--tls-cert and --tls-key go together: a client certificate needs "
                              "its private key")
    ssl = grpc.ssl_channel_credentials(
        root_certificates=_read(options.ca_file, "--tls-ca") if options.ca_file else None,
        private_key=_read(options.key_file, "--tls-key") if options.key_file else None,
        certificate_chain=_read(options.cert_file, "--tls-cert") if options.cert_file else None)
    if not token:
        return ssl
    return grpc.composite_channel_credentials(ssl, grpc.access_token_call_credentials(token))


def open_channel(options: ConnectionOptions) -> grpc.Channel:
    """A channel to the orchestrator (connects lazily): round-robin over every
    address, reconnect backoff at most 5 s, the orchestrator's message bounds,
    the token only over TLS. InvalidArgument / NotFound for bad options or
    unreadable files."""
    target = channel_target(options.address)
    if options.uses_tls() and not options.server_name and target.startswith(("ipv4:", "ipv6:")) \
            and "," in target:
        raise InvalidArgument("several orchestrator addresses over TLS need --tls-server-name: "
                              "the name every replica's certificate carries")
    credentials = _credentials(options)
    args = [("grpc.lb_policy_name", "round_robin"),
            ("grpc.max_reconnect_backoff_ms", 5000),
            ("grpc.max_send_message_length", _limits.MAX_REQUEST_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", _limits.MAX_RESPONSE_MESSAGE_BYTES)]
    if options.keepalive_seconds > 0:
        ms = int(options.keepalive_seconds * 1000)
        args += [("grpc.keepalive_time_ms", ms), ("grpc.keepalive_timeout_ms", ms),
                 ("grpc.keepalive_permit_without_calls", 1)]
    if credentials is None:
        return grpc.insecure_channel(target, options=args)
    if options.server_name:
        args.append(("grpc.ssl_target_name_override", options.server_name))
    return grpc.secure_channel(target, credentials, options=args)
