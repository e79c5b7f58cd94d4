//! Running MergeQL statements over registered tables ([`MergeQl`]), as the
//! reference's `MergeQL.execute`: the sources' rows are folded in statement
//! order into one row per key value (Python `==` on keys), a repeated key
//! resolved cell by cell with the STRATEGY schema (default LWW, no
//! timestamps); conflicts counted and logged; then WHERE, MAP, LIMIT.
//!
//! Deviation: rows whose key is null or absent are kept (after the keyed
//! rows, in source order) where the reference drops them silently; see
//! `wire-spec/mergeql.md`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use super::error::MergeqlError;
use super::parser::{parse, Statement};
use crate::ordered_map::OrderedMap;
use crate::pyrepr;
use crate::records::mergeql::{MergePlan, MergeqlResult};
use crate::table::pycmp::{hash_key, hashable, py_eq};
use crate::table::schema::{CustomFn, CustomStrategy};
use crate::table::{Cell, MergeSchema, Strategy, Table};
use crate::value::Value;

/// A MergeQL engine: named tables and custom strategies.
#[derive(Default)]
pub struct MergeQl {
    sources: Vec<(String, Table)>,
    customs: Vec<(String, CustomFn)>,
    /// Record provenance entries (default true, as the reference).
    pub provenance: bool,
}

/// What a statement produced.
#[derive(Debug, Clone, PartialEq)]
pub struct QlOutput {
    /// The rows (empty for EXPLAIN), columns in first-seen order.
    pub table: Table,
    /// The plan.
    pub plan: MergePlan,
    /// Conflicts resolved.
    pub conflicts: i64,
    /// Provenance entries (insert and conflict records), when tracked.
    pub provenance: Option<Vec<Value>>,
    /// Number of sources named in the statement.
    pub sources_merged: i64,
}

impl QlOutput {
    /// As the reference's `MergeQLResult` record (`merge_time_ms` given by the caller).
    pub fn to_result(&self, merge_time_ms: f64) -> MergeqlResult {
        MergeqlResult {
            data: self.table.to_dict_rows(),
            plan: self.plan.clone(),
            conflicts: self.conflicts,
            provenance: self.provenance.clone(),
            merge_time_ms: Value::Float(merge_time_ms),
            sources_merged: self.sources_merged,
            extra: Default::default(),
        }
    }
}

fn validation(pos: (usize, usize), msg: String) -> MergeqlError {
    MergeqlError::Validation {
        line: pos.0,
        column: pos.1,
        msg,
    }
}

fn builtin(name: &str) -> Option<Strategy> {
    Some(match name {
        "lww" => Strategy::Lww,
        "max" | "maxwins" => Strategy::MaxWins,
        "min" | "minwins" => Strategy::MinWins,
        "union" | "unionset" => Strategy::union_set(),
        "concat" => Strategy::concat(),
        "priority" => Strategy::Priority { order: Vec::new() },
        "longest" | "longestwins" => Strategy::LongestWins,
        _ => return None,
    })
}

fn str_map_repr(m: &OrderedMap<Value, Value>) -> String {
    pyrepr::repr(&Value::Map(
        m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    ))
}

impl MergeQl {
    /// An engine with no sources, provenance on.
    pub fn new() -> MergeQl {
        MergeQl {
            provenance: true,
            ..MergeQl::default()
        }
    }

