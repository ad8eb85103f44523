-- top_medias: medias ranked by plays over their latest engagement snapshot (1 = most plays).
-- Current performance: deleted medias and medias without a snapshot are excluded. Ties share a rank
-- (RANK). channel_rank ranks within the channel. Take the top N with `WHERE rank <= N`.
CREATE OR REPLACE VIEW ${database}.top_medias AS
WITH latest AS (
    SELECT media_id, MAX(snapshot_date) AS snapshot_date
    FROM ${database}.fct_media_engagement
    GROUP BY media_id
)
SELECT
    RANK() OVER (ORDER BY e.play_count DESC) AS rank,
    RANK() OVER (PARTITION BY m.channel ORDER BY e.play_count DESC) AS channel_rank,
    m.media_id,
    m.name,
    m.channel,
    e.snapshot_date,
    e.play_count AS plays,
    e.load_count AS loads,
    e.play_rate,
    e.hours_watched,
    e.engagement,
    e.visitors
FROM ${database}.dim_media AS m
JOIN latest AS l
    ON l.media_id = m.media_id
JOIN ${database}.fct_media_engagement AS e
    ON e.media_id = l.media_id AND e.snapshot_date = l.snapshot_date
WHERE NOT COALESCE(m.deleted, FALSE)
