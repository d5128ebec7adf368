-- KRI alerts by month: thresholds crossed per indicator and level (UTC months)
SELECT
    strftime(date_trunc('month', "at"), '%Y-%m') AS month,
    indicator,
    threshold,
    count(DISTINCT ce_id) AS alerts,
    count(DISTINCT scope_id) AS scopes
FROM risk.kri_threshold_breached_v1
GROUP BY ALL
ORDER BY ALL
