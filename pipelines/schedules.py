"""When things run by themselves (the Dagster daemon, `make serve`)."""

from datetime import datetime, timedelta

from dagster import RunRequest, ScheduleEvaluationContext, schedule

PARIS = "Europe/Paris"


def previous_month(moment: datetime) -> str:
    return (moment.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def previous_year(moment: datetime) -> str:
    return str(moment.year - 1)


def build_schedules(monthly_job, yearly_job, retention_job):
    """Monthly extract on the 5th (members send their files in the first days), yearly in mid-January,
    retention purge on the 1st of each month at night."""

    @schedule(cron_schedule="0 6 5 * *", job=monthly_job, execution_timezone=PARIS, name="monthly_region_extract")
    def monthly_region_extract(context: ScheduleEvaluationContext):
        month = previous_month(context.scheduled_execution_time)
        return RunRequest(run_key=f"extract-{month}", partition_key=month)

    @schedule(cron_schedule="0 6 15 1 *", job=yearly_job, execution_timezone=PARIS, name="yearly_region_extract")
    def yearly_region_extract(context: ScheduleEvaluationContext):
        year = previous_year(context.scheduled_execution_time)
        return RunRequest(run_key=f"extract-{year}", partition_key=year)

    @schedule(cron_schedule="0 3 1 * *", job=retention_job, execution_timezone=PARIS, name="monthly_retention_purge")
    def monthly_retention_purge(context: ScheduleEvaluationContext):
        return RunRequest(run_key=f"retention-{context.scheduled_execution_time:%Y-%m}")

    return [monthly_region_extract, yearly_region_extract, monthly_retention_purge]
