-- One row per compensation claim: the golden record built from all the
-- claim records linkage joined (claim_key), field by field: the most
-- complete, then most recent record (the one knowing the latest event of
-- the claim: payment, award, interim award, application), then partner
-- order. Filed with legal aid when any record says so.
-- Each claim record names its claim by claim_key (the record-level fact).
with

claims as (
    select * from int_compensation_claims
),

ranked as (
    select
        *,
        -- Recency, as the record's rank among all records (a bigint for
        -- arg_max; the people golden record says why).
        row_number() over (order by
            coalesce(greatest(disbursed_date, award_date, interim_date, application_date), date '1900-01-01'),
            partner_id,
            -- Last, the record's place in its partner's exports (file
            -- order, row): a total order, so the golden record does not
            -- depend on the order rows arrive in.
            source_file_order,
            source_row
        ) as recency,
    from claims
),

golden as (
    select
        claim_key,
        any_value(case_key) filter (where case_key is not null) as case_key,
        any_value(person_key) filter (where person_key is not null) as person_key,
        count(*) as records,
        count(distinct partner_id) as partners,
        list(distinct partner_id order by partner_id) as partner_ids,
        arg_max(scheme, recency) filter (where scheme is not null) as scheme,
        arg_max(forum, recency) filter (where forum is not null) as forum,
        min(application_date) as application_date,
        bool_or(filed_with_legal_aid) as filed_with_legal_aid,
        arg_max(interim_amount_inr, recency) filter (where interim_amount_inr is not null) as interim_amount_inr,
        arg_max(interim_date, recency) filter (where interim_date is not null) as interim_date,
        arg_max(awarded_amount_inr, recency) filter (where awarded_amount_inr is not null) as awarded_amount_inr,
        arg_max(award_date, recency) filter (where award_date is not null) as award_date,
        arg_max(status, recency) filter (where status is not null) as status,
        arg_max(disbursed_amount_inr, recency) filter (where disbursed_amount_inr is not null) as disbursed_amount_inr,
        arg_max(disbursed_date, recency) filter (where disbursed_date is not null) as disbursed_date,
    from ranked
    group by claim_key
),

final as (
    select
        *,
        date_diff('day', application_date, award_date) as days_application_to_award,
        date_diff('day', award_date, disbursed_date) as days_award_to_payment,
    from golden
)

select * from final
