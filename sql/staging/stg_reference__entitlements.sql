-- Staging: each entitlement of schemas/entitlements.toml with its family
-- and whether it is a core document (the ones every other entitlement
-- asks for: an identity document, a ration card, a bank account). A seed:
-- the programme's grouping, kept beside the models that count by it.
with

source as (
    from (values
        ('aadhaar', 'documents_identity', 'identity'),
        ('voter_id', 'documents_identity', 'identity'),
        ('ration_card', 'documents_identity', 'ration_card'),
        ('bank_account', 'documents_identity', 'bank_account'),
        ('caste_certificate', 'documents_identity', null),
        ('birth_certificate', 'documents_identity', null),
        ('disability_certificate', 'documents_identity', null),
        ('pan_card', 'documents_identity', null),
        ('income_certificate', 'documents_identity', null),
        ('residence_certificate', 'documents_identity', null),
        ('lakshmir_bhandar', 'food_social_security', null),
        ('old_age_pension', 'food_social_security', null),
        ('widow_pension', 'food_social_security', null),
        ('disability_pension', 'food_social_security', null),
        ('rupashree', 'food_social_security', null),
        ('lpg_connection', 'food_social_security', null),
        ('swasthya_sathi', 'health_psychosocial', null),
        ('medical_care', 'health_psychosocial', null),
        ('counselling', 'health_psychosocial', null),
        ('housing_scheme', 'housing', null),
        ('mgnrega_job_card', 'livelihood_skills', null),
        ('self_help_group', 'livelihood_skills', null),
        ('skills_training', 'livelihood_skills', null),
        ('livelihood_support', 'livelihood_skills', null),
        ('kanyashree', 'education', null),
        ('school_admission', 'education', null),
        ('scholarship', 'education', null),
        ('sponsorship', 'child_protection', null),
        ('child_care_institution', 'child_protection', null),
        ('shelter_home', 'shelter', null),
        ('other', 'other', null)
    ) t(entitlement, entitlement_family, core_document)
),

final as (
    select * from source
)

select * from final
