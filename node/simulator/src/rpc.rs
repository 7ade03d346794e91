//! The gateway's JSON-RPC connection: one WebSocket (`ws://`, or `wss://` for a node behind
//! TLS, certificates checked against the system's roots) carrying single calls, JSON-RPC
//! batches (hundreds of extrinsics per request) and the node's subscriptions: finalized heads,
//! new heads and runtime versions are pushed by the node, not polled. The same connection
//! serves the metadata-driven chain client ([`Client::chain`]).
//!
//! `wss://` trusts the system's certificate authorities, or only those of a PEM file
//! ([`Client::connect_trusting`]: a city's own PKI).
//!
//! A blocking facade (the simulator and the tests are synchronous) over an async runtime of
//! its own. A connection that ends, stops answering WebSocket pings, or lets a call time out
//! is dropped, and the next call opens a new one (re-signing closures and the tracker always
//! go through [`Client`], never hold an old connection).

use std::{
	fmt,
	path::Path,
	sync::{
		atomic::{AtomicBool, AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::Duration,
};

use jsonrpsee::{
	core::{
		client::{BatchResponse, ClientT, Error as WsError, SubscriptionClientT},
		params::BatchRequestBuilder,
		traits::ToRpcParams,
	},
	ws_client::{CustomCertStore, PingConfig, WsClient, WsClientBuilder},
};
use serde_json::{json, value::RawValue, Value};
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

/// Largest request the client sends (a runtime upgrade carries the whole wasm, hex-encoded).
const MAX_REQUEST_BYTES: u32 = 32 * 1024 * 1024;
/// Largest answer the client reads (a full block of extrinsics, hex-encoded).
const MAX_RESPONSE_BYTES: u32 = 64 * 1024 * 1024;
/// How long one call may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the connection is pinged, and how long it may stay silent before it counts as
/// lost (a peer that vanished without closing, a NAT that forgot the connection).
const PING_INTERVAL: Duration = Duration::from_secs(15);
const INACTIVE_LIMIT: Duration = Duration::from_secs(45);

/// The WebSocket URL of a node given as `ws(s)://`, `http(s)://` (Substrate serves both on one
/// port) or `host:port` (plain `ws://`).
pub fn websocket_url(url: &str) -> Result<String, String> {
	let url = url.trim_end_matches('/');
	let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
		("ws", rest)
	} else if let Some(rest) = url.strip_prefix("https://") {
		("wss", rest)
	} else if let Some(rest) = url.strip_prefix("ws://") {
		("ws", rest)
	} else if let Some(rest) = url.strip_prefix("wss://") {
		("wss", rest)
	} else if url.contains("://") {
		return Err(format!(
			"{url:?}: the node is reached over ws://, wss://, http:// or https://"
		));
	} else {
		("ws", url)
	};
	let host = rest.split(['/', '?']).next().unwrap_or_default();
	let name = match host.rsplit_once(':') {
		Some((name, port)) => {
			port.parse::<u16>().map_err(|_| format!("bad port in {url:?}"))?;
			name
		}
		None => host,
	};
	if name.is_empty() {
		return Err(format!("no host in {url:?}"));
	}
	Ok(format!("{scheme}://{rest}"))
}

/// A TLS client configuration that trusts only the certificate authorities in the PEM file
/// at `path`.
fn tls_trusting(path: &Path) -> Result<CustomCertStore, String> {
	use rustls::pki_types::{pem::PemObject, CertificateDer};
	let shown = path.display();
	let mut roots = rustls::RootCertStore::empty();
	for certificate in CertificateDer::pem_file_iter(path)
		.map_err(|e| format!("cannot read certificates from {shown}: {e}"))?
	{
		let certificate = certificate.map_err(|e| format!("{shown}: {e}"))?;
		roots.add(certificate).map_err(|e| format!("{shown}: not a usable certificate: {e}"))?;
	}
	if roots.is_empty() {
		return Err(format!("{shown} holds no PEM certificate"));
	}
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	Ok(rustls::ClientConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|e| format!("TLS: {e}"))?
		.with_root_certificates(roots)
		.with_no_client_auth())
}

