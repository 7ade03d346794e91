//! Test harness for end-to-end tests: starts `citychain-node` processes on loopback, talks to
//! them over plain HTTP JSON-RPC (the simulator, which scenarios also drive, speaks
//! WebSocket), and signs transactions with the runtime's own types.
//!
//! Everything is bounded in time: every wait has a deadline and fails the test with the node
//! logs' location when it passes. Nodes are killed when their handle drops.
//!
//! Scenarios run one at a time whatever `--test-threads` says ([`serial`]): two networks at
//! once would overload a 2-core machine and skew every timing. Ports are picked free by the OS
//! ([`free_ports`]), so a scenario never collides with another program on the machine.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{
	fs,
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Mutex, MutexGuard},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use serde_json::{json, Value};
use sp_core::{crypto::Pair as _, sr25519, H256};

/// Path of the node binary that cargo built for these tests.
pub const NODE_BIN: &str = env!("CARGO_BIN_EXE_citychain-node");

pub use city_sim::rpc::{hex_encode, RpcError};

/// Holds the e2e lock: one scenario at a time, in any test harness configuration. A scenario
/// that failed (poisoning the lock) does not stop the next one.
pub fn serial() -> MutexGuard<'static, ()> {
	static LOCK: Mutex<()> = Mutex::new(());
	LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `count` distinct TCP ports on 127.0.0.1 that are free now (the OS picks them).
pub fn free_ports(count: usize) -> Vec<u16> {
	let listeners: Vec<TcpListener> =
		(0..count).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
	listeners.iter().map(|l| l.local_addr().expect("a bound address").port()).collect()
}

/// Sends one raw HTTP POST body to `127.0.0.1:port` and returns the response body. (The
/// harness speaks plain HTTP, one request per connection, to test what the node makes of
/// any bytes; the simulator speaks WebSocket.)
pub fn http_post(port: u16, body: &str) -> Result<String, RpcError> {
	use std::io::{Read, Write};
	let transport = |e: std::io::Error| RpcError::Transport(e.to_string());
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(transport)?;
	stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(transport)?;
	let request = format!(
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
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

/// The body of a chunked HTTP response.
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

/// Calls `method` with `params` on the node's RPC port over HTTP.
pub fn rpc(port: u16, method: &str, params: Value) -> Result<Value, RpcError> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
	let text = http_post(port, &body.to_string())?;
	let answer: Value =
		serde_json::from_str(&text).map_err(|e| RpcError::Transport(format!("{e}: {text}")))?;
	city_sim::rpc::answer_of(&answer)
}

/// The number in a JSON header.
fn header_number(header: &Value) -> Option<u32> {
	u32::from_str_radix(header["number"].as_str()?.trim_start_matches("0x"), 16).ok()
}

fn hex_to_h256(value: &Value) -> H256 {
	city_sim::rpc::parse_h256(value).expect("a 32-byte hash")
}

/// Decodes a `0x`-prefixed hex string.
pub fn hex_decode(s: &str) -> Vec<u8> {
	city_sim::rpc::hex_decode(s).expect("hex")
}

/// The finalized head (hash, number) of a node, if it answers.
pub fn finalized(port: u16) -> Option<(H256, u32)> {
	let hash = rpc(port, "chain_getFinalizedHead", json!([])).ok()?;
	let header = rpc(port, "chain_getHeader", json!([hash.clone()])).ok()?;
	Some((hex_to_h256(&hash), header_number(&header)?))
}

/// The best block number of a node, if it answers.
pub fn best_number(port: u16) -> Option<u32> {
	header_number(&rpc(port, "chain_getHeader", json!([])).ok()?)
}

/// The hash of block `number` on the node's best chain.
pub fn block_hash(port: u16, number: u32) -> Option<H256> {
	let hash = rpc(port, "chain_getBlockHash", json!([number])).ok()?;
	(!hash.is_null()).then(|| hex_to_h256(&hash))
}

/// Waits until `check` returns `Some`, polling every 500 ms, for at most `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
	let start = Instant::now();
	loop {
		if let Some(value) = check() {
			return value;
		}
		if start.elapsed() > timeout {
			panic!("timed out after {timeout:?} waiting for {what}");
		}
		std::thread::sleep(Duration::from_millis(500));
	}
}

type AccountInfo = frame_system::AccountInfo<
	citychain_runtime::Nonce,
	pallet_balances::AccountData<citychain_runtime::Balance>,
>;

