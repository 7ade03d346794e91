//! Numbered errors of the `city_*` JSON-RPC methods. Every error carries a message.

use jsonrpsee::types::{error::ErrorObjectOwned, ErrorObject};

/// A parameter is malformed or out of range (bad account, key, limit).
pub const INVALID_PARAM: i32 = 4001;
/// The requested item does not exist (unknown device id, unregistered key).
pub const NOT_FOUND: i32 = 4004;
/// The runtime at the requested block does not offer the API (too old, or unknown block).
pub const API_UNAVAILABLE: i32 = 4003;
/// The energy market's slot takes no more orders (its gate has closed).
pub const GATE_CLOSED: i32 = 4009;
/// The runtime API call failed.
pub const RUNTIME_ERROR: i32 = 4000;

/// An error with `code` and `message`.
pub fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObject::owned(code, message.into(), None::<()>)
}

/// [`INVALID_PARAM`] with a message.
pub fn invalid_param(message: impl Into<String>) -> ErrorObjectOwned {
	error(INVALID_PARAM, message)
}

/// [`NOT_FOUND`] with a message.
pub fn not_found(message: impl Into<String>) -> ErrorObjectOwned {
	error(NOT_FOUND, message)
}

/// [`RUNTIME_ERROR`] wrapping the client's error.
pub fn runtime_error(err: impl std::fmt::Display) -> ErrorObjectOwned {
	error(RUNTIME_ERROR, format!("runtime API call failed: {err}"))
}