/// What the node's subscriptions last said: the best and finalized block numbers and the
/// runtime's `(spec_version, transaction_version)` at the best block.
#[derive(Debug, Default)]
pub struct Heads {
	best: AtomicU32,
	finalized: AtomicU32,
	spec_version: AtomicU32,
	transaction_version: AtomicU32,
	/// Cleared when a subscription ends (the connection is gone).
	live: AtomicBool,
}

impl Heads {
	/// The best block number last announced.
	pub fn best(&self) -> u32 {
		self.best.load(Ordering::Acquire)
	}

	/// The finalized block number last announced.
	pub fn finalized(&self) -> u32 {
		self.finalized.load(Ordering::Acquire)
	}

	/// The runtime's `(spec_version, transaction_version)` last announced.
	pub fn runtime_versions(&self) -> (u32, u32) {
		(
			self.spec_version.load(Ordering::Acquire),
			self.transaction_version.load(Ordering::Acquire),
		)
	}
}

/// One open WebSocket connection, its subscriptions and (built at its first use) the chain
/// client over it.
struct Connection {
	ws: Arc<WsClient>,
	heads: Arc<Heads>,
	chain: Mutex<Option<Chain>>,
}

/// A node's JSON-RPC endpoint over WebSocket. Clones share the connection.
#[derive(Clone)]
pub struct Client {
	url: String,
	/// The TLS configuration for `wss://` when it is not the system's roots.
	tls: Option<CustomCertStore>,
	runtime: Arc<tokio::runtime::Runtime>,
	connection: Arc<Mutex<Option<Arc<Connection>>>>,
}

impl fmt::Debug for Client {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "Client({})", self.url)
	}
}

/// JSON parameters as they are (an array, or nothing).
struct Params(Value);

impl ToRpcParams for Params {
	fn to_rpc_params(self) -> Result<Option<Box<RawValue>>, serde_json::Error> {
		match self.0 {
			Value::Null => Ok(None),
			params => serde_json::value::to_raw_value(&params).map(Some),
		}
	}
}

fn rpc_error(error: WsError) -> RpcError {
	match error {
		WsError::Call(e) => RpcError::Rpc {
			code: i64::from(e.code()),
			message: e.message().to_string(),
			data: e.data().map(data_text).unwrap_or_default(),
		},
		other => RpcError::Transport(other.to_string()),
	}
}

/// An error's `data` as text: a JSON string without its quotes, anything else as JSON.
fn data_text(data: &RawValue) -> String {
	match serde_json::from_str::<Value>(data.get()) {
		Ok(Value::String(text)) => text,
		_ => data.get().to_string(),
	}
}

impl Client {
	/// Connects to the node at `url`: `ws://` or `wss://`; `http(s)://` is the same node's
	/// WebSocket (`ws(s)://` on the same port); `host:port` is `ws://host:port`.
	pub fn connect(url: &str) -> Result<Self, String> {
		Client::open(url, None)
	}

	/// Connects to a `wss://` (or `https://`) `url` trusting only the certificate authorities
	/// in the PEM file `ca_pem` (a city's own PKI), not the system's. A plain `ws://` URL is
	/// refused: its traffic would not be protected by the authority the caller named.
	pub fn connect_trusting(url: &str, ca_pem: &Path) -> Result<Self, String> {
		if !websocket_url(url)?.starts_with("wss://") {
			return Err(format!(
				"{url:?} is not a TLS URL: a certificate authority only applies to wss:// (https://)"
			));
		}
		Client::open(url, Some(tls_trusting(ca_pem)?))
	}

	fn open(url: &str, tls: Option<CustomCertStore>) -> Result<Self, String> {
		let url = websocket_url(url)?;
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.enable_all()
			.build()
			.map_err(|e| format!("cannot start the async runtime: {e}"))?;
		let client =
			Client { url, tls, runtime: Arc::new(runtime), connection: Arc::new(Mutex::new(None)) };
		client.connection().map_err(|e| e.to_string())?;
		Ok(client)
	}

	/// Connects to the node at `ws://127.0.0.1:port`.
	pub fn local(port: u16) -> Result<Self, String> {
		Client::connect(&format!("ws://127.0.0.1:{port}"))
	}

