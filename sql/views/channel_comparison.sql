-- channel_comparison: Facebook vs YouTube vs other, over each media's latest engagement snapshot.
-- Current performance: deleted medias are excluded. Every channel has a row, even with no medias.
-- play_rate = sum(plays) / sum(loads); engagement = average engagement weighted by plays.
CREATE OR REPLACE VIEW ${database}.channel_comparison AS
WITH latest AS (
    SELECT media_id, MAX(snapshot_date) AS snapshot_date
    FROM ${database}.fct_media_engagement
    GROUP BY media_id
),
current_medias AS (
    SELECT
        m.media_id,
        m.channel,
        e.load_count,
        e.play_count,
        e.hours_watched,
        e.engagement
    FROM ${database}.dim_media AS m
    LEFT JOIN latest AS l
        ON l.media_id = m.media_id
    LEFT JOIN ${database}.fct_media_engagement AS e
        ON e.media_id = l.media_id AND e.snapshot_date = l.snapshot_date
    WHERE NOT COALESCE(m.deleted, FALSE)
),
channels AS (
    SELECT channel FROM (VALUES 'facebook', 'youtube', 'other') AS c (channel)
    UNION
    SELECT channel FROM current_medias
)
SELECT
    c.channel,
    COUNT(cm.media_id) AS medias,
    CAST(COALESCE(SUM(cm.play_count), 0) AS BIGINT) AS plays,
    CAST(COALESCE(SUM(cm.load_count), 0) AS BIGINT) AS loads,
    COALESCE(SUM(cm.hours_watched), CAST(0 AS DOUBLE)) AS hours_watched,
    CAST(SUM(cm.play_count) AS DOUBLE) / NULLIF(SUM(cm.load_count), 0) AS play_rate,
    SUM(cm.engagement * cm.play_count)
    / NULLIF(SUM(CASE WHEN cm.engagement IS NOT NULL THEN cm.play_count END), 0) AS engagement
FROM channels AS c
LEFT JOIN current_medias AS cm
    ON cm.channel = c.channel
GROUP BY c.channel
