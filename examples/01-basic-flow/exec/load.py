"""load: a fake sink; returns how many values it loaded."""
import json
import sys

task_input = json.load(sys.stdin)
values = task_input["upstream"]["transform"]
print(json.dumps({"count": len(values)}))
