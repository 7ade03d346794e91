//! The chain as a gateway sees it at run time, through subxt: extrinsics are built and signed
//! from the metadata of the block they are made at (call indices, argument types, transaction
//! extensions, `spec_version` and `transaction_version`), and events are decoded through the
//! metadata of their block. Nothing here is compiled against the runtime, so a runtime upgrade
//! (new metadata, new versions) is followed without a rebuild: every build asks the chain for
//! its current block first.
//!
//! A blocking facade (the simulator and the tests are synchronous) over the WebSocket
//! connection of a [`crate::Client`] (`ws://` or `wss://`).

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use codec::Encode;
use sp_core::{crypto::Pair as _, sr25519, H256};
use subxt::{
	config::{DefaultExtrinsicParamsBuilder, SubstrateConfig},
	dynamic::Value,
	events::Phase,
	ext::scale_value::{self, Composite},
	transactions::DynamicPayload,
	utils::{AccountId32, MultiSignature},
	OnlineClient, OnlineClientAtBlock,
};

use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClient};

use crate::rpc::Heads;

/// The configuration of CityChain for subxt: AccountId32, MultiAddress, MultiSignature,
/// blake2-256; everything else comes from the chain's metadata.
pub type CityConfig = SubstrateConfig;

/// A call built from the metadata: pallet, call and SCALE-decoded argument values.
pub type Call = DynamicPayload<Composite<()>>;

/// How many blocks a signed transaction stays valid after the block it names (mortal).
pub const TX_MORTALITY: u64 = 256;

/// How long a block serves as the base of new extrinsics before the chain is asked again (a
/// runtime upgrade is picked up at once: the node announces new runtime versions).
pub const REFRESH: Duration = Duration::from_secs(6);

/// The chain client over a node connection, and the async runtime that drives it. Clones share
/// both.
#[derive(Clone)]
pub struct Chain {
	runtime: Arc<tokio::runtime::Runtime>,
	api: OnlineClient<CityConfig>,
	ws: Arc<WsClient>,
	heads: Arc<Heads>,
	current: Arc<Mutex<Option<(Instant, AtBlock)>>>,
	/// The events of the block read last: callers ask about many extrinsics of one block.
	events: Arc<Mutex<Option<CachedEvents>>>,
}

/// A block's hash and its events.
type CachedEvents = (H256, Arc<Vec<BlockEvent>>);

/// One event of a block.
#[derive(Clone, Debug)]
pub struct BlockEvent {
	/// The index of the extrinsic it belongs to (`None`: initialization or finalization).
	pub extrinsic: Option<u32>,
	/// Its pallet's name.
	pub pallet: String,
	/// Its name.
	pub name: String,
	/// Its fields, SCALE-encoded.
	pub fields: Vec<u8>,
	/// For `System.ExtrinsicFailed`: the fields decoded through the block's metadata.
	pub shown: Option<String>,
}

/// The chain at one block: its metadata, versions and hash, to build extrinsics against, and
/// the finalized block their mortality starts at.
#[derive(Clone)]
pub struct AtBlock {
	at: OnlineClientAtBlock<CityConfig>,
	checkpoint: (u64, H256),
}

/// An sr25519 account key as a subxt signer.
pub struct PairSigner(pub sr25519::Pair);

impl subxt::transactions::Signer<CityConfig> for PairSigner {
	fn account_id(&self) -> AccountId32 {
		AccountId32(self.0.public().0)
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.0.sign(payload).0)
	}
}

impl Chain {
	/// The chain client over `ws`, a connection whose subscriptions keep `heads` up to date.
	pub fn over(
		runtime: Arc<tokio::runtime::Runtime>,
		ws: Arc<WsClient>,
		heads: Arc<Heads>,
	) -> Result<Self, String> {
		let api = runtime
			.block_on(OnlineClient::<CityConfig>::from_rpc_client(ws.clone()))
			.map_err(|e| format!("cannot start the chain client: {e}"))?;
		Ok(Chain {
			runtime,
			api,
			ws,
			heads,
			current: Arc::new(Mutex::new(None)),
			events: Arc::new(Mutex::new(None)),
		})
	}

