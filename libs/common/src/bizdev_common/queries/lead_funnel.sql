-- Lead-to-project funnel by department: leads submitted, qualified, discarded, converted, their applications approved and projects opened
WITH leads AS (SELECT DISTINCT aggregate_id, department FROM projects.lead_submitted_v1),
qualified AS (SELECT DISTINCT aggregate_id FROM projects.lead_qualified_v1),
discarded AS (SELECT DISTINCT aggregate_id FROM projects.lead_discarded_v1),
converted AS (SELECT DISTINCT aggregate_id, application_id FROM projects.lead_converted_v1),
approved AS (SELECT DISTINCT aggregate_id AS application_id FROM projects.application_approved_v1),
opened AS (SELECT DISTINCT application_id FROM projects.project_opened_v1)
SELECT
    l.department,
    count(*) AS leads,
    count(q.aggregate_id) AS qualified,
    count(d.aggregate_id) AS discarded,
    count(c.aggregate_id) AS converted,
    count(a.application_id) AS approved,
    count(o.application_id) AS projects_opened,
    round(100.0 * count(o.application_id) / count(*), 1) AS lead_to_project_pct
FROM leads AS l
LEFT JOIN qualified AS q USING (aggregate_id)
LEFT JOIN discarded AS d USING (aggregate_id)
LEFT JOIN converted AS c USING (aggregate_id)
LEFT JOIN approved AS a ON a.application_id = c.application_id
LEFT JOIN opened AS o ON o.application_id = c.application_id
GROUP BY l.department
ORDER BY l.department