/// `System::Account` of `account` in the state of block `at`, if the account exists.
pub fn account_info(
	port: u16,
	account: &citychain_runtime::AccountId,
	at: H256,
) -> Option<AccountInfo> {
	let key = frame_system::Account::<citychain_runtime::Runtime>::hashed_key_for(account);
	let value = rpc(port, "state_getStorage", json!([hex_encode(&key), format!("{at:?}")]))
		.expect("state_getStorage");
	let bytes = hex_decode(value.as_str()?);
	Some(AccountInfo::decode(&mut &bytes[..]).expect("AccountInfo decodes"))
}

/// Free balance of `account` at block `at` (zero if the account does not exist).
pub fn free_balance(port: u16, account: &citychain_runtime::AccountId, at: H256) -> u128 {
	account_info(port, account, at).map_or(0, |info| info.data.free)
}

/// Nonce of `account` at block `at`: how many of its transactions are in blocks up to `at`.
pub fn account_nonce(port: u16, account: &citychain_runtime::AccountId, at: H256) -> u32 {
	account_info(port, account, at).map_or(0, |info| info.nonce)
}

/// Builds a signed `Balances::transfer_keep_alive` extrinsic, exactly as a wallet would: with
/// the account's next nonce and the chain's genesis hash, mortal, no tip.
pub fn signed_transfer(
	port: u16,
	from: &sr25519::Pair,
	to: citychain_runtime::AccountId,
	amount: u128,
) -> Vec<u8> {
	let from_account: citychain_runtime::AccountId = from.public().into();
	let nonce = next_nonce(port, &from_account);
	sign_call(
		port,
		from,
		citychain_runtime::RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: to.into(),
			value: amount,
		}),
		nonce,
	)
}

/// The account's next nonce, counting its transactions in the pool.
pub fn next_nonce(port: u16, account: &citychain_runtime::AccountId) -> citychain_runtime::Nonce {
	rpc(port, "system_accountNextIndex", json!([account.to_string()]))
		.expect("nonce")
		.as_u64()
		.expect("nonce is a number") as citychain_runtime::Nonce
}

/// Signs `call` for `from` with `nonce` for the chain of the node on `port`, mortal from its
/// finalized head, as a wallet does.
pub fn sign_call(
	port: u16,
	from: &sr25519::Pair,
	call: citychain_runtime::RuntimeCall,
	nonce: citychain_runtime::Nonce,
) -> Vec<u8> {
	let genesis = block_hash(port, 0).expect("genesis hash");
	let (hash, number) = finalized(port).expect("finalized head");
	let checkpoint = citychain_runtime::Checkpoint { number, hash };
	citychain_runtime::sign_extrinsic(from, call, nonce, genesis, checkpoint).encode()
}

/// A running (or stopped) node process with its own base path, ports and log file.
pub struct Node {
	pub name: String,
	pub rpc_port: u16,
	pub p2p_port: u16,
	args: Vec<String>,
	pub base_path: PathBuf,
	pub log_path: PathBuf,
	child: Option<Child>,
}

impl Node {
	/// Prepares a node; `extra` are further command-line arguments (chain, validator, ...).
	pub fn new(name: &str, dir: &Path, rpc_port: u16, p2p_port: u16, extra: &[String]) -> Self {
		let base_path = dir.join(name);
		fs::create_dir_all(&base_path).unwrap();
		let mut args: Vec<String> = vec![
			"--base-path".into(),
			base_path.display().to_string(),
			"--rpc-port".into(),
			rpc_port.to_string(),
			"--listen-addr".into(),
			format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
			"--no-prometheus".into(),
			"--no-telemetry".into(),
			"--no-mdns".into(),
			"--rpc-cors".into(),
			"all".into(),
		];
		args.extend(extra.iter().cloned());
		let log_path = dir.join(format!("{name}.log"));
		Node { name: name.into(), rpc_port, p2p_port, args, base_path, log_path, child: None }
	}

	/// Starts the process (appending to its log) and waits until its RPC answers.
	pub fn start(&mut self) {
		assert!(self.child.is_none(), "{} already running", self.name);
		let log = fs::OpenOptions::new().create(true).append(true).open(&self.log_path).unwrap();
		let child = Command::new(NODE_BIN)
			.args(&self.args)
			.stdout(Stdio::from(log.try_clone().unwrap()))
			.stderr(Stdio::from(log))
			.spawn()
			.expect("start citychain-node");
		self.child = Some(child);
		let port = self.rpc_port;
		let log = self.log_path.clone();
		let name = self.name.clone();
		wait_for(
			&format!("RPC of {name} (log {})", log.display()),
			Duration::from_secs(60),
			|| {
				if !self.is_running() {
					let text = fs::read_to_string(&log).unwrap_or_default();
					let tail: Vec<&str> = text.lines().rev().take(15).collect();
					panic!(
						"{name} exited at start; log tail:\n{}",
						tail.into_iter().rev().collect::<Vec<_>>().join("\n")
					);
				}
				rpc(port, "system_health", json!([])).ok()
			},
		);
	}

