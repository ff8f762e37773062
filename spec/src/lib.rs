#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod error;
mod spec;

pub use error::NotWellFormed;
pub use spec::{MessageSet, Spec};