	/// The URL connected to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The open connection, opened again if the last one was lost.
	fn connection(&self) -> Result<Arc<Connection>, RpcError> {
		let mut slot =
			self.connection.lock().map_err(|_| RpcError::Transport("a thread panicked".into()))?;
		if let Some(connection) = slot.as_ref() {
			if connection.heads.live.load(Ordering::Acquire) && connection.ws.is_connected() {
				return Ok(connection.clone());
			}
		}
		let connection = Arc::new(self.runtime.block_on(open(&self.url, self.tls.clone()))?);
		*slot = Some(connection.clone());
		Ok(connection)
	}

	/// What the node's subscriptions last said (best and finalized numbers, runtime versions).
	pub fn heads(&self) -> Result<Arc<Heads>, RpcError> {
		Ok(self.connection()?.heads.clone())
	}

	/// The chain client (extrinsics and events from the metadata) over this connection, built
	/// at its first use.
	pub fn chain(&self) -> Result<Chain, String> {
		let connection = self.connection().map_err(|e| e.to_string())?;
		let mut chain = connection.chain.lock().map_err(|_| "a thread panicked".to_string())?;
		if let Some(chain) = chain.as_ref() {
			return Ok(chain.clone());
		}
		let built =
			Chain::over(self.runtime.clone(), connection.ws.clone(), connection.heads.clone())?;
		*chain = Some(built.clone());
		Ok(built)
	}

	/// Calls `method` with `params` (a JSON array, or `null` for none).
	pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
		let connection = self.connection()?;
		let answer =
			self.runtime.block_on(connection.ws.request::<Value, _>(method, Params(params)));
		answer.map_err(|e| self.failed(&connection, e))
	}

	/// The error of a call on `connection`; a connection that let a call time out (or lost
	/// its transport) is dropped, so the next call opens a new one.
	fn failed(&self, connection: &Connection, error: WsError) -> RpcError {
		if !matches!(error, WsError::Call(_)) {
			connection.heads.live.store(false, Ordering::Release);
		}
		rpc_error(error)
	}

	/// Calls every `(method, params)` in one JSON-RPC batch; the answers come back in the
	/// order of `calls`. The outer error is a transport failure of the whole batch.
	pub fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
		if calls.is_empty() {
			return Ok(Vec::new());
		}
		let connection = self.connection()?;
		let mut batch = BatchRequestBuilder::new();
		for (method, params) in calls {
			batch
				.insert(method, Params(params.clone()))
				.map_err(|e| RpcError::Transport(format!("cannot encode {method}: {e}")))?;
		}
		let answers: BatchResponse<'_, Value> = self
			.runtime
			.block_on(connection.ws.batch_request(batch))
			.map_err(|e| self.failed(&connection, e))?;
		Ok(answers
			.into_iter()
			.map(|answer| {
				answer.map_err(|e| RpcError::Rpc {
					code: i64::from(e.code()),
					message: e.message().to_string(),
					data: e.data().map(data_text).unwrap_or_default(),
				})
			})
			.collect())
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

