"""TLS and bearer tokens between Python workers, the Python client and a real
orchestrator: the right credentials run a flow end to end, wrong ones are
refused with their code, and handlers never see the worker's token.
Certificates and tokens are made at test time with the openssl command."""
import os
import shutil
import subprocess
import tempfile
import unittest

import baton
from baton.connection import ConnectionOptions
from tests.e2e import handlers
from tests.e2e.harness import SOURCE_DIR, Cluster, load_module

LOCAL_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1"


def openssl(pki: str, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=pki, check=True, capture_output=True, timeout=30)


def make_pki(pki: str) -> None:
    """A CA, a server certificate for localhost / 127.0.0.1, and two tokens."""
    os.makedirs(pki)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(pki, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=test-ca")
    openssl(pki, "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj",
            "/CN=localhost")
    with open(os.path.join(pki, "server.ext"), "w") as f:
        f.write(LOCAL_NAMES + "\n")
    openssl(pki, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    for token in ("worker.token", "operator.token"):
        openssl(pki, "rand", "-hex", "-out", token, "32")


class TlsTokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = os.path.join(tempfile.mkdtemp(prefix="baton-py-pki-"), "pki")
        make_pki(cls.pki)
        cls.cluster = Cluster("security", extra_args=[
            "--tls-cert", cls.path("server.pem"), "--tls-key", cls.path("server.key"),
            "--worker-token-file", cls.path("worker.token"),
            "--operator-token-file", cls.path("operator.token")])

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        shutil.rmtree(os.path.dirname(cls.pki), ignore_errors=True)

    @classmethod
    def path(cls, name: str) -> str:
        return os.path.join(cls.pki, name)

    def client(self, token_file: str) -> baton.Client:
        return baton.Client(connection=ConnectionOptions(
            address=self.cluster.address, ca_file=self.path("ca.pem"),
            token_file=self.path(token_file)))

    def test_worker_and_client_with_tls_and_tokens_run_a_flow(self):
        env = {"BATON_TLS_CA": self.path("ca.pem")}
        with open(self.path("worker.token")) as f:
            env["BATON_TOKEN"] = f.read().strip()
        etl = os.path.join(SOURCE_DIR, "examples", "python", "01_basic_flow.py")
        self.cluster.start_worker(target=etl, env=env)
        with self.client("operator.token") as client:
            client.apply_flow(load_module(etl).etl)
            run = client.run("py-basic-etl", timeout=60)
            self.assertEqual((run.state, run.result), ("COMPLETED", 5))
        self.cluster.start_worker(env=env)  # handlers.py, beside the first on the same queue
        with self.client("operator.token") as client:
            client.apply_flow(handlers.environment_flow)
            run = client.run("py-environment", timeout=60)
            self.assertEqual(run.result, {"token_visible": False})

    def test_wrong_credentials_are_refused_with_their_code(self):
        with self.client("worker.token") as client:  # a worker's token is no operator's
            with self.assertRaises((baton.PermissionDenied, baton.Unauthenticated)):
                client.list_runs()
        plain = baton.Client(self.cluster.address, timeout=5)
        with self.assertRaises(baton.Unavailable):
            plain.list_runs()
        plain.close()
        env = {"BATON_TLS_CA": self.path("ca.pem"), "BATON_TOKEN_FILE": self.path("operator.token")}
        worker = self.cluster.start_worker(env=env)
        self.assertEqual(worker.wait(30), 1)  # refused: the worker stops, saying why
        self.assertRegex(self.cluster.worker_log(len(self.cluster.workers) - 1),
                         "UNAUTHENTICATED|PERMISSION_DENIED")


if __name__ == "__main__":
    unittest.main()
