"""The worker's outage rule and heartbeat call bound, as the C++ worker has them
(worker/lease_presumption.h)."""
import math
import unittest

from baton.errors import BatonError
from baton.worker.runtime import heartbeat_call_deadline, lost_its_database, presume_lease_lost

LEASE = 3.0


class PresumeLeaseLostTest(unittest.TestCase):
    def test_within_the_lease_nothing_is_presumed(self):
        self.assertFalse(presume_lease_lost(1.0, math.inf, LEASE))
        self.assertFalse(presume_lease_lost(LEASE, math.inf, LEASE))

    def test_no_answer_for_a_whole_lease_is_lost(self):
        self.assertTrue(presume_lease_lost(LEASE + 0.001, math.inf, LEASE))
        self.assertTrue(presume_lease_lost(10.0, LEASE + 0.001, LEASE))

    def test_a_database_answer_within_the_lease_keeps_the_attempt(self):
        self.assertFalse(presume_lease_lost(10.0, 2.0, LEASE))
        self.assertFalse(presume_lease_lost(3600.0, 0.0, LEASE))


class LostItsDatabaseTest(unittest.TestCase):
    def test_unavailable_or_deadline_from_the_database_counts(self):
        for code, message in [
            ("UNAVAILABLE", "database: cannot connect within 833ms"),
            ("UNAVAILABLE", "database pool: no free connection within 839ms"),
            ("DEADLINE_EXCEEDED", "database: the caller's deadline passed before the commit"),
        ]:
            self.assertTrue(lost_its_database(BatonError(message, code)), message)

    def test_other_failures_do_not(self):
        for code, message in [
            ("UNAVAILABLE", "failed to connect to all addresses"),
            ("DEADLINE_EXCEEDED", "Deadline Exceeded"),
            ("INTERNAL", "database: syntax error"),
        ]:
            self.assertFalse(lost_its_database(BatonError(message, code)), message)


class HeartbeatCallDeadlineTest(unittest.TestCase):
    def test_a_third_of_the_shortest_lease(self):
        self.assertAlmostEqual(heartbeat_call_deadline(6.0, 10.0), 2.0)
        self.assertAlmostEqual(heartbeat_call_deadline(3.0, 10.0), 1.0)

    def test_bounded_by_the_rpc_timeout_and_a_floor_of_one_second(self):
        self.assertEqual(heartbeat_call_deadline(60.0, 10.0), 10.0)
        self.assertEqual(heartbeat_call_deadline(math.inf, 10.0), 10.0)
        self.assertEqual(heartbeat_call_deadline(0.3, 10.0), 1.0)
        self.assertEqual(heartbeat_call_deadline(0.3, 0.2), 0.2)


if __name__ == "__main__":
    unittest.main()
