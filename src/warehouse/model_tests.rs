//! A model's declared tests (dbt's generic tests): unique, not null and
//! accepted values, run right after the model is built. A failure stops the
//! run naming the model and the test, never a value.

use duckdb::Connection;

use super::catalogue::ModelTests;
use super::sql_string;
use crate::error::{Error, Result};

/// Run a model's declared tests; a failure is an error naming the model and test.
pub fn run(conn: &Connection, model: &str, t: &ModelTests) -> Result<usize> {
    let mut checks: Vec<(String, String)> = Vec::new();
    for col in &t.unique {
        checks.push((
            format!("unique({col})"),
            format!("select count(*) from (select {col} from {model} group by all having count(*) > 1)"),
        ));
    }
    for col in &t.not_null {
        checks.push((
            format!("not_null({col})"),
            format!("select count(*) from {model} where {col} is null"),
        ));
    }
    for (col, values) in &t.accepted_values {
        let list = values.iter().map(|v| sql_string(v)).collect::<Vec<_>>().join(", ");
        checks.push((
            format!("accepted_values({col})"),
            format!("select count(*) from {model} where {col} is not null and {col} not in ({list})"),
        ));
    }
    for (name, sql) in &checks {
        let bad: i64 = conn
            .query_row(sql, [], |r| r.get(0))
            .map_err(Error::warehouse(format!("{model}: test {name}")))?;
        if bad > 0 {
            return Err(Error::Internal(format!(
                "warehouse test failed: {model} {name}: {bad} offending row(s)"
            )));
        }
    }
    Ok(checks.len())
}
