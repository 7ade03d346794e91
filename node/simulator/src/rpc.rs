//! A minimal JSON-RPC client over plain HTTP/1.1 (std only): single calls and JSON-RPC batches,
//! so a gateway can hand the node hundreds of extrinsics per request.

use std::{
	fmt,
	io::{Read, Write},
	net::TcpStream,
	sync::{Arc, Mutex},
	time::Duration,
};

use serde_json::{json, Value};
use sp_core::H256;

use crate::chain::Chain;

/// A JSON-RPC error answer, or a transport failure.
#[derive(Clone, Debug, PartialEq)]
pub enum RpcError {
	/// The node answered with a JSON-RPC error object.
	Rpc {
		/// Error code (`1010` invalid transaction, `1013` already imported, ...).
		code: i64,
		/// Error message.
		message: String,
		/// The error's `data`, as text (for pool errors: why the transaction is invalid).
		data: String,
	},
	/// The node could not be reached or answered something that is not JSON-RPC.
	Transport(String),
}

impl fmt::Display for RpcError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			RpcError::Rpc { code, message, data } if data.is_empty() => {
				write!(f, "RPC error {code}: {message}")
			}
			RpcError::Rpc { code, message, data } => {
				write!(f, "RPC error {code}: {message} ({data})")
			}
			RpcError::Transport(e) => write!(f, "transport: {e}"),
		}
	}
}

impl std::error::Error for RpcError {}

/// A JSON-RPC endpoint, `http://host:port`, and the same node's WebSocket connection for
/// everything built from the chain's metadata ([`Client::chain`]).
#[derive(Clone)]
pub struct Client {
	host: String,
	port: u16,
	timeout: Duration,
	chain: Arc<Mutex<Option<Chain>>>,
}

impl std::fmt::Debug for Client {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "Client({}:{})", self.host, self.port)
	}
}

impl Client {
	/// The endpoint at `url` (`http://host:port`, `ws://host:port` or `host:port`; the node
	/// serves HTTP and WebSocket on the same port).
	pub fn new(url: &str) -> Result<Self, String> {
		let rest = url
			.strip_prefix("http://")
			.or_else(|| url.strip_prefix("ws://"))
			.unwrap_or(url)
			.trim_end_matches('/');
		let (host, port) =
			rest.rsplit_once(':').ok_or_else(|| format!("expected host:port in {url:?}"))?;
		let port = port.parse().map_err(|_| format!("bad port in {url:?}"))?;
		if host.is_empty() {
			return Err(format!("no host in {url:?}"));
		}
		Ok(Client::at(host, port))
	}

	fn at(host: &str, port: u16) -> Self {
		Client {
			host: host.to_string(),
			port,
			timeout: Duration::from_secs(60),
			chain: Arc::new(Mutex::new(None)),
		}
	}

	/// The endpoint on `127.0.0.1:port`.
	pub fn local(port: u16) -> Self {
		Client::at("127.0.0.1", port)
	}

	/// The node's WebSocket connection (same host and port), opened at the first use and
	/// shared by this client's clones.
	pub fn chain(&self) -> Result<Chain, String> {
		let mut chain = self.chain.lock().map_err(|_| "a thread panicked".to_string())?;
		if let Some(chain) = chain.as_ref() {
			return Ok(chain.clone());
		}
		let connected = Chain::connect(&format!("ws://{}:{}", self.host, self.port))?;
		*chain = Some(connected.clone());
		Ok(connected)
	}

	/// The port this client talks to.
	pub fn port(&self) -> u16 {
		self.port
	}