	/// The block new extrinsics are built against: asked of the chain at most every
	/// [`REFRESH`] (building thousands of extrinsics does not cost a round trip each), and at
	/// once when the node announces other runtime versions (an upgrade).
	pub fn current(&self) -> Result<AtBlock, String> {
		let mut current = self.current.lock().map_err(|_| "a thread panicked".to_string())?;
		if let Some((since, at)) = current.as_ref() {
			if since.elapsed() < REFRESH && at.versions() == self.heads.runtime_versions() {
				return Ok(at.clone());
			}
		}
		let at = self.at_head()?;
		*current = Some((Instant::now(), at.clone()));
		Ok(at)
	}

	/// Forgets the block [`Chain::current`] keeps, so that the next extrinsic is built against
	/// the chain as it is now (after the pool refused one as signed for other versions).
	pub fn refresh(&self) {
		if let Ok(mut current) = self.current.lock() {
			*current = None;
		}
	}

	/// The chain as the pool checks transactions now: the metadata and versions of the best
	/// block when a runtime upgrade there is not final yet (the pool validates against the
	/// best block), else of the finalized block; mortality starts at the finalized block
	/// either way (a best block can be replaced).
	pub fn at_head(&self) -> Result<AtBlock, String> {
		let finalized = self
			.runtime
			.block_on(self.api.at_current_block())
			.map_err(|e| format!("cannot read the current block: {e}"))?;
		let checkpoint = (finalized.block_number(), finalized.block_hash());
		let finalized = AtBlock { at: finalized, checkpoint };
		if finalized.versions() == self.heads.runtime_versions() {
			return Ok(finalized);
		}
		let best: H256 = self
			.runtime
			.block_on(self.ws.request("chain_getBlockHash", rpc_params![]))
			.map_err(|e| format!("cannot read the best block: {e}"))?;
		Ok(AtBlock { at: self.at(best)?.at, checkpoint })
	}

	/// The chain at block `hash`.
	pub fn at(&self, hash: H256) -> Result<AtBlock, String> {
		let at = self
			.runtime
			.block_on(self.api.at_block(hash))
			.map_err(|e| format!("cannot read block {hash:?}: {e}"))?;
		let checkpoint = (at.block_number(), at.block_hash());
		Ok(AtBlock { at, checkpoint })
	}

	/// The genesis hash.
	pub fn genesis_hash(&self) -> H256 {
		self.api.genesis_hash()
	}

	/// The events of block `hash`, decoded through that block's metadata (the last block
	/// asked about is kept: callers ask about many of its extrinsics in a row).
	pub fn events_of(&self, hash: H256) -> Result<Arc<Vec<BlockEvent>>, String> {
		if let Ok(cached) = self.events.lock() {
			if let Some((cached_hash, events)) = cached.as_ref() {
				if *cached_hash == hash {
					return Ok(events.clone());
				}
			}
		}
		let at = self.at(hash)?.at;
		let fetched = self
			.runtime
			.block_on(at.events().fetch())
			.map_err(|e| format!("events of {hash:?}: {e}"))?;
		let mut events = Vec::new();
		for event in fetched.iter() {
			let event = event.map_err(|e| format!("an event of {hash:?} does not decode: {e}"))?;
			let extrinsic = match event.phase() {
				Phase::ApplyExtrinsic(position) => Some(position),
				_ => None,
			};
			let (pallet, name) = (event.pallet_name(), event.event_name());
			let shown = ((pallet, name) == ("System", "ExtrinsicFailed")).then(|| {
				event
					.decode_fields_unchecked_as::<Value>()
					.map(|v| v.to_string())
					.unwrap_or_else(|e| format!("(undecodable: {e})"))
			});
			events.push(BlockEvent {
				extrinsic,
				pallet: pallet.to_string(),
				name: name.to_string(),
				fields: event.field_bytes().to_vec(),
				shown,
			});
		}
		let events = Arc::new(events);
		if let Ok(mut cached) = self.events.lock() {
			*cached = Some((hash, events.clone()));
		}
		Ok(events)
	}

