-- visitor_geography: viewing sessions (fct_events rows) by country and region, all time, all medias.
-- Missing or empty country/region show as 'unknown'. avg_percent_viewed is 0..1.
CREATE OR REPLACE VIEW ${database}.visitor_geography AS
SELECT
    COALESCE(NULLIF(country, ''), 'unknown') AS country,
    COALESCE(NULLIF(region, ''), 'unknown') AS region,
    COUNT(*) AS sessions,
    COUNT(DISTINCT visitor_key) AS visitors,
    AVG(percent_viewed) AS avg_percent_viewed
FROM ${database}.fct_events
GROUP BY COALESCE(NULLIF(country, ''), 'unknown'), COALESCE(NULLIF(region, ''), 'unknown')
