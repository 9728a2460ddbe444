-- Cases transferred to an AHTU, by the financial year of the transfer, per partner and for the consortium's linked cases.
with

cases as (
    select * from fct_cases_by_scope
),

transferred as (
    select
        dimension,
        dimension_value,
        unnest(periods_of(ahtu_transfer_date)) as period,
    from cases
    where is_transferred_to_ahtu
),

final as (
    select
        period,
        dimension,
        dimension_value,
        count(*)::double as numerator,
        null::double as denominator,
        numerator as value,
    from transferred
    group by period, dimension, dimension_value
)

select * from final
