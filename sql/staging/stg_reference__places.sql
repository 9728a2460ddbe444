-- Staging: every district the gazetteer knows (schemas/reference/places.toml
-- for West Bengal, india.toml for the other states and the neighbouring
-- countries), with the state, union territory or country it lies in.
with

source as (
    select * from raw_places
),

final as (
    select
        district,
        region,
        region_kind,
        coalesce(region = 'West Bengal', false) as is_west_bengal,
    from source
)

select * from final
