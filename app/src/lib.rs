//! The reading page and the types the server and the browser share.

pub mod api;
