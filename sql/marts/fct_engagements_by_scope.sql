-- Engagements as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: the partner's
--   own records;
--   dimension 'consortium', dimension_value 'all': every partner's records
--   (an activity is recorded by the partner that held it);
--   dimensions 'level', 'district' and 'block': the consortium's records
--   again, one value each ('unknown' when the record does not say), so a
--   breakdown's rows add up to the consortium row.
with

engagements as (
    select * from fct_engagements
),

by_values as (
    select
        engagement_record_key,
        coalesce(level, 'unknown') as by_level,
        coalesce(district, 'unknown') as by_district,
        coalesce(block, 'unknown') as by_block,
    from engagements
),

breakdowns as (
    unpivot by_values
    on columns('^by_')
    into name dimension value dimension_value
),

columns as (
    select
        engagement_record_key,
        engagement_date,
        kind,
        is_with_duty_bearer,
        is_forum,
        level,
        survivors_taking_part,
        survivor_led,
        leader_person_key,
        outcome,
    from engagements
),

final as (
    select 'partner' as dimension, e.partner_id as dimension_value, c.*,
    from columns c
    join engagements e using (engagement_record_key)
    union all by name
    select 'consortium' as dimension, 'all' as dimension_value, *,
    from columns
    union all by name
    select substr(b.dimension, 4) as dimension, b.dimension_value, c.*,
    from breakdowns b
    join columns c using (engagement_record_key)
)

select * from final
