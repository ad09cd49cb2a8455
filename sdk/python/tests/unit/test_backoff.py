"""Reconnect and retry delays (the rule of common/base/backoff.h) and durations."""
import datetime
import unittest

from baton.backoff import BackoffPolicy, backoff_delay
from baton.durations import to_seconds, to_spec


class BackoffTest(unittest.TestCase):
    policy = BackoffPolicy(initial=0.2, factor=2.0, max=10.0, jitter=0.2)

    def test_grows_exponentially_without_jitter_at_the_middle(self):
        self.assertEqual([round(backoff_delay(self.policy, n, 0.5), 6) for n in range(1, 5)],
                         [0.2, 0.4, 0.8, 1.6])

    def test_jitter_spreads_within_its_fraction(self):
        self.assertAlmostEqual(backoff_delay(self.policy, 1, 0.0), 0.16)
        self.assertAlmostEqual(backoff_delay(self.policy, 1, 0.999999), 0.24, places=5)

    def test_capped_at_max_even_with_jitter_and_huge_retries(self):
        self.assertEqual(backoff_delay(self.policy, 10_000, 0.99), 10.0)
        self.assertGreaterEqual(backoff_delay(self.policy, 10_000, 0.0), 8.0)


class DurationTest(unittest.TestCase):
    def test_forms(self):
        self.assertEqual(to_seconds(2, "d"), 2.0)
        self.assertEqual(to_seconds("1m30s", "d"), 90.0)
        self.assertEqual(to_seconds("250ms", "d"), 0.25)
        self.assertEqual(to_seconds(datetime.timedelta(minutes=2), "d"), 120.0)
        self.assertEqual(to_spec(1.5, "d"), "1500ms")

    def test_bad_durations_name_the_field(self):
        for bad in ("2 parsecs", "", -1, True, [1]):
            with self.assertRaisesRegex(ValueError, "retry_delay"):
                to_seconds(bad, "retry_delay")


if __name__ == "__main__":
    unittest.main()
