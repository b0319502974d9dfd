"""Schedules: DataZone's cron syntax and timezones, kept in the database, run once when due (also after a
restart that missed several), with the clock as the only thing faked."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from scenario import build_world, query_rows, resource, wait_until

from openzone.db.session import session_scope
from openzone.errors import ValidationError
from openzone.sources import schedule
from openzone.sources.models import DataSource
from openzone.sources.scheduler import Scheduler, run_due


@pytest.fixture(scope="module")
def world(server):
    world = build_world(server)
    query_rows(world.producer, world.sales_env["id"], "CREATE TABLE daily AS SELECT 1 AS id")
    world.db = resource(world.sales_env, "glueProducerDBName")
    return world


def scheduled_source(world, name, cron="cron(0 2 * * ? *)", timezone="EUROPE_PARIS", **extra):
    return world.producer.dz.create_data_source(
        domainIdentifier=world.domain_id, projectIdentifier=world.sales_id, environmentIdentifier=world.sales_env["id"],
        name=name, type="GLUE", schedule={"schedule": cron, "timezone": timezone},
        configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": world.db}]}},
        **extra)


def next_run_at(server, source_id):
    with session_scope(server.settings.metadata_url) as session:
        return session.get(DataSource, source_id).next_run_at


@pytest.mark.parametrize("cron, timezone, after, expected", [
    ("cron(0 2 * * ? *)", "EUROPE_PARIS", datetime(2026, 7, 1, 12, tzinfo=UTC), datetime(2026, 7, 2, 0, tzinfo=UTC)),
    ("cron(30 9 ? * MON-FRI *)", "US_EASTERN", datetime(2026, 11, 28, tzinfo=UTC),
     datetime(2026, 11, 30, 14, 30, tzinfo=UTC)),
    ("cron(0 12 ? * 2 *)", "UTC", datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 11, 30, 12, tzinfo=UTC)),
    ("cron(0 12 ? * 6#3 *)", "UTC", datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 12, 18, 12, tzinfo=UTC)),
    ("cron(0 12 L * ? 2027)", "UTC", datetime(2026, 11, 28, tzinfo=UTC), datetime(2027, 1, 31, 12, tzinfo=UTC)),
    ("cron(0/15 * * * ? *)", "ASIA_CALCUTTA", datetime(2026, 11, 28, 0, 40, tzinfo=UTC),
     datetime(2026, 11, 28, 0, 45, tzinfo=UTC)),
    ("cron(0 0 1 1 ? 2020)", "UTC", datetime(2026, 1, 1, tzinfo=UTC), None),
])
def test_datazone_cron_in_datazone_timezones(cron, timezone, after, expected):
    assert schedule.next_run({"schedule": cron, "timezone": timezone}, after) == expected


@pytest.mark.parametrize("cron", ["0 2 * * ? *", "cron(0 2 * * *)", "cron(0 2 * * * *)", "cron(0 2 1W * ? *)",
                                  "cron(0 99 * * ? *)"])
def test_bad_cron_is_refused(cron):
    with pytest.raises(ValidationError, match="schedule.schedule"):
        schedule.validate({"schedule": cron})


def test_every_timezone_of_the_model_is_known():
    import botocore.session

    model = botocore.session.get_session().get_service_model("datazone")
    for name in model.shape_for("Timezone").enum:
        schedule.zone(name)


def test_a_due_schedule_runs_once_even_after_missing_several(server, world):
    source = scheduled_source(world, "nightly")
    assert source["schedule"] == {"schedule": "cron(0 2 * * ? *)", "timezone": "EUROPE_PARIS"}
    first = next_run_at(server, source["id"])
    assert first > datetime.now(UTC)
    assert run_due(server.settings, first - timedelta(minutes=1)) == []
    later = first + timedelta(days=3, hours=5)  # the server was down for three nights
    started = run_due(server.settings, later)
    assert len(started) == 1
    assert run_due(server.settings, later) == []  # not again for the nights it missed
    assert next_run_at(server, source["id"]) > later
    dz = world.producer.dz
    run = wait_until(lambda: (lambda r: r if r["status"] == "SUCCESS" else None)(
        dz.get_data_source_run(domainIdentifier=world.domain_id, identifier=started[0])), timeout=60)
    assert run["type"] == "SCHEDULED" and run["runStatisticsForAssets"]["added"] == 1


def test_disabled_sources_and_running_sources_are_skipped(server, world):
    disabled = scheduled_source(world, "off", enableSetting="DISABLED")
    assert next_run_at(server, disabled["id"]) is None
    busy = scheduled_source(world, "busy-nightly")
    due = next_run_at(server, busy["id"])
    with session_scope(server.settings.metadata_url) as session:
        session.get(DataSource, busy["id"]).status = "RUNNING"
    assert run_due(server.settings, due + timedelta(minutes=1)) == []
    assert next_run_at(server, busy["id"]) > due  # that time is skipped, the next one stays
    with pytest.raises(ClientError) as error:
        world.producer.dz.start_data_source_run(domainIdentifier=world.domain_id, dataSourceIdentifier=disabled["id"])
    assert error.value.response["Error"]["Code"] == "ValidationException"
    world.producer.dz.update_data_source(domainIdentifier=world.domain_id, identifier=disabled["id"],
                                         enableSetting="ENABLED", schedule={"schedule": "cron(0 3 * * ? *)"})
    assert next_run_at(server, disabled["id"]) is not None


def test_the_scheduler_thread_ticks_with_an_injected_clock(server, world):
    source = scheduled_source(world, "ticked", cron="cron(15 4 * * ? *)", timezone="UTC")
    due = next_run_at(server, source["id"])
    settings = server.settings.model_copy(update={"scheduler_poll_seconds": 0.05})
    scheduler = Scheduler(settings, clock=lambda: due + timedelta(seconds=1))
    scheduler.start()
    try:
        runs = wait_until(lambda: world.producer.dz.list_data_source_runs(
            domainIdentifier=world.domain_id, dataSourceIdentifier=source["id"])["items"])
    finally:
        scheduler.stop()
        scheduler.join(timeout=5)
    assert len(runs) == 1 and runs[0]["type"] == "SCHEDULED"
