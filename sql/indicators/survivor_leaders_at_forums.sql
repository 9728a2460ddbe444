-- Survivor leaders who spoke at a state or national forum, each counted
-- once per period however many forums she spoke at (a leader named by two
-- partners is one person), by the financial year of the forum. Per
-- partner and for the consortium.
with

engagements as (
    select * from fct_engagements_by_scope
),

counted as (
    select
        *,
        unnest(periods_of(engagement_date)) as period,
    from engagements
    where is_forum and leader_person_key is not null and dimension in ('partner', 'consortium')
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(distinct leader_person_key)::bigint as numerator,
        null::bigint as denominator,
        numerator as value,
        count(distinct leader_person_key)::bigint as cell_size,
    from counted
    group by period, dimension, dimension_value
)

select * from final
