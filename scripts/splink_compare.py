"""Link the FEBRL benchmarks with splink 5 (DuckDB backend), the tool a
tafteesh user would otherwise pick, on the same fields tafteesh is given
(given name, surname, date of birth, street number, the two address
lines, suburb, postcode, state, and with --with-id the social-security
number), and print pairwise precision,
recall, F1 and the seconds the linkage took (training, prediction and
clustering; loading the CSV is not counted).

    python3 -m venv /tmp/splinkenv && /tmp/splinkenv/bin/pip install splink
    /tmp/splinkenv/bin/python scripts/splink_compare.py DIR 3 [--with-id]
    /tmp/splinkenv/bin/python scripts/splink_compare.py DIR 4 [--with-id]

DIR holds dataset3.csv, dataset4a.csv and dataset4b.csv (tafteesh's .ci/run
puts them in ~/.cache/tafteesh-febrl).
"""

import itertools
import sys
import time
from collections import defaultdict

import duckdb
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

folder, which = sys.argv[1], sys.argv[2]
with_id = "--with-id" in sys.argv
threshold = 0.9
files = ["dataset3.csv"] if which == "3" else ["dataset4a.csv", "dataset4b.csv"]

con = duckdb.connect()
names = []
for i, f in enumerate(files):
    t = f"t{i}"
    con.execute(
        f"""create table {t} as select trim(rec_id) as rec_id,
        nullif(trim(given_name), '') as given_name, nullif(trim(surname), '') as surname,
        nullif(trim(date_of_birth), '') as date_of_birth, nullif(trim(suburb), '') as suburb,
        nullif(trim(postcode), '') as postcode, nullif(trim(state), '') as state,
        nullif(trim(soc_sec_id), '') as soc_sec_id, nullif(trim(street_number), '') as street_number, nullif(trim(address_1), '') as address_1, nullif(trim(address_2), '') as address_2
        from read_csv('{folder}/{f}', all_varchar = true, header = true)"""
    )
    names.append(t)

comparisons = [
    cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
    cl.NameComparison("surname").configure(term_frequency_adjustments=True),
    cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
    cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
    cl.DamerauLevenshteinAtThresholds("postcode", [1]),
    cl.ExactMatch("state"),
    cl.ExactMatch("street_number"),
    cl.JaroWinklerAtThresholds("address_1", [0.9]),
    cl.JaroWinklerAtThresholds("address_2", [0.9]),
]
blocking = [
    block_on("given_name", "surname"),
    block_on("surname", "date_of_birth"),
    block_on("given_name", "date_of_birth"),
    block_on("date_of_birth", "postcode"),
    block_on("surname", "postcode"),
    block_on("given_name", "postcode"),
    block_on("surname", "suburb"),
    block_on("given_name", "suburb"),
]
if with_id:
    comparisons.append(cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1]))
    blocking.append(block_on("soc_sec_id"))

settings = SettingsCreator(
    link_type="dedupe_only" if which == "3" else "link_only",
    unique_id_column_name="rec_id",
    comparisons=comparisons,
    blocking_rules_to_generate_predictions=blocking,
    retain_intermediate_calculation_columns=False,
)

started = time.time()
db = DuckDBAPI(connection=con)
tables = [db.register(t) for t in names]
linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=40)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
predictions = linker.inference.predict(threshold_match_probability=threshold)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
rows = clusters.as_duckdbpyrelation().select("rec_id, cluster_id").fetchall()
seconds = time.time() - started

pred, truth = defaultdict(list), defaultdict(list)
both = defaultdict(int)
for rec, c in rows:
    person = rec.split("-")[1]
    pred[c].append(rec)
    truth[person].append(rec)
    both[(c, person)] += 1
pairs = lambda n: n * (n - 1) // 2
predicted = sum(pairs(len(v)) for v in pred.values())
true = sum(pairs(len(v)) for v in truth.values())
correct = sum(pairs(n) for n in both.values())
p, r = correct / max(predicted, 1), correct / max(true, 1)
f1 = 2 * p * r / (p + r) if p + r else 0.0
print(
    f"splink FEBRL{which}{' with soc_sec_id' if with_id else ''}: records {len(rows)} "
    f"precision {p:.4f} recall {r:.4f} F1 {f1:.4f} seconds {seconds:.2f}"
)