/// Opens a connection and its subscriptions (new heads, finalized heads, runtime version);
/// each keeps [`Heads`] up to date until the connection ends.
async fn open(url: &str, tls: Option<CustomCertStore>) -> Result<Connection, RpcError> {
	let mut builder = WsClientBuilder::default()
		.max_request_size(MAX_REQUEST_BYTES)
		.max_response_size(MAX_RESPONSE_BYTES)
		.request_timeout(REQUEST_TIMEOUT)
		.enable_ws_ping(
			PingConfig::new().ping_interval(PING_INTERVAL).inactive_limit(INACTIVE_LIMIT),
		)
		// A redirect could lead from wss:// to ws://: follow none (jsonrpsee counts connection
		// rounds: 1 is the first connection only).
		.max_redirections(1);
	if let Some(tls) = tls {
		builder = builder.with_custom_cert_store(tls);
	}
	let ws = builder
		.build(url)
		.await
		.map_err(|e| RpcError::Transport(format!("cannot connect to {url}: {e}")))?;
	let ws = Arc::new(ws);
	let heads = Arc::new(Heads::default());
	heads.live.store(true, Ordering::Release);
	type Update = fn(&Heads, &Value) -> Option<()>;
	let subscriptions: [(&str, &str, Update); 3] = [
		("chain_subscribeNewHeads", "chain_unsubscribeNewHeads", |heads, header| {
			heads.best.store(header_number(header).ok()?, Ordering::Release);
			Some(())
		}),
		("chain_subscribeFinalizedHeads", "chain_unsubscribeFinalizedHeads", |heads, header| {
			heads.finalized.fetch_max(header_number(header).ok()?, Ordering::AcqRel);
			Some(())
		}),
		("state_subscribeRuntimeVersion", "state_unsubscribeRuntimeVersion", |heads, version| {
			let number = |key| field(version, key).as_u64().and_then(|n| u32::try_from(n).ok());
			let (spec, transaction) = (number("specVersion")?, number("transactionVersion")?);
			heads.spec_version.store(spec, Ordering::Release);
			heads.transaction_version.store(transaction, Ordering::Release);
			Some(())
		}),
	];
	for (subscribe, unsubscribe, update) in subscriptions {
		let mut subscription = ws
			.subscribe::<Value, _>(subscribe, Params(json!([])), unsubscribe)
			.await
			.map_err(rpc_error)?;
		// The node announces the current value first: wait for it, so that a fresh
		// connection's `Heads` are never zero.
		match tokio::time::timeout(REQUEST_TIMEOUT, subscription.next()).await {
			Ok(Some(Ok(first))) => {
				update(&heads, &first);
			}
			_ => return Err(RpcError::Transport(format!("{subscribe}: no first notification"))),
		}
		let heads = heads.clone();
		tokio::spawn(async move {
			while let Some(Ok(notification)) = subscription.next().await {
				update(&heads, &notification);
			}
			heads.live.store(false, Ordering::Release);
		});
	}
	Ok(Connection { ws, heads, chain: Mutex::new(None) })
}

/// `value[key]` without indexing: `null` when `value` is not an object or lacks `key`.
pub fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
	const NULL: &Value = &Value::Null;
	value.get(key).unwrap_or(NULL)
}

/// The result of one JSON-RPC answer object, or its error.
pub fn answer_of(answer: &Value) -> Result<Value, RpcError> {
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

/// Decodes a hex string (with or without `0x`); `None` if it is not hex.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
	hex::decode(s.strip_prefix("0x").unwrap_or(s)).ok()
}

/// Encodes bytes as a `0x`-prefixed hex string.
pub fn hex_encode(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
	use super::*;

	#[test]
	fn urls_name_the_nodes_websocket_and_bad_ones_are_refused() {
		let ws = |url| websocket_url(url).unwrap();
		assert_eq!(ws("http://127.0.0.1:9944"), "ws://127.0.0.1:9944");
		assert_eq!(ws("https://rpc.city.example"), "wss://rpc.city.example");
		assert_eq!(ws("wss://rpc.city.example:443/"), "wss://rpc.city.example:443");
		assert_eq!(ws("ws://node.city.example:9944"), "ws://node.city.example:9944");
		assert_eq!(ws("127.0.0.1:9944"), "ws://127.0.0.1:9944");
		assert_eq!(ws("wss://rpc.city.example/chain"), "wss://rpc.city.example/chain");
		assert!(websocket_url("http://:9944").is_err());
		assert!(websocket_url("ws://127.0.0.1:port").is_err());
		assert!(websocket_url("ftp://node:21").is_err());
		assert!(websocket_url("").is_err());
	}

	#[test]
	fn a_city_authority_is_read_from_pem_and_only_for_tls() {
		let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/tls/ca.pem");
		assert!(tls_trusting(&ca).is_ok());
		let missing = tls_trusting(Path::new("/no/such/ca.pem")).unwrap_err();
		assert!(missing.contains("cannot read certificates"), "{missing}");
		// A PEM file without a certificate (the test node's private key).
		let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e/tls/node.key");
		assert!(tls_trusting(&key).unwrap_err().contains("holds no PEM certificate"));
		// A certificate block that is not DER.
		let path = std::env::temp_dir().join(format!("city-sim-bad-ca-{}", std::process::id()));
		std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
			.unwrap();
		assert!(tls_trusting(&path).is_err());
		std::fs::remove_file(&path).unwrap();
		// An authority for a plain ws:// URL would protect nothing: refused before connecting.
		let plain = Client::connect_trusting("ws://127.0.0.1:9", &ca).unwrap_err();
		assert!(plain.contains("not a TLS URL"), "{plain}");
		assert!(Client::connect_trusting("http://127.0.0.1:9", &ca).is_err());
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
