#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod compare;
mod error;
mod spec;

pub use compare::{Difference, compare_facts, compare_pair};

pub use error::NotWellFormed;
pub use spec::{MessageSet, Spec};
