-- Staging: every community development block the reference knows
-- (schemas/reference/blocks.toml and an installation's reference.toml),
-- with the district it lies in: a register that names the block and not
-- the district is placed by it.
with

source as (
    select * from raw_blocks
),

final as (
    select
        block,
        district,
    from source
)

select * from final
