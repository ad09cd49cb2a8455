"""Addresses, TLS and token options (the rules of common/rpc/)."""
import os
import tempfile
import unittest

from baton.connection import ConnectionOptions, channel_target, open_channel, read_token
from baton.errors import InvalidArgument, NotFound


class ChannelTargetTest(unittest.TestCase):
    def test_one_address_is_kept(self):
        self.assertEqual(channel_target(" localhost:7233 "), "localhost:7233")

    def test_several_become_a_round_robin_list(self):
        self.assertEqual(channel_target("127.0.0.1:1, 127.0.0.2:2"), "ipv4:127.0.0.1:1,127.0.0.2:2")
        self.assertEqual(channel_target("[::1]:1,[::2]:2"), "ipv6:[::1]:1,[::2]:2")

    def test_targets_with_a_scheme_pass_through(self):
        self.assertEqual(channel_target("dns:///baton:7233"), "dns:///baton:7233")

    def test_bad_lists_name_the_entry(self):
        for bad, why in [("a.example:1,b.example:2", "a.example:1"), ("127.0.0.1,10.0.0.1:1", "no port"),
                         ("127.0.0.1:1,[::1]:2", "mixed"), ("127.0.0.1:0,127.0.0.2:1", "port"),
                         ("", "no orchestrator address")]:
            with self.assertRaisesRegex(InvalidArgument, why):
                channel_target(bad)


class CredentialsTest(unittest.TestCase):
    def test_env_variables_are_read(self):
        options = ConnectionOptions.from_env({"BATON_ADDRESS": "h:1", "BATON_TLS": "1",
                                              "BATON_TLS_CA": "ca.pem",
                                              "BATON_TLS_SERVER_NAME": "baton"}, ca_file=None)
        self.assertEqual((options.address, options.tls, options.ca_file, options.server_name),
                         ("h:1", True, "ca.pem", "baton"))

    def test_a_token_travels_only_over_tls(self):
        with self.assertRaisesRegex(InvalidArgument, "only sent over TLS"):
            open_channel(ConnectionOptions(address="127.0.0.1:1", token="abc"))

    def test_token_file_env_and_bad_characters(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("  tok123\n")
        try:
            self.assertEqual(read_token(ConnectionOptions(token_file=f.name), {}), "tok123")
        finally:
            os.unlink(f.name)
        self.assertEqual(read_token(ConnectionOptions(), {"BATON_TOKEN": "envtok"}), "envtok")
        self.assertEqual(read_token(ConnectionOptions(), {}), "")
        with self.assertRaisesRegex(InvalidArgument, "visible ASCII"):
            read_token(ConnectionOptions(token="a b"), {})
        with self.assertRaises(NotFound):
            read_token(ConnectionOptions(token_file="/nonexistent/token"), {})

    def test_certificate_needs_its_key_and_lists_need_a_server_name(self):
        with self.assertRaisesRegex(InvalidArgument, "go together"):
            open_channel(ConnectionOptions(address="127.0.0.1:1", cert_file="c.pem"))
        with self.assertRaisesRegex(InvalidArgument, "--tls-server-name"):
            open_channel(ConnectionOptions(address="127.0.0.1:1,127.0.0.2:1", tls=True))


if __name__ == "__main__":
    unittest.main()
