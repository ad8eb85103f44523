-- daily_trends: one row per UTC day and channel, summed over the medias' daily stats.
-- Includes deleted medias: their past plays happened. A daily row without a dim_media row shows as
-- channel 'unknown' rather than disappearing (it should never happen; it flags a data problem).
CREATE OR REPLACE VIEW ${database}.daily_trends AS
SELECT
    d.stat_date,
    COALESCE(m.channel, 'unknown') AS channel,
    COUNT(*) AS medias,
    CAST(SUM(d.load_count) AS BIGINT) AS loads,
    CAST(SUM(d.play_count) AS BIGINT) AS plays,
    SUM(d.hours_watched) AS hours_watched,
    CAST(SUM(d.play_count) AS DOUBLE) / NULLIF(SUM(d.load_count), 0) AS plays_per_load
FROM ${database}.fct_media_daily AS d
LEFT JOIN ${database}.dim_media AS m
    ON m.media_id = d.media_id
GROUP BY d.stat_date, COALESCE(m.channel, 'unknown')
