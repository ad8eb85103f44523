-- visitor_devices: viewing sessions (fct_events rows) by platform, browser and mobile flag, all time.
-- Missing or empty platform/browser show as 'unknown'. session_share is this row's share of all
-- sessions (0..1; the rows sum to 1).
CREATE OR REPLACE VIEW ${database}.visitor_devices AS
SELECT
    COALESCE(NULLIF(platform, ''), 'unknown') AS platform,
    COALESCE(NULLIF(browser, ''), 'unknown') AS browser,
    is_mobile,
    COUNT(*) AS sessions,
    COUNT(DISTINCT visitor_key) AS visitors,
    CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER () AS session_share
FROM ${database}.fct_events
GROUP BY COALESCE(NULLIF(platform, ''), 'unknown'), COALESCE(NULLIF(browser, ''), 'unknown'), is_mobile