	/// Sends one HTTP POST with `body` and returns the response body.
	pub fn post(&self, body: &str) -> Result<String, RpcError> {
		let transport = |e: std::io::Error| RpcError::Transport(e.to_string());
		let mut stream = TcpStream::connect((self.host.as_str(), self.port)).map_err(transport)?;
		stream.set_read_timeout(Some(self.timeout)).map_err(transport)?;
		let request = format!(
			"POST / HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
			self.host,
			self.port,
			body.len()
		);
		stream.write_all(request.as_bytes()).map_err(transport)?;
		let mut raw = Vec::new();
		stream.read_to_end(&mut raw).map_err(transport)?;
		let text = String::from_utf8_lossy(&raw).to_string();
		let (head, rest) = text
			.split_once("\r\n\r\n")
			.ok_or_else(|| RpcError::Transport(format!("no HTTP header end in {text:?}")))?;
		if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
			Ok(dechunk(rest))
		} else {
			Ok(rest.to_string())
		}
	}

	/// Calls `method` with `params`.
	pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
		let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
		let text = self.post(&body.to_string())?;
		let answer: Value =
			serde_json::from_str(&text).map_err(|e| RpcError::Transport(format!("{e}: {text}")))?;
		answer_of(&answer)
	}

	/// Calls every `(method, params)` in one JSON-RPC batch; the answers come back in the
	/// order of `calls`. The outer error is a transport failure of the whole batch.
	pub fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
		if calls.is_empty() {
			return Ok(Vec::new());
		}
		let body: Vec<Value> = calls
			.iter()
			.enumerate()
			.map(|(id, (method, params))| {
				json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
			})
			.collect();
		let text = self.post(&Value::Array(body).to_string())?;
		let answers: Value =
			serde_json::from_str(&text).map_err(|e| RpcError::Transport(format!("{e}: {text}")))?;
		let answers = match answers {
			Value::Array(answers) => answers,
			// A batch the server refused as a whole comes back as one error object.
			single => {
				return Err(answer_of(&single).err().unwrap_or_else(|| {
					RpcError::Transport(format!("a batch answered with one object: {single}"))
				}))
			}
		};
		let mut ordered: Vec<Result<Value, RpcError>> = (0..calls.len())
			.map(|_| Err(RpcError::Transport("no answer for this call".into())))
			.collect();
		for answer in answers {
			let slot = field(&answer, "id").as_u64().and_then(|id| ordered.get_mut(id as usize));
			if let Some(slot) = slot {
				*slot = answer_of(&answer);
			}
		}
		Ok(ordered)
	}

	/// The hash of block `number` (`None` if there is no such block).
	pub fn block_hash(&self, number: u32) -> Result<Option<H256>, RpcError> {
		let hash = self.call("chain_getBlockHash", json!([number]))?;
		if hash.is_null() {
			return Ok(None);
		}
		parse_h256(&hash).map(Some)
	}

	/// The genesis hash.
	pub fn genesis_hash(&self) -> Result<H256, RpcError> {
		self.block_hash(0)?.ok_or_else(|| RpcError::Transport("the node has no genesis".into()))
	}

	/// The finalized head: (hash, number).
	pub fn finalized_head(&self) -> Result<(H256, u32), RpcError> {
		let hash = self.call("chain_getFinalizedHead", json!([]))?;
		let header = self.call("chain_getHeader", json!([hash.clone()]))?;
		Ok((parse_h256(&hash)?, header_number(&header)?))
	}

	/// The best block number.
	pub fn best_number(&self) -> Result<u32, RpcError> {
		header_number(&self.call("chain_getHeader", json!([]))?)
	}

	/// The extrinsics of block `hash`, SCALE-encoded as the node stores them.
	pub fn block_extrinsics(&self, hash: H256) -> Result<Vec<Vec<u8>>, RpcError> {
		let block = self.call("chain_getBlock", json!([format!("{hash:?}")]))?;
		field(field(&block, "block"), "extrinsics")
			.as_array()
			.ok_or_else(|| RpcError::Transport(format!("block {hash:?} has no extrinsics list")))?
			.iter()
			.map(|xt| {
				xt.as_str()
					.and_then(hex_decode)
					.ok_or_else(|| RpcError::Transport(format!("extrinsic is not hex: {xt}")))
			})
			.collect()
	}

	/// Raw storage value at `key` in block `at`.
	pub fn storage(&self, key: &[u8], at: H256) -> Result<Option<Vec<u8>>, RpcError> {
		let value = self.call("state_getStorage", json!([hex_encode(key), format!("{at:?}")]))?;
		match value.as_str() {
			None => Ok(None),
			Some(hex) => hex_decode(hex)
				.map(Some)
				.ok_or_else(|| RpcError::Transport(format!("storage is not hex: {hex}"))),
		}
	}
}

