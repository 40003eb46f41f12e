//! The files of drafts being written: see [`crate::store::uploads`].

pub use crate::store::uploads::*;
