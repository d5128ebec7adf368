-- Budget variance by department: each project's latest approved budget against the expenses posted against it
WITH opened AS (
    SELECT DISTINCT aggregate_id AS budget_id, project_id, department
    FROM finance.budget_opened_v1
),
latest AS (
    SELECT aggregate_id AS budget_id, lines
    FROM finance.budget_approved_v1
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY budget_version DESC) = 1
),
budgeted AS (
    SELECT budget_id, line.amount.currency AS currency, sum(line.amount.amount) AS budgeted
    FROM (SELECT budget_id, unnest(lines) AS line FROM latest)
    GROUP BY ALL
),
posted AS (
    SELECT project_id, amount.currency AS currency, sum(amount.amount) AS actual
    FROM (
        SELECT * FROM finance.expense_posted_v1
        QUALIFY row_number() OVER (PARTITION BY ce_id ORDER BY kafka_offset) = 1
    )
    GROUP BY ALL
)
SELECT
    o.department,
    b.currency,
    count(DISTINCT o.project_id) AS projects,
    sum(b.budgeted) AS budgeted,
    coalesce(sum(p.actual), 0) AS actual,
    coalesce(sum(p.actual), 0) - sum(b.budgeted) AS variance,
    round(100 * (coalesce(sum(p.actual), 0) - sum(b.budgeted)) / nullif(sum(b.budgeted), 0), 1)
        AS variance_pct
FROM opened AS o
JOIN budgeted AS b USING (budget_id)
LEFT JOIN posted AS p ON p.project_id = o.project_id AND p.currency = b.currency
GROUP BY o.department, b.currency
ORDER BY o.department, b.currency
