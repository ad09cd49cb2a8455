"""The course's fourth exercise (04_scheduling.py + 04_build_deployment.py): a
daily job deployed to run at 09:00 Europe/Madrid (07:00 UTC in summer, 08:00
in winter), with tags, parameters and environment configuration.

    /usr/bin/python3 examples/python/04_scheduling.py

applies the flow and the deployment, prints the next fires, and runs the
deployment once now. Its last task reads the deployment's env and the run's
scheduled time from ``ctx``; the secret password is masked in its logs.
"""
import baton
from baton import Cron, Deployment, Secret, flow, task
from baton.local import ServingWorker


@task(handler="pycourse.daily_extract")
def extract(items: list) -> dict:
    return {"items": items}


@task(handler="pycourse.daily_transform")
def transform(payload: dict, factor: int) -> list:
    return [i * factor for i in payload["items"]]


@task(handler="pycourse.daily_load")
def load(values: list) -> int:
    return len(values)


@task(handler="pycourse.daily_report")
def report(ctx, count: int) -> dict:
    ctx.log.info(f"connecting to the warehouse as {ctx.env.get('WAREHOUSE_PASSWORD')}")
    scheduled = ctx.scheduled_time.isoformat() if ctx.scheduled_time else None
    return {"environment": ctx.env.get("BATON_ENV"), "region": ctx.env.get("REGION"),
            "loaded": count, "scheduled_for": scheduled}


@flow(name="py-daily-job")
def daily_job(items: list = [1, 2, 3, 4, 5], factor: int = 2):
    """the daily pipeline, scheduled by the py-daily-0900 deployment"""
    count = load(transform(extract(items), factor))
    return report(count)


deployment = Deployment(
    "py-daily-0900", flow=daily_job,
    schedules=[Cron("0 9 * * *", timezone="Europe/Madrid")],
    parameters={"items": [1, 2, 3, 4, 5], "factor": 2},
    env={"BATON_ENV": "production", "REGION": "eu-south",
         "WAREHOUSE_PASSWORD": Secret("change-me")},
    tags=["week-10"], catch_up="latest", overlap="skip", late_after=600)


if __name__ == "__main__":
    serving = ServingWorker(daily_job)  # before the client: its fork server forks first
    client = baton.Client(connection=serving.worker.connection)
    client.apply_flow(daily_job)
    applied = client.apply_deployment(deployment)
    for fire in applied.next_fires:
        print("next fire:", fire.at.ToDatetime().isoformat() + "Z")
    with serving:
        run = client.wait(client.run_deployment("py-daily-0900").id, timeout=60)
    print(f"run {run.id}: {run.state}, result {run.result}")
