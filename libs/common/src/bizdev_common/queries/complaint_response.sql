-- Complaint response times against their deadlines, by department and severity (first response vs response_due_at)
WITH received AS (
    SELECT
        aggregate_id,
        any_value(department) AS department,
        any_value(severity) AS severity,
        min(received_at) AS received_at,
        min(response_due_at) AS response_due_at
    FROM crm.complaint_received_v1
    GROUP BY aggregate_id
),
responded AS (
    SELECT aggregate_id, min(occurred_at) AS responded_at
    FROM crm.complaint_responded_v1
    GROUP BY aggregate_id
)
SELECT
    department,
    severity,
    count(*) AS complaints,
    count(responded_at) AS responded,
    count(*) FILTER (WHERE responded_at <= response_due_at) AS on_time,
    count(*) FILTER (WHERE responded_at > response_due_at) AS late,
    count(*) FILTER (WHERE responded_at IS NULL AND response_due_at < now()) AS unanswered_overdue,
    round(avg(epoch(responded_at - received_at)) / 3600, 1) AS avg_hours_to_respond,
    round(max(epoch(responded_at - received_at)) / 3600, 1) AS max_hours_to_respond
FROM received
LEFT JOIN responded USING (aggregate_id)
GROUP BY department, severity
ORDER BY department, severity