	/// Kills the process with SIGKILL (a crash: no clean shutdown).
	pub fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	/// Stops the process with SIGTERM and waits for it to exit (a clean shutdown).
	pub fn stop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
			let deadline = Instant::now() + Duration::from_secs(30);
			loop {
				if let Ok(Some(_)) = child.try_wait() {
					break;
				}
				if Instant::now() > deadline {
					let _ = child.kill();
					let _ = child.wait();
					break;
				}
				std::thread::sleep(Duration::from_millis(100));
			}
		}
	}

	/// Whether the process is still alive.
	pub fn is_running(&mut self) -> bool {
		match self.child.as_mut() {
			Some(child) => matches!(child.try_wait(), Ok(None)),
			None => false,
		}
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		self.kill();
	}
}

/// A fresh directory for one test's nodes and logs under the cargo target tmp dir.
pub fn test_dir(name: &str) -> PathBuf {
	let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-{name}"));
	let _ = fs::remove_dir_all(&dir);
	fs::create_dir_all(&dir).unwrap();
	dir
}

/// The libp2p peer id of a node key (hex secret), as the node itself derives it.
pub fn peer_id_of(node_key_hex: &str, dir: &Path) -> String {
	let file = dir.join(format!("nodekey-{}", &node_key_hex[..8]));
	fs::write(&file, node_key_hex).unwrap();
	let out = Command::new(NODE_BIN)
		.args(["key", "inspect-node-key", "--file"])
		.arg(&file)
		.output()
		.expect("inspect-node-key");
	assert!(out.status.success(), "inspect-node-key failed: {out:?}");
	String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A deterministic node key for validator `index` (tests only: real networks generate theirs).
pub fn node_key(index: usize) -> String {
	format!("{:064x}", 0xC17Cu64 * 1000 + index as u64 + 1)
}

/// Calls a runtime API function through `state_call` at block `at` (best block if `None`)
/// and returns the SCALE-encoded answer.
pub fn state_call(port: u16, method: &str, args: &[u8], at: Option<H256>) -> Vec<u8> {
	let mut params = vec![json!(method), json!(hex_encode(args))];
	if let Some(at) = at {
		params.push(json!(format!("{at:?}")));
	}
	let answer = rpc(port, "state_call", Value::Array(params)).expect("state_call");
	hex_decode(answer.as_str().expect("state_call answers hex"))
}

/// The Aura authorities at block `at`.
pub fn aura_authorities(
	port: u16,
	at: Option<H256>,
) -> Vec<sp_consensus_aura::sr25519::AuthorityId> {
	Decode::decode(&mut &state_call(port, "AuraApi_authorities", &[], at)[..]).expect("authorities")
}

/// The GRANDPA voters at block `at`.
pub fn grandpa_authorities(port: u16, at: Option<H256>) -> sp_consensus_grandpa::AuthorityList {
	Decode::decode(&mut &state_call(port, "GrandpaApi_grandpa_authorities", &[], at)[..])
		.expect("grandpa authorities")
}

/// The Aura key that authored block `hash`: the authority of the block's slot, among the
/// authorities of its parent.
pub fn block_author(port: u16, hash: H256) -> Option<sp_consensus_aura::sr25519::AuthorityId> {
	let header = rpc(port, "chain_getHeader", json!([format!("{hash:?}")])).ok()?;
	let parent = hex_to_h256(&header["parentHash"]);
	let slot = header["digest"]["logs"].as_array()?.iter().find_map(|log| {
		let item = sp_runtime::DigestItem::decode(&mut &hex_decode(log.as_str()?)[..]).ok()?;
		item.pre_runtime_try_to::<sp_consensus_aura::Slot>(&sp_consensus_aura::AURA_ENGINE_ID)
	})?;
	let authorities = aura_authorities(port, Some(parent));
	let index = (u64::from(slot) % authorities.len() as u64) as usize;
	authorities.get(index).cloned()
}

/// The hash of the best block of a node.
pub fn best_hash(port: u16) -> Option<H256> {
	rpc(port, "chain_getBlockHash", json!([])).ok().map(|hash| hex_to_h256(&hash))
}

/// Submits a signed call from `from` (next nonce from the node) and waits until it is in a
/// finalized block; returns that finalized head.
pub fn submit_and_finalize(
	port: u16,
	from: &sr25519::Pair,
	call: citychain_runtime::RuntimeCall,
	timeout: Duration,
) -> H256 {
	let account: citychain_runtime::AccountId = from.public().into();
	let (head, _) = finalized(port).expect("finalized head");
	let nonce = account_nonce(port, &account, head);
	let pool_nonce = next_nonce(port, &account);
	let xt = sign_call(port, from, call, pool_nonce.max(nonce));
	rpc(port, "author_submitExtrinsic", json!([hex_encode(&xt)])).expect("transaction accepted");
	wait_for("transaction finalized", timeout, || {
		let (head, _) = finalized(port)?;
		(account_nonce(port, &account, head) > pool_nonce.max(nonce)).then_some(head)
	})
}

/// A TLS-terminating proxy on loopback in front of a node's RPC port, serving the test
/// certificate in `tests/e2e/tls` (`localhost` and `127.0.0.1`, issued by the test authority
/// `tls/ca.pem`; test keys, never used anywhere else): a node "behind TLS" as a city would
/// run it. Stops when dropped.
pub struct TlsProxy {
	/// The port it serves `wss://` (and `https://`) on.
	pub port: u16,
	_runtime: tokio::runtime::Runtime,
}

/// The test certificate authority that issued the proxy's certificate.
pub fn test_ca() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/tls/ca.pem")
}