    /// Register (or replace) a source table under a name.
    pub fn register(&mut self, name: impl Into<String>, table: Table) {
        let name = name.into();
        match self.sources.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 = table,
            None => self.sources.push((name, table)),
        }
    }

    /// Register a strategy usable as `field='custom:NAME'`.
    pub fn register_strategy(&mut self, name: impl Into<String>, f: CustomFn) {
        self.customs.push((name.into(), f));
    }

    /// Registered source names.
    pub fn list_sources(&self) -> Vec<&str> {
        self.sources.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn source(&self, name: &str) -> Option<&Table> {
        self.sources.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    fn validate(&self, st: &Statement) -> Result<MergeSchema, MergeqlError> {
        for (s, pos) in st.query.sources.iter().zip(&st.source_pos) {
            if self.source(s).is_none() {
                return Err(validation(*pos, format!("source '{s}' not registered")));
            }
        }
        let mut schema = MergeSchema::new(Strategy::Lww);
        for (field, name, pos) in st.strategies() {
            let lower = name.to_lowercase();
            let strat = if lower.starts_with("custom:") {
                let custom = name.get(7..).unwrap_or("");
                match self.customs.iter().rev().find(|(n, _)| n == custom) {
                    Some((n, f)) => Strategy::Custom(CustomStrategy {
                        name: n.clone(),
                        func: f.clone(),
                    }),
                    None => {
                        return Err(validation(
                            pos,
                            format!("custom strategy '{custom}' not registered"),
                        ))
                    }
                }
            } else {
                builtin(&lower).ok_or_else(|| {
                    validation(
                        pos,
                        format!("unknown strategy '{name}' for field '{field}'"),
                    )
                })?
            };
            schema.set_strategy(field, strat);
        }
        Ok(schema)
    }

    fn plan(&self, st: &Statement) -> MergePlan {
        let q = &st.query;
        let mut sizes: OrderedMap<Value, Value> = OrderedMap::new();
        for s in &q.sources {
            let n = self.source(s).map_or(0, |t| t.len()) as i64;
            sizes.insert(Value::str(s.as_str()), Value::Int(n));
        }
        let counts: Vec<i64> = sizes.values().filter_map(Value::as_int).collect();
        let total: i64 = counts.iter().sum();
        let est = counts.iter().copied().max().unwrap_or(0);
        let col_sets: Vec<Vec<&str>> = q
            .sources
            .iter()
            .map(|s| {
                let Some(t) = self.source(s) else {
                    return Vec::new();
                };
                let mut cols: Vec<&str> = t
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| t.rows.iter().any(|r| r[*i].is_some()))
                    .map(|(_, c)| c.as_str())
                    .collect();
                cols.sort_unstable();
                cols
            })
            .collect();
        let evolution = col_sets.len() >= 2 && col_sets[1..].iter().any(|c| *c != col_sets[0]);
        let mut steps = alloc::vec![
            format!("Scan {} sources ({total} total rows)", q.sources.len()),
            format!("Join on key '{}'", q.on_key),
        ];
        if q.strategies.is_empty() {
            steps.push("Apply default strategy: LWW".into());
        } else {
            steps.push(format!(
                "Apply per-field strategies: {}",
                str_map_repr(&q.strategies)
            ));
        }
        if let Some(w) = &q.where_clause {
            steps.push(format!("Filter: WHERE {w}"));
        }
        if let Some(m) = &q.schema_mapping {
            steps.push(format!("Rename columns: {}", str_map_repr(m)));
        }
        if let Some(n) = q.limit {
            steps.push(format!("Limit output to {n} rows"));
        }
        MergePlan {
            sources: q.sources.clone(),
            source_sizes: sizes,
            merge_key: q.on_key.clone(),
            strategies: q.strategies.clone(),
            estimated_output_rows: est,
            schema_evolution_needed: evolution,
            arrow_backend: false,
            steps,
            extra: Default::default(),
        }
    }

    /// The plan of a statement, without running it.
    pub fn explain(&self, query: &str) -> Result<MergePlan, MergeqlError> {
        let st = parse(query)?;
        self.validate(&st)?;
        Ok(self.plan(&st))
    }

    /// Parse, validate and run a statement (EXPLAIN returns no rows).
    pub fn execute(&self, query: &str) -> Result<QlOutput, MergeqlError> {
        self.run(&parse(query)?)
    }

    /// Validate and run a parsed statement.
    pub fn run(&self, st: &Statement) -> Result<QlOutput, MergeqlError> {
        let schema = self.validate(st)?;
        let plan = self.plan(st);
        let sources_merged = st.query.sources.len() as i64;
        if st.query.explain {
            return Ok(QlOutput {
                table: Table::default(),
                plan,
                conflicts: 0,
                provenance: None,
                sources_merged,
            });
        }
        let mut prov = self.provenance.then(Vec::new);
        let (mut out, conflicts) = self.fold(st, &schema, &mut prov)?;
        if let Some(f) = &st.filter {
            let cols = &out.columns;
            out.rows.retain(|r| {
                f.matches(&|name: &str| {
                    cols.iter()
                        .position(|c| c == name)
                        .and_then(|i| r[i].as_ref())
                })
            });
        }
        if let Some(m) = &st.query.schema_mapping {
            out = rename(out, m);
        }
        if let Some(n) = st.query.limit {
            out.rows.truncate(usize::try_from(n).unwrap_or(usize::MAX));
        }
        Ok(QlOutput {
            table: out,
            plan,
            conflicts,
            provenance: prov,
            sources_merged,
        })
    }

    fn fold(
        &self,
        st: &Statement,
        schema: &MergeSchema,
        prov: &mut Option<Vec<Value>>,
    ) -> Result<(Table, i64), MergeqlError> {
        let key = st.query.on_key.as_str();
        let mut out = Table::default();
        let mut keys: Vec<Value> = Vec::new();
        let mut null_rows: Vec<Vec<Cell>> = Vec::new();
        let state = hashbrown::DefaultHashBuilder::default();
        let mut index: HashTable<usize> = HashTable::new();
        let mut conflicts = 0i64;
        for src in &st.query.sources {
            let Some(t) = self.source(src) else { continue };
            // map this source's columns into the output's
            let map: Vec<usize> = t
                .columns
                .iter()
                .map(|c| match out.column_index(c) {
                    Some(i) => i,
                    None => {
                        out.columns.push(c.clone());
                        out.columns.len() - 1
                    }
                })
                .collect();
            let width = out.columns.len();
            for r in out.rows.iter_mut().chain(null_rows.iter_mut()) {
                r.resize(width, None);
            }
            let ki = t.column_index(key);
            for (ri, row) in t.rows.iter().enumerate() {
                let mut cells: Vec<Cell> = alloc::vec![None; width];
                for (ci, c) in row.iter().enumerate() {
                    cells[map[ci]] = c.clone();
                }
                let k = match ki.and_then(|i| row[i].as_ref()) {
                    None | Some(Value::None) => {
                        null_rows.push(cells);
                        continue;
                    }
                    Some(k) => k,
                };
                if !hashable(k) {
                    return Err(MergeqlError::Data(format!(
                        "unhashable key of type {} in source '{src}', row {ri}",
                        k.type_name()
                    )));
                }
                let mut h = state.build_hasher();
                hash_key(k, &mut h);
                let hash = h.finish();
                let found = index.find(hash, |&i| py_eq(&keys[i], k)).copied();
                match found {
                    None => {
                        let i = out.rows.len();
                        index.insert_unique(hash, i, |&j| {
                            let mut h = state.build_hasher();
                            hash_key(&keys[j], &mut h);
                            h.finish()
                        });
                        keys.push(k.clone());
                        out.rows.push(cells);
                        if let Some(p) = prov.as_mut() {
                            p.push(Value::map([
                                ("key", k.clone()),
                                ("field", Value::str("*")),
                                ("source", Value::str(src.as_str())),
                                ("action", Value::str("insert")),
                            ]));
                        }
                    }
                    Some(i) => {
                        let existing = &mut out.rows[i];
                        for (ci, b) in cells.into_iter().enumerate() {
                            let a = existing[ci].take();
                            if a.is_none() && b.is_none() {
                                continue;
                            }
                            let va = a.unwrap_or(Value::None);
                            let vb = b.unwrap_or(Value::None);
                            let conflict = !matches!(va, Value::None)
                                && !matches!(vb, Value::None)
                                && !py_eq(&va, &vb);
                            let merged = if matches!(va, Value::None) {
                                vb.clone()
                            } else if matches!(vb, Value::None) || py_eq(&va, &vb) {
                                va.clone()
                            } else {
                                let field = &out.columns[ci];
                                schema
                                    .strategy_for(field)
                                    .resolve(va.clone(), vb.clone(), 0.0, 0.0)
                            };
                            if conflict {
                                conflicts += 1;
                                if let Some(p) = prov.as_mut() {
                                    let field = out.columns[ci].as_str();
                                    p.push(Value::map([
                                        ("key", keys[i].clone()),
                                        ("field", Value::str(field)),
                                        ("value_a", va),
                                        ("value_b", vb),
                                        ("resolved", merged.clone()),
                                        ("strategy", Value::str(schema.strategy_for(field).name())),
                                        ("source", Value::str(src.as_str())),
                                    ]));
                                }
                            }
                            existing[ci] = Some(merged);
                        }
                    }
                }
            }
        }
        out.rows.extend(null_rows);
        Ok((out, conflicts))
    }
}

/// MAP: rename columns; two columns renamed alike share one (the later
/// present cell wins, at the first one's place).
fn rename(t: Table, m: &OrderedMap<Value, Value>) -> Table {
    let mut columns: Vec<String> = Vec::new();
    let target: Vec<usize> = t
        .columns
        .iter()
        .map(|c| {
            let new = String::from(
                m.get(&Value::str(c.as_str()))
                    .and_then(Value::as_str)
                    .unwrap_or(c),
            );
            match columns.iter().position(|x| *x == new) {
                Some(i) => i,
                None => {
                    columns.push(new);
                    columns.len() - 1
                }
            }
        })
        .collect();
    let width = columns.len();
    let rows = t
        .rows
        .into_iter()
        .map(|r| {
            let mut out: Vec<Cell> = alloc::vec![None; width];
            for (ci, c) in r.into_iter().enumerate() {
                if c.is_some() {
                    out[target[ci]] = c;
                }
            }
            out
        })
        .collect();
    Table { columns, rows }
}
