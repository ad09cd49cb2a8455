"""extract: returns the items to process (simulating 0.3 s of I/O)."""
import json
import sys
import time

task_input = json.load(sys.stdin)
time.sleep(0.3)
print(json.dumps({"items": task_input["params"]["items"]}))
