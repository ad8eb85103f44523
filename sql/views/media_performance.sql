-- media_performance: one row per media in dim_media with its latest engagement snapshot.
-- Keeps deleted and archived medias (flags exposed) so their last known totals stay visible;
-- filter `WHERE NOT deleted` for current performance. A media never snapshotted has NULL totals.
-- play_rate is Wistia's (share of visitors who clicked play); engagement is the average share watched.
CREATE OR REPLACE VIEW ${database}.media_performance AS
WITH latest AS (
    SELECT media_id, MAX(snapshot_date) AS snapshot_date
    FROM ${database}.fct_media_engagement
    GROUP BY media_id
)
SELECT
    m.media_id,
    m.name,
    m.channel,
    m.project_name,
    m.media_type,
    m.duration_seconds,
    m.archived,
    m.deleted,
    e.snapshot_date,
    e.play_count AS plays,
    e.load_count AS loads,
    e.play_rate,
    e.hours_watched,
    e.engagement,
    e.visitors
FROM ${database}.dim_media AS m
LEFT JOIN latest AS l
    ON l.media_id = m.media_id
LEFT JOIN ${database}.fct_media_engagement AS e
    ON e.media_id = l.media_id AND e.snapshot_date = l.snapshot_date
