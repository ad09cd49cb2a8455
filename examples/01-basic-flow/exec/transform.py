"""transform: multiplies every extracted item by the `factor` parameter."""
import json
import sys

task_input = json.load(sys.stdin)
factor = task_input["params"]["factor"]
items = task_input["upstream"]["extract"]["items"]
print(json.dumps([item * factor for item in items]))
