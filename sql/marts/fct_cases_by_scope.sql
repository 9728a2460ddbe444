-- Cases as the indicators count them, once per scope:
--   dimension 'partner', dimension_value the partner_id: each partner's own
--   records, as that partner recorded them (its newest version);
--   dimension 'consortium', dimension_value 'all': the linked cases of
--   dim_cases, so a case several partners recorded counts once;
--   dimensions 'district', 'police_district', 'ahtu_unit',
--   'investigated_by', 'sex', 'age_at_rescue', 'trafficking_form': the same
--   linked cases again, under
--   their value in dim_case_breakdowns. Each linked case has one value per
--   breakdown, so a breakdown's rows add up to the consortium row.
-- An indicator groups by (period, dimension, dimension_value) and is
-- written once for every scope.
with

partner_cases as (
    select 'partner' as dimension, partner_id as dimension_value, * exclude (partner_id),
    from fct_cases
),

linked_cases as (
    select * exclude (records, partners, partner_ids),
    from dim_cases
),

breakdowns as (
    unpivot (
        select
            case_key,
            district as by_district,
            police_district as by_police_district,
            ahtu_unit as by_ahtu_unit,
            investigated_by as by_investigated_by,
            sex as by_sex,
            age_at_rescue as by_age_at_rescue,
            trafficking_form as by_trafficking_form,
        from dim_case_breakdowns
    )
    on columns('^by_')
    into name dimension value dimension_value
),

columns as (
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
),

final as (
    select * from columns
    -- The golden records' columns, matched by name.
    union all by name
    select 'consortium' as dimension, 'all' as dimension_value, *,
    from linked_cases
    union all by name
    select substr(b.dimension, 4) as dimension, b.dimension_value, c.*,
    from breakdowns b
    join linked_cases c using (case_key)
)

select
    f.*,
    coalesce(b.is_inter_state, false) as is_inter_state,
from final f
left join dim_case_breakdowns b using (case_key)
