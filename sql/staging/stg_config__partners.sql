-- Staging: the partners as their pipeline configs name them.
with

source as (
    select * from raw_partners
),

final as (
    select
        partner_id,
        partner_name,
    from source
)

select * from final
