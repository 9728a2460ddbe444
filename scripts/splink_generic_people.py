"""Link scripts/generic_people.py's records with splink 5 (its usual
settings for such data: name comparisons with term frequencies, date of
birth, city, email; the 0.9 threshold) and print pairwise precision,
recall and F1 against the `cluster` column.

    /tmp/splinkenv/bin/python scripts/splink_generic_people.py people.csv
"""
import sys

import duckdb
from collections import defaultdict
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI
con = duckdb.connect()
path = sys.argv[1]
con.execute(f"""create table t as select unique_id, nullif(first_name,'') first_name, nullif(surname,'') surname, nullif(dob,'') dob, nullif(city,'') city, nullif(email,'') email, cluster::varchar cluster from read_csv('{path}', all_varchar=true)""")
settings = SettingsCreator(link_type="dedupe_only", unique_id_column_name="unique_id",
    comparisons=[cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
                 cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                 cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
                 cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                 cl.EmailComparison("email")],
    blocking_rules_to_generate_predictions=[block_on("first_name","surname"), block_on("surname","dob"), block_on("first_name","dob"), block_on("email"), block_on("dob","city"), block_on("surname","city")],
    retain_intermediate_calculation_columns=False)
db = DuckDBAPI(connection=con)
linker = Linker(db.register("t"), settings, log_level=40)
linker.training.estimate_probability_two_random_records_match([block_on("first_name","surname","dob"), block_on("email")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name","surname"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
pred = linker.inference.predict(threshold_match_probability=0.9)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.9)
rows = clusters.as_duckdbpyrelation().select("unique_id, cluster_id, cluster").fetchall()
P=defaultdict(int); T=defaultdict(int); B=defaultdict(int)
for u,c,t in rows: P[c]+=1; T[t]+=1; B[(c,t)]+=1
pairs=lambda n:n*(n-1)//2
pp=sum(pairs(v) for v in P.values()); tp=sum(pairs(v) for v in T.values()); cp=sum(pairs(v) for v in B.values())
p,r=cp/pp, cp/tp; print(f"splink: precision {p:.4f} recall {r:.4f} F1 {2*p*r/(p+r):.4f}")
