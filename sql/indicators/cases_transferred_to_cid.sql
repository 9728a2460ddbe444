-- Cases transferred to the CID, by the financial year of the transfer, per partner.
with

cases as (
    select * from fct_cases
),

transferred as (
    select
        partner_id,
        unnest(periods_of(cid_transfer_date)) as period,
    from cases
    where is_transferred_to_cid
),

final as (
    select
        period,
        partner_id,
        count(*)::double as numerator,
        null::double as denominator,
        numerator as value,
    from transferred
    group by period, partner_id
)

select * from final
