"""The chaos bench's verdict, counted from what the sinks recorded against the delivery rows and the
audit table (see bench/chaos_bench.py)."""

from __future__ import annotations


def verify(driver) -> tuple[dict, list[str]]:
    from django.db import connection
    from django.db.models import Count

    from campaigns.dispatch import delivery_id_from
    from campaigns.models import Delivery
    from channels.testing.chaos import read_records, tally

    failures, result = [], {}
    driver.held_by_the_dead()
    lost = duplicates = explained = at_redis = messages = 0
    for channel, campaign_id in driver.campaigns.items():
        rows = Delivery.objects.filter(campaign_id=campaign_id)
        total, skipped = rows.count(), rows.filter(status="skipped")
        if total != driver.expected[channel]:
            failures.append(f"{channel}: {total} delivery rows, expected {driver.expected[channel]}")
        if skipped.exists():  # nobody in the seed may be skipped: ``eligible`` must not hide a loss
            reasons = dict(skipped.values_list("skip_reason").annotate(n=Count("id")).order_by())
            failures.append(f"{channel}: {skipped.count()} rows skipped: {reasons}")
        eligible = set(rows.exclude(status="skipped").values_list("address", flat=True))
        counted = tally(eligible, read_records(driver.records[channel]), driver.in_flight,
                        delivery_id_from=delivery_id_from, redis_restart=driver.in_flight_redis)
        messages += counted.messages
        lost += counted.lost
        duplicates += counted.duplicates
        explained += counted.duplicates_in_flight
        at_redis += counted.duplicates_redis_restart
        print(f"{channel}: {total} rows, {counted.messages} eligible, {counted.lost} lost {counted.lost_examples}, "
              f"{counted.duplicates} duplicates ({counted.duplicates_in_flight} in flight at a kill, "
              f"{counted.duplicates_redis_restart} at the Redis restart) unexplained: {counted.unexplained}")
        open_rows = rows.filter(status__in=("pending", "sending")).count()
        statuses = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
        print(f"{channel}: delivery rows by status {statuses}")
        if open_rows:
            failures.append(f"{channel}: {open_rows} delivery rows not final")
    with connection.cursor() as cursor:
        # The event that goes with each final state: sent → send.sent, skipped → send.skipped, failed →
        # send.failed or send.parked.
        cursor.execute(
            "SELECT d.campaign_id, COUNT(*) FROM campaigns_delivery d WHERE d.campaign_id = ANY(%s) AND NOT EXISTS ("
            "SELECT 1 FROM audit_auditevent e WHERE e.object_type = 'campaigns.delivery' AND e.object_id = d.id::text "
            "AND ((d.status = 'sent' AND e.action = 'send.sent') "
            "OR (d.status = 'skipped' AND e.action = 'send.skipped') "
            "OR (d.status = 'failed' AND e.action IN ('send.failed', 'send.parked')))) GROUP BY d.campaign_id",
            [list(driver.campaigns.values())])
        unaudited = cursor.fetchall()
    print(f"every delivery row final: {not any('not final' in f for f in failures)}; "
          f"rows without the audit event of their final state: {sum(n for _, n in unaudited)}")
    if unaudited:
        failures.append(f"deliveries without their audit event: {unaudited}")
    if lost:
        failures.append(f"{lost} eligible recipients never received a message")
    if duplicates != explained:
        failures.append(f"{duplicates - explained} duplicates not in flight at a kill "
                        f"({at_redis} of them matched the Redis restart)")
    result.update(messages=messages, kills=driver.kills, redis_restarts=driver.redis_restarts, lost=lost,
                  duplicates=duplicates, duplicates_in_flight=explained, duplicates_redis_restart=at_redis,
                  recovery_s_max=round(max(driver.recoveries, default=0.0), 1))
    if driver.waiting:
        failures.append(f"never recovered: {[label for label, *_ in driver.waiting]}")
    return result, failures
