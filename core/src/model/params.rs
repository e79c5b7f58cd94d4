//! [`Params`]: named method parameters, as mergekit configs and the
//! reference's keyword arguments give them (already resolved to one tensor:
//! gradients and per-layer lists are interpolated by the planner).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::error::ModelError;

/// One parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A number (ints are stored as f64 too).
    Num(f64),
    /// A boolean flag.
    Flag(bool),
    /// A string (e.g. a sub-method name).
    Str(String),
    /// A list of numbers.
    List(Vec<f64>),
}

/// Named parameters in insertion order (small: a linear scan is fastest).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params {
    entries: Vec<(String, ParamValue)>,
}

impl Params {
    /// The empty parameter set (usable in statics).
    pub const EMPTY: Params = Params {
        entries: Vec::new(),
    };
    /// No parameters.
    pub fn new() -> Params {
        Params::default()
    }
    /// Set `name` (replacing an earlier value), builder style.
    pub fn with(mut self, name: &str, v: ParamValue) -> Params {
        self.set(name, v);
        self
    }
    /// Builder: a number.
    pub fn num(self, name: &str, v: f64) -> Params {
        self.with(name, ParamValue::Num(v))
    }
    /// Builder: a flag.
    pub fn flag(self, name: &str, v: bool) -> Params {
        self.with(name, ParamValue::Flag(v))
    }
    /// Builder: a string.
    pub fn string(self, name: &str, v: &str) -> Params {
        self.with(name, ParamValue::Str(v.to_string()))
    }
    /// Builder: a list of numbers.
    pub fn list(self, name: &str, v: Vec<f64>) -> Params {
        self.with(name, ParamValue::List(v))
    }
    /// Set `name`, replacing an earlier value.
    pub fn set(&mut self, name: &str, v: ParamValue) {
        match self.entries.iter_mut().find(|(k, _)| k == name) {
            Some(e) => e.1 = v,
            None => self.entries.push((name.to_string(), v)),
        }
    }
    /// The raw value of `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    /// All entries in insertion order.
    pub fn entries(&self) -> &[(String, ParamValue)] {
        &self.entries
    }
    /// A number, or `default` when absent. A flag reads as 0/1; any other
    /// kind, NaN or infinity is an error naming the parameter.
    pub fn num_or(&self, name: &str, default: f64) -> Result<f64, ModelError> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Num(v)) if v.is_finite() => Ok(*v),
            Some(ParamValue::Num(_)) => Err(bad(name, "must be a finite number")),
            Some(ParamValue::Flag(b)) => Ok(if *b { 1.0 } else { 0.0 }),
            Some(_) => Err(bad(name, "must be a number")),
        }
    }
    /// A number that must be present.
    pub fn num_req(&self, name: &str) -> Result<f64, ModelError> {
        if self.get(name).is_none() {
            return Err(bad(name, "is required"));
        }
        self.num_or(name, 0.0)
    }
    /// A number in `[lo, hi]`, or `default` when absent.
    pub fn num_in(&self, name: &str, default: f64, lo: f64, hi: f64) -> Result<f64, ModelError> {
        let v = self.num_or(name, default)?;
        if v < lo || v > hi {
            return Err(bad(
                name,
                &alloc::format!("must be in [{lo}, {hi}], got {v}"),
            ));
        }
        Ok(v)
    }
    /// A flag, or `default` when absent (numbers: non-zero is true).
    pub fn flag_or(&self, name: &str, default: bool) -> Result<bool, ModelError> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Flag(b)) => Ok(*b),
            Some(ParamValue::Num(v)) => Ok(*v != 0.0),
            Some(_) => Err(bad(name, "must be true or false")),
        }
    }
    /// A string, or `default` when absent.
    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, ModelError> {
        match self.get(name) {
            None => Ok(default),
            Some(ParamValue::Str(s)) => Ok(s),
            Some(_) => Err(bad(name, "must be a string")),
        }
    }
    /// A list of numbers (a single number reads as a one-element list).
    pub fn list_or(&self, name: &str) -> Result<Option<Vec<f64>>, ModelError> {
        match self.get(name) {
            None => Ok(None),
            Some(ParamValue::List(v)) => Ok(Some(v.clone())),
            Some(ParamValue::Num(v)) => Ok(Some(alloc::vec![*v])),
            Some(_) => Err(bad(name, "must be a list of numbers")),
        }
    }
}

fn bad(name: &str, detail: &str) -> ModelError {
    ModelError::BadParam {
        name: name.to_string(),
        detail: detail.to_string(),
    }
}