	/// Extrinsic positions whose dispatch failed in block `hash` (`System.ExtrinsicFailed`),
	/// with the error decoded through that block's metadata.
	pub fn failed_extrinsics(&self, hash: H256) -> Result<HashMap<u32, String>, String> {
		Ok(self
			.events_of(hash)?
			.iter()
			.filter_map(|e| Some((e.extrinsic?, e.shown.clone()?)))
			.collect())
	}

	/// The fee the extrinsic at `index` of block `hash` paid
	/// (`TransactionPayment.TransactionFeePaid`'s `actual_fee`, which includes the tip), if it
	/// paid one.
	pub fn fee_paid(&self, hash: H256, index: u32) -> Result<Option<u128>, String> {
		for event in self.events_of(hash)?.iter() {
			if event.extrinsic == Some(index) && fee_event(event) {
				return fee_of(event, hash).map(|(_, fee)| Some(fee));
			}
		}
		Ok(None)
	}

	/// What `who` paid in transaction fees in block `hash` (`TransactionFeePaid` events).
	pub fn fees_paid_by(&self, hash: H256, who: [u8; 32]) -> Result<u128, String> {
		let mut total = 0u128;
		for event in self.events_of(hash)?.iter().filter(|e| fee_event(e)) {
			let (payer, fee) = fee_of(event, hash)?;
			if payer == who {
				total = total.saturating_add(fee);
			}
		}
		Ok(total)
	}

	/// The SCALE-encoded fields of the event `pallet.name` that the extrinsic at `index` of
	/// block `hash` emitted, if it emitted one.
	pub fn event_bytes(
		&self,
		hash: H256,
		index: u32,
		pallet: &str,
		name: &str,
	) -> Result<Option<Vec<u8>>, String> {
		Ok(self
			.events_of(hash)?
			.iter()
			.find(|e| e.extrinsic == Some(index) && e.pallet == pallet && e.name == name)
			.map(|e| e.fields.clone()))
	}

	/// The first field (decoded as `T`) of the event `pallet.name` that the extrinsic at
	/// `index` of block `hash` emitted, if it emitted one (e.g. the id of the ride a
	/// `RideSettlement.request_ride` created).
	pub fn event_field<T: codec::Decode>(
		&self,
		hash: H256,
		index: u32,
		pallet: &str,
		name: &str,
	) -> Result<Option<T>, String> {
		match self.event_bytes(hash, index, pallet, name)? {
			Some(fields) => T::decode(&mut &fields[..])
				.map(Some)
				.map_err(|e| format!("{pallet}.{name} of {hash:?}: {e}")),
			None => Ok(None),
		}
	}
}

fn fee_event(event: &BlockEvent) -> bool {
	(event.pallet.as_str(), event.name.as_str()) == ("TransactionPayment", "TransactionFeePaid")
}

/// `TransactionFeePaid { who: AccountId32, actual_fee: u128, tip: u128 }`: the payer and the
/// fee.
fn fee_of(event: &BlockEvent, hash: H256) -> Result<([u8; 32], u128), String> {
	use codec::Decode;
	let (payer, fee, _tip) = <([u8; 32], u128, u128)>::decode(&mut &event.fields[..])
		.map_err(|e| format!("TransactionFeePaid of {hash:?}: {e}"))?;
	Ok((payer, fee))
}

impl AtBlock {
	/// The block's number.
	pub fn number(&self) -> u64 {
		self.at.block_number()
	}

	/// The block's hash.
	pub fn hash(&self) -> H256 {
		self.at.block_hash()
	}

