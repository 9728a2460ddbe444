-- Cases as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: each partner's own
--   records, as that partner recorded them (its newest version);
--   dimension 'consortium', dimension_value 'all': the linked cases of
--   dim_cases, so a case several partners recorded counts once.
-- An indicator groups by (period, dimension, dimension_value) and is
-- written once for every scope.
with

partner_cases as (
    select 'partner' as dimension, partner_id as dimension_value, * exclude (partner_id),
    from fct_cases
),

consortium_cases as (
    select 'consortium' as dimension, 'all' as dimension_value, *,
    from dim_cases
),

final as (
    select
        dimension,
        dimension_value,
        case_key,
        fir_date,
        police_station,
        police_district,
        district,
        state,
        is_trafficking_case,
        investigating_agency,
        ahtu_unit,
        is_transferred_to_ahtu,
        ahtu_transfer_date,
        is_transferred_to_cid,
        cid_transfer_date,
        chargesheet_date,
        final_report_date,
        outcome,
        judgment_date,
        police_disposal,
        police_disposal_date,
        is_trial_completed,
    from partner_cases
    -- The golden record's columns, matched by name.
    union all by name
    select * exclude (records, partners, partner_ids),
    from consortium_cases
)

select * from final