/// `value[key]` without indexing: `null` when `value` is not an object or lacks `key`.
pub fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
	const NULL: &Value = &Value::Null;
	value.get(key).unwrap_or(NULL)
}

fn answer_of(answer: &Value) -> Result<Value, RpcError> {
	if let Some(error) = answer.get("error") {
		let data = match field(error, "data") {
			Value::Null => String::new(),
			Value::String(s) => s.clone(),
			other => other.to_string(),
		};
		return Err(RpcError::Rpc {
			code: field(error, "code").as_i64().unwrap_or(0),
			message: field(error, "message").as_str().unwrap_or("").to_string(),
			data,
		});
	}
	match answer.get("result") {
		Some(result) => Ok(result.clone()),
		None => Err(RpcError::Transport(format!("neither result nor error: {answer}"))),
	}
}

fn header_number(header: &Value) -> Result<u32, RpcError> {
	field(header, "number")
		.as_str()
		.and_then(|s| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok())
		.ok_or_else(|| RpcError::Transport(format!("header without a number: {header}")))
}

/// A `0x`-prefixed 32-byte hash.
pub fn parse_h256(value: &Value) -> Result<H256, RpcError> {
	value
		.as_str()
		.and_then(hex_decode)
		.filter(|bytes| bytes.len() == 32)
		.map(|bytes| H256::from_slice(&bytes))
		.ok_or_else(|| RpcError::Transport(format!("not a 32-byte hash: {value}")))
}

fn dechunk(mut rest: &str) -> String {
	let mut out = String::new();
	while let Some((size_line, after)) = rest.split_once("\r\n") {
		let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
		match (size, after.get(..size), after.get(size..)) {
			(1.., Some(chunk), Some(tail)) => {
				out.push_str(chunk);
				rest = tail.trim_start_matches("\r\n");
			}
			_ => break,
		}
	}
	out
}

/// Decodes a hex string (with or without `0x`); `None` if it is not hex.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
	let s = s.strip_prefix("0x").unwrap_or(s);
	if !s.len().is_multiple_of(2) {
		return None;
	}
	(0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Encodes bytes as a `0x`-prefixed hex string.
pub fn hex_encode(bytes: &[u8]) -> String {
	let mut s = String::with_capacity(2 + 2 * bytes.len());
	s.push_str("0x");
	for b in bytes {
		s.push_str(&format!("{b:02x}"));
	}
	s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
	use super::*;

	#[test]
	fn urls_parse_and_bad_ones_are_refused() {
		let c = Client::new("http://127.0.0.1:9944").unwrap();
		assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 9944));
		let c = Client::new("ws://node.city.example:443/").unwrap();
		assert_eq!((c.host.as_str(), c.port), ("node.city.example", 443));
		assert!(Client::new("http://127.0.0.1").is_err());
		assert!(Client::new("http://:9944").is_err());
		assert!(Client::new("127.0.0.1:port").is_err());
	}

	#[test]
	fn hex_round_trips_and_rejects_garbage() {
		assert_eq!(hex_encode(&[0, 0xab, 0xff]), "0x00abff");
		assert_eq!(hex_decode("0x00abff"), Some(vec![0, 0xab, 0xff]));
		assert_eq!(hex_decode("00abff"), Some(vec![0, 0xab, 0xff]));
		assert_eq!(hex_decode("0x0"), None);
		assert_eq!(hex_decode("0xzz"), None);
	}

	#[test]
	fn chunked_bodies_are_joined() {
		assert_eq!(dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "hello world");
		// A truncated chunk stops decoding instead of panicking.
		assert_eq!(dechunk("5\r\nhel"), "");
	}

	#[test]
	fn answers_become_results_or_errors() {
		assert_eq!(answer_of(&json!({"id": 1, "result": 5})), Ok(json!(5)));
		assert_eq!(
			answer_of(
				&json!({"id": 1, "error": {"code": 1010, "message": "Invalid Transaction", "data": "Transaction is outdated"}})
			),
			Err(RpcError::Rpc {
				code: 1010,
				message: "Invalid Transaction".into(),
				data: "Transaction is outdated".into()
			})
		);
		assert!(matches!(answer_of(&json!({"id": 1})), Err(RpcError::Transport(_))));
	}
}