	/// The runtime's `(spec_version, transaction_version)` at this block.
	pub fn versions(&self) -> (u32, u32) {
		(self.at.spec_version(), self.at.transaction_version())
	}

	/// `pallet::call` with its arguments given as SCALE bytes by name; the metadata says which
	/// arguments the call takes, in which order, and of which types. An argument the call does
	/// not take, one it lacks, or bytes that are not a value of its type are errors.
	pub fn call(&self, pallet: &str, call: &str, args: &[(&str, Vec<u8>)]) -> Result<Call, String> {
		let metadata = self.at.metadata_ref();
		let variant = metadata
			.pallet_by_name(pallet)
			.and_then(|p| p.call_variant_by_name(call))
			.ok_or_else(|| format!("the runtime has no call {pallet}::{call}"))?;
		if variant.fields.len() != args.len() {
			return Err(format!(
				"{pallet}::{call} takes {} arguments, {} given",
				variant.fields.len(),
				args.len()
			));
		}
		let mut values = Vec::with_capacity(args.len());
		for field in &variant.fields {
			let name = field.name.as_deref().unwrap_or_default();
			let bytes = args
				.iter()
				.find(|(given, _)| *given == name)
				.map(|(_, bytes)| bytes)
				.ok_or_else(|| format!("{pallet}::{call} needs argument {name}"))?;
			let cursor = &mut &bytes[..];
			let value = scale_value::scale::decode_as_type(cursor, field.ty.id, metadata.types())
				.map_err(|e| format!("{pallet}::{call} argument {name}: {e}"))?;
			if !cursor.is_empty() {
				return Err(format!("{pallet}::{call} argument {name}: trailing bytes"));
			}
			values.push((name.to_string(), value.remove_context()));
		}
		Ok(subxt::dynamic::tx(pallet, call, Composite::named(values)))
	}

	/// The index of `pallet`'s error `name` (what the pool reports as `Custom(index)`).
	pub fn error_index(&self, pallet: &str, name: &str) -> Option<u8> {
		self.at
			.metadata_ref()
			.pallet_by_name(pallet)?
			.error_variants()?
			.iter()
			.find(|variant| variant.name == name)
			.map(|variant| variant.index)
	}

	/// The SCALE call data of `call` (pallet index, call index, arguments), e.g. to nest it in
	/// `Sudo::sudo`.
	pub fn call_data(&self, call: &Call) -> Result<Vec<u8>, String> {
		self.at.tx().call_data(call).map_err(|e| format!("cannot encode {}: {e}", call.call_name()))
	}

	/// `call` as a bare (unsigned) extrinsic, encoded.
	pub fn bare(&self, call: &Call) -> Result<Vec<u8>, String> {
		self.at
			.tx()
			.create_unsigned(call)
			.map(|tx| tx.encoded().to_vec())
			.map_err(|e| format!("cannot build a bare {}: {e}", call.call_name()))
	}

	/// `call` signed by `signer` with `nonce`, for this block's runtime versions, mortal for
	/// [`TX_MORTALITY`] blocks from the checkpoint (a finalized block), no tip; encoded.
	pub fn signed(&self, signer: &PairSigner, call: &Call, nonce: u64) -> Result<Vec<u8>, String> {
		let (number, hash) = self.checkpoint;
		let params = DefaultExtrinsicParamsBuilder::<CityConfig>::new()
			.nonce(nonce)
			.mortal_from_unchecked(TX_MORTALITY, number, hash)
			.build();
		let mut signable = self
			.at
			.tx()
			.create_signable_offline(call, params)
			.map_err(|e| format!("cannot build a signed {}: {e}", call.call_name()))?;
		signable
			.sign(signer)
			.map(|tx| tx.encoded().to_vec())
			.map_err(|e| format!("cannot sign {}: {e}", call.call_name()))
	}
}

/// SCALE bytes of a value, for [`AtBlock::call`].
pub fn arg(value: &impl Encode) -> Vec<u8> {
	value.encode()
}
