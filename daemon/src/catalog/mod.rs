//! Signed update catalogs: minisign signatures, the catalog document and its authoring.

pub mod authoring;
pub mod document;
pub mod minisign;