impl TlsProxy {
	/// Starts the proxy in front of `127.0.0.1:node_port`.
	pub fn start(node_port: u16) -> TlsProxy {
		use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
		let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/tls");
		let chain: Vec<CertificateDer<'static>> =
			CertificateDer::pem_file_iter(dir.join("node.pem"))
				.unwrap()
				.map(Result::unwrap)
				.collect();
		let key = PrivateKeyDer::from_pem_file(dir.join("node.key")).unwrap();
		let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
		let config = rustls::ServerConfig::builder_with_provider(provider)
			.with_safe_default_protocol_versions()
			.unwrap()
			.with_no_client_auth()
			.with_single_cert(chain, key)
			.unwrap();
		let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.enable_all()
			.build()
			.unwrap();
		let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
		let port = listener.local_addr().unwrap().port();
		runtime.spawn(async move {
			while let Ok((client, _)) = listener.accept().await {
				let acceptor = acceptor.clone();
				tokio::spawn(async move {
					let Ok(mut tls) = acceptor.accept(client).await else { return };
					let Ok(mut node) =
						tokio::net::TcpStream::connect(("127.0.0.1", node_port)).await
					else {
						return;
					};
					let _ = tokio::io::copy_bidirectional(&mut tls, &mut node).await;
				});
			}
		});
		TlsProxy { port, _runtime: runtime }
	}
}

/// A council motion for `call`, as a city passes one: `members[0]` proposes it with all of
/// `members` as its threshold, all of them vote aye (proposing is not voting), `members[0]`
/// closes it; each step is
/// waited for until finalized. Returns the finalized head after the close. (Whether the call
/// succeeded is for the caller to check in the state it changes.)
pub fn council_motion(
	port: u16,
	members: &[sr25519::Pair],
	call: citychain_runtime::RuntimeCall,
	timeout: Duration,
) -> H256 {
	use frame_support::dispatch::GetDispatchInfo;
	use sp_runtime::traits::Hash as _;
	type Collective = citychain_runtime::configs::governance::CouncilCollective;
	let (head, _) = finalized(port).expect("finalized head");
	let key =
		pallet_collective::ProposalCount::<citychain_runtime::Runtime, Collective>::hashed_key();
	let index = rpc(port, "state_getStorage", json!([hex_encode(&key), format!("{head:?}")]))
		.expect("state_getStorage")
		.as_str()
		.map(|hex| u32::decode(&mut &hex_decode(hex)[..]).expect("a proposal count"))
		.unwrap_or(0);
	let length = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = <citychain_runtime::Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let proposer = &members[0];
	submit_and_finalize(
		port,
		proposer,
		citychain_runtime::RuntimeCall::Council(pallet_collective::Call::propose {
			threshold: members.len() as u32,
			proposal: Box::new(call),
			length_bound: length,
		}),
		timeout,
	);
	for member in members {
		submit_and_finalize(
			port,
			member,
			citychain_runtime::RuntimeCall::Council(pallet_collective::Call::vote {
				proposal: hash,
				index,
				approve: true,
			}),
			timeout,
		);
	}
	submit_and_finalize(
		port,
		proposer,
		citychain_runtime::RuntimeCall::Council(pallet_collective::Call::close {
			proposal_hash: hash,
			index,
			proposal_weight_bound: weight,
			length_bound: length,
		}),
		timeout,
	)
}

/// The local testnet's council: the four validators' operators.
pub fn local_council() -> Vec<sr25519::Pair> {
	["//Alice", "//Bob", "//Charlie", "//Dave"]
		.iter()
		.map(|uri| sr25519::Pair::from_string(uri, None).expect("a dev account"))
		.collect()
}
