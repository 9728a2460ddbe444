"""Link a tafteesh installation's survivor records with splink 5 (DuckDB
backend) on the same fields tafteesh compares, to measure speed (and
quality, with the demo's truth) on the same records and machine.

    /tmp/splinkenv/bin/python scripts/splink_survivors.py OUTPUT_DIR [TRUTH_CSV]

OUTPUT_DIR is the installation's output folder (it reads
current/lake/survivors and restricted/latest/linkage: plaintext, so run it
only where the restricted area may be read). Names, guardians and phones
are given to splink lower-cased and trimmed, with honorifics left in (what
splink users would do before writing their own cleaning).
"""

import sys
import time

import duckdb
import splink.comparison_library as cl
import splink.comparison_level_library as cll
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

out = sys.argv[1]
truth = sys.argv[2] if len(sys.argv) > 2 else None
con = duckdb.connect()
con.execute(
    f"""create table people as
    select l.partner_id || '/' || r.survivor_ref as uid, l.partner_id,
      lower(trim(r.full_name)) as full_name, lower(trim(r.guardian_name)) as guardian,
      regexp_replace(r.phone, '[^0-9]', '', 'g') as phone, lower(trim(r.village)) as village,
      l.date_of_birth as dob, year(l.rescue_date) - l.age_years as birth_year,
      coalesce(l.age_years, date_diff('year', l.date_of_birth, l.rescue_date)) as age,
      l.home_district as district, lower(trim(r.home_block)) as block, l.rescue_date, r.other_identifier as identifier
    from read_parquet('{out}/current/lake/survivors/*.parquet', union_by_name = true) l
    left join read_parquet('{out}/restricted/latest/linkage/*/survivors.parquet', union_by_name = true) r
      using (partner_id, source_file, source_row)"""
)
settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="uid",
    comparisons=[
        cl.NameComparison("full_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("guardian"),
        cl.ExactMatch("phone"),
        cl.ExactMatch("dob"),
        cl.ExactMatch("birth_year"),
        cl.CustomComparison(
            output_column_name="age",
            comparison_levels=[
                cll.NullLevel("age"),
                cll.ExactMatchLevel("age"),
                cll.AbsoluteDifferenceLevel("age", 1),
                cll.AbsoluteDifferenceLevel("age", 3),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("district"),
        cl.ExactMatch("block"),
        cl.JaroWinklerAtThresholds("village", [0.9]),
        cl.ExactMatch("rescue_date"),
        cl.ExactMatch("identifier"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("phone"),
        block_on("full_name", "guardian", "district"),
        block_on("full_name", "guardian", "village"),
        block_on("full_name", "dob"),
        block_on("full_name", "rescue_date"),
        block_on("full_name", "birth_year", "village"),
        block_on("guardian", "dob"),
        block_on("guardian", "rescue_date"),
        block_on("identifier"),
        block_on("full_name", "age", "district"),
        block_on("guardian", "age", "district"),
        block_on("full_name", "guardian", "age"),
    ],
)
started = time.time()
db = DuckDBAPI(connection=con)
linker = Linker(db.register("people"), settings, log_level=40)
linker.training.estimate_probability_two_random_records_match(
    [block_on("full_name", "dob"), block_on("phone")], recall=0.6
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
for rule in [block_on("full_name", "guardian", "district"), block_on("guardian", "dob"), block_on("full_name", "dob")]:
    linker.training.estimate_parameters_using_expectation_maximisation(rule)
pred = linker.inference.predict(threshold_match_probability=0.95)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95)
rows = clusters.as_duckdbpyrelation().select("uid, cluster_id").fetchall()
seconds = time.time() - started
line = f"splink survivors: records {len(rows)} seconds {seconds:.2f}"
if truth:
    con.execute(f"create table t as select partner_id || '/' || true_ref as uid, person_id from read_csv('{truth}', all_varchar = true)")
    con.execute(f"create table c as select uid, cluster_id from {clusters.physical_name}")
    (pp, tp, cp) = con.execute(
        """with j as (select c.cluster_id, t.person_id from c join t using (uid)),
        p as (select count(*) n from j group by cluster_id), q as (select count(*) n from j group by person_id),
        b as (select count(*) n from j group by cluster_id, person_id)
        select (select sum(n*(n-1)/2) from p), (select sum(n*(n-1)/2) from q), (select sum(n*(n-1)/2) from b)"""
    ).fetchone()
    p, r = cp / pp, cp / tp
    line += f" precision {p:.4f} recall {r:.4f} F1 {2*p*r/(p+r):.4f}"
print(line)
