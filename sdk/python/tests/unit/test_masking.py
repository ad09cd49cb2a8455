"""Secret masking and the bounds of an attempt's log."""
import unittest

from baton import _limits
from baton.masking import AttemptLog, SecretMask, clean_log_text, secret_values


class SecretMaskTest(unittest.TestCase):
    def test_longer_secrets_are_masked_first(self):
        mask = SecretMask(["abc", "abcdef", "", "abc"])
        self.assertEqual(mask.values, ("abcdef", "abc"))
        self.assertEqual(mask.apply("x abcdef y abc"), "x *** y ***")

    def test_no_secrets_leaves_values_as_they_are(self):
        value = {"b": 1, "a": [True, None]}
        self.assertIs(SecretMask().apply_json(value), value)

    def test_secret_values_are_those_of_the_secret_names(self):
        env = {"A": "1", "PW": "pw", "TOKEN": "t"}
        self.assertEqual(secret_values(env, ["PW", "TOKEN", "MISSING"]), ["pw", "t"])


class LogTextTest(unittest.TestCase):
    def test_long_lines_are_cut_on_a_character_boundary_and_marked(self):
        text = clean_log_text("é" * _limits.MAX_LOG_LINE_BYTES)
        self.assertTrue(text.endswith(_limits.TRUNCATED_MARK))
        self.assertLessEqual(len(text.encode("utf-8")), _limits.MAX_LOG_LINE_BYTES)

    def test_nul_and_lone_surrogates_are_cleaned(self):
        self.assertEqual(clean_log_text("a\0b"), "ab")
        clean_log_text("bad \ud800 text").encode("utf-8")  # does not raise


class AttemptLogTest(unittest.TestCase):
    def test_secrets_are_masked_before_the_line_is_cut(self):
        secret = "TOPSECRET"
        log = AttemptLog(SecretMask([secret]))
        line = "x" * (_limits.MAX_LOG_LINE_BYTES - 4) + secret
        kept = log.add("log", "info", line)
        self.assertNotIn("TOPS", kept)

    def test_lines_past_the_bound_are_counted_as_dropped(self):
        log = AttemptLog(SecretMask(), max_lines=3, max_bytes=1000)
        for i in range(5):
            log.add("stdout", "info", f"line {i}")
        lines, dropped = log.take()
        self.assertEqual([l.message for l in lines], ["line 0", "line 1", "line 2"])
        self.assertEqual(dropped, 2)
        self.assertEqual(log.take(), ([], 0))

    def test_the_byte_bound_applies_too(self):
        log = AttemptLog(SecretMask(), max_lines=100, max_bytes=10)
        log.add("log", "info", "12345678")
        log.add("log", "info", "123")
        lines, dropped = log.take()
        self.assertEqual((len(lines), dropped), (1, 1))

    def test_lost_lines_are_reported_with_the_next_batch(self):
        log = AttemptLog(SecretMask())
        log.count_lost(4)
        self.assertEqual(log.take(), ([], 4))


if __name__ == "__main__":
    unittest.main()
