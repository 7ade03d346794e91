//! `city_grantsOf`, `city_holder`, `city_verifyAccess`, `city_accessAnchors`: data access's
//! runtime API over JSON-RPC. A citizen's wallet lists the citizen's grants, fetches a holder,
//! and checks each access-log entry the holder hands over: in the anchored batch, and covered
//! by a live grant or a cited legal basis. Deposits are decimal strings in the smallest unit;
//! times are Unix ms.

use std::sync::Arc;

use citychain_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use codec::Encode;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_data_access::{
	runtime_api::{DataAccessApi, GrantView, MAX_ANCHORS_PAGE},
	Anchor, Coverage, HolderStatus, NotCovered, NotInBatch, MAX_PROOF_LEN,
};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};

use super::{
	errors::{self, invalid_param, not_found},
	params::{self, AccessEntryJson},
};

/// The runtime API's name, in errors.
const API: &str = "DataAccessApi";
/// Anchors `city_accessAnchors` returns when no limit is given.
const DEFAULT_ANCHORS_PAGE: u32 = 100;

/// A citizen's grant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantJson {
	/// Its id (what log entries cite).
	pub id: u64,
	/// The citizen or pseudonym who granted (SS58).
	pub citizen: String,
	/// The holder it was granted to.
	pub holder: u32,
	/// The data category's code.
	pub category: u16,
	/// The purpose's code.
	pub purpose: u16,
	/// The hash of the terms the citizen agreed to, hex.
	pub terms_hash: String,
	/// From when, Unix ms (inclusive).
	pub start_ms: u64,
	/// Until when, Unix ms (exclusive).
	pub expiry_ms: u64,
	/// When the citizen revoked it, Unix ms.
	pub revoked_at_ms: Option<u64>,
	/// When it stops covering accesses: its expiry, or its revocation if earlier.
	pub end_ms: u64,
	/// The devices whose data it covers (empty: the category's data in general).
	pub devices: Vec<u64>,
	/// The deposit held for it while open.
	pub deposit: String,
	/// Whether it is open (deposit held; not revoked or released). A closed grant stays in
	/// the history with its times, so old log entries can still be judged.
	pub open: bool,
}

fn grant_json(id: u64, grant: GrantView<AccountId, Balance>) -> GrantJson {
	GrantJson {
		id,
		citizen: grant.citizen.to_ss58check(),
		holder: grant.holder,
		category: grant.category,
		purpose: grant.purpose,
		terms_hash: format!("{:?}", grant.terms_hash),
		start_ms: grant.start_ms,
		expiry_ms: grant.expiry_ms,
		revoked_at_ms: grant.revoked_at_ms,
		end_ms: grant.end_ms(),
		devices: grant.devices,
		deposit: grant.deposit.to_string(),
		open: grant.open,
	}
}

/// A data holder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HolderJson {
	/// Its id.
	pub id: u32,
	/// The account that anchors its logs (SS58).
	pub account: String,
	/// The organisation's name.
	pub name: String,
	/// What it does with data.
	pub description: String,
	/// `approved`, `suspended` or `removed`.
	pub status: String,
	/// The block it was approved in.
	pub approved_at: BlockNumber,
	/// Batches anchored so far (the next batch's sequence number).
	pub batches: u32,
	/// The root of its latest batch (zero before the first), hex.
	pub last_root: String,
	/// The end of its latest batch's period, Unix ms.
	pub last_period_end_ms: u64,
}

fn status_name(status: HolderStatus) -> &'static str {
	match status {
		HolderStatus::Approved => "approved",
		HolderStatus::Suspended => "suspended",
		HolderStatus::Removed => "removed",
	}
}

/// An anchored batch of a holder's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessAnchorJson {
	/// Its sequence number (0, 1, ...).
	pub batch: u32,
	/// The Merkle root of its entries, hex.
	pub root: String,
	/// The period its entries' times lie in, Unix ms (both inclusive).
	pub period_start_ms: u64,
	/// See `periodStartMs`.
	pub period_end_ms: u64,
	/// How many entries.
	pub count: u32,
	/// The previous batch's root (zero for the first), hex.
	pub previous_root: String,
	/// The block it was anchored in.
	pub anchored_at: BlockNumber,
	/// The chain's time then, Unix ms.
	pub anchored_at_ms: u64,
	/// The deposit held for it.
	pub deposit: String,
}

fn anchor_json(batch: u32, anchor: Anchor<BlockNumber, Balance>) -> AccessAnchorJson {
	AccessAnchorJson {
		batch,
		root: format!("{:?}", anchor.root),
		period_start_ms: anchor.period_start_ms,
		period_end_ms: anchor.period_end_ms,
		count: anchor.count,
		previous_root: format!("{:?}", anchor.previous_root),
		anchored_at: anchor.anchored_at,
		anchored_at_ms: anchor.anchored_at_ms,
		deposit: anchor.deposit.to_string(),
	}
}

/// The answer of `city_accessAnchors`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorPageJson {
	/// The anchors, by sequence number.
	pub anchors: Vec<AccessAnchorJson>,
	/// Sequence numbers whose `previousRoot` is not the root of the batch before (or, for
	/// batch 0, not zero), or that are missing: breaks in the chain.
	pub breaks: Vec<u32>,
	/// Whether the page is an unbroken chain (`breaks` is empty).
	pub intact: bool,
	/// The sequence number to continue from, if there are more.
	pub next: Option<u32>,
}

/// The answer of `city_verifyAccess`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessVerdictJson {
	/// Whether the entry is proven part of the anchored batch.
	pub in_batch: bool,
	/// Why not, when not: `outsidePeriod`, `proofTooLong`, `badProof`.
	pub not_in_batch: Option<String>,
	/// When the batch was anchored, Unix ms.
	pub anchored_at_ms: Option<u64>,
	/// Whether a grant live at the entry's time (for that citizen, holder, category, purpose
	/// and device), or a legal basis in force then, covered the access. A wallet flags an
	/// entry that is in the batch and not covered.
	pub covered: bool,
	/// The grant that covered it.
	pub grant: Option<u64>,
	/// The legal basis that covered it.
	pub legal_basis: Option<u16>,
	/// Why nothing covered it: `unknownGrant`, `forgottenGrant`, `otherCitizen`, `otherHolder`,
	/// `otherCategory`, `otherPurpose`, `otherDevice`, `beforeStart`, `expired`, `revoked`,
	/// `unknownLegalBasis`.
	pub not_covered: Option<String>,
	/// The entry's leaf bytes (its SCALE encoding, as the chain hashed it), hex: a holder
	/// checks its own encoder against it.
	pub leaf: String,
}

fn not_in_batch_name(reason: NotInBatch) -> &'static str {
	match reason {
		NotInBatch::UnknownHolder => "unknownHolder",
		NotInBatch::UnknownBatch => "unknownBatch",
		NotInBatch::OutsidePeriod => "outsidePeriod",
		NotInBatch::ProofTooLong => "proofTooLong",
		NotInBatch::BadProof => "badProof",
	}
}

fn not_covered_name(reason: NotCovered) -> &'static str {
	match reason {
		NotCovered::UnknownGrant => "unknownGrant",
		NotCovered::ForgottenGrant => "forgottenGrant",
		NotCovered::OtherCitizen => "otherCitizen",
		NotCovered::OtherHolder => "otherHolder",
		NotCovered::OtherCategory => "otherCategory",
		NotCovered::OtherPurpose => "otherPurpose",
		NotCovered::OtherDevice => "otherDevice",
		NotCovered::BeforeStart => "beforeStart",
		NotCovered::Expired => "expired",
		NotCovered::Revoked => "revoked",
		NotCovered::UnknownLegalBasis => "unknownLegalBasis",
	}
}

/// Data access's JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityDataAccessApi {
	/// The grants of `account` (SS58 or 0x hex), open and closed, oldest first, at block `at`
	/// (default: best). An account without grants has an empty list.
	#[method(name = "grantsOf")]
	fn grants_of(&self, account: String, at: Option<H256>) -> RpcResult<Vec<GrantJson>>;

	/// Data holder `id` at block `at` (default: best). 4004 if there is none.
	#[method(name = "holder")]
	fn holder(&self, id: u32, at: Option<H256>) -> RpcResult<HolderJson>;

	/// Whether `entry` is leaf `leafIndex` of holder `holder`'s anchored batch `batch`, by the
	/// Merkle `proof` (sibling hashes from the leaf up, hex, at most 32), and whether a grant
	/// or a legal basis covered the access at the entry's time. 4004 if the holder or the
	/// batch is unknown; 4001 for a malformed entry or proof.
	#[method(name = "verifyAccess")]
	fn verify_access(
		&self,
		holder: u32,
		batch: u32,
		entry: AccessEntryJson,
		leaf_index: u32,
		proof: Vec<String>,
		at: Option<H256>,
	) -> RpcResult<AccessVerdictJson>;

	/// Holder `holder`'s anchors from batch `from` (default 0), at most `limit` (default 100,
	/// at most 1000), checked as a hash chain. 4004 if there is no such holder.
	#[method(name = "accessAnchors")]
	fn access_anchors(
		&self,
		holder: u32,
		from: Option<u32>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<AnchorPageJson>;
}

/// Implementation of [`CityDataAccessApiServer`] over a client.
pub struct CityDataAccess<C> {
	client: Arc<C>,
}

impl<C> CityDataAccess<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityDataAccess<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: DataAccessApi<Block, AccountId, Balance, BlockNumber>,
{
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		super::block_with_api::<_, dyn DataAccessApi<Block, AccountId, Balance, BlockNumber>>(
			&*self.client,
			at,
			API,
			None,
		)
	}

	fn known_holder(&self, at: H256, id: u32) -> RpcResult<()> {
		self.client
			.runtime_api()
			.holder(at, id)
			.map_err(errors::runtime_error)?
			.map(|_| ())
			.ok_or_else(|| not_found(format!("no data holder has id {id}")))
	}
}

impl<C> CityDataAccessApiServer for CityDataAccess<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: DataAccessApi<Block, AccountId, Balance, BlockNumber>,
{
	fn grants_of(&self, account: String, at: Option<H256>) -> RpcResult<Vec<GrantJson>> {
		let account = params::account(&account).map_err(invalid_param)?;
		let at = self.at(at)?;
		let grants =
			self.client.runtime_api().grants_of(at, account).map_err(errors::runtime_error)?;
		Ok(grants.into_iter().map(|(id, grant)| grant_json(id, grant)).collect())
	}

	fn holder(&self, id: u32, at: Option<H256>) -> RpcResult<HolderJson> {
		let at = self.at(at)?;
		let holder = self
			.client
			.runtime_api()
			.holder(at, id)
			.map_err(errors::runtime_error)?
			.ok_or_else(|| not_found(format!("no data holder has id {id}")))?;
		Ok(HolderJson {
			id,
			account: holder.account.to_ss58check(),
			name: String::from_utf8_lossy(&holder.name).into_owned(),
			description: String::from_utf8_lossy(&holder.description).into_owned(),
			status: status_name(holder.status).into(),
			approved_at: holder.approved_at,
			batches: holder.next_batch,
			last_root: format!("{:?}", holder.last_root),
			last_period_end_ms: holder.last_period_end_ms,
		})
	}

	fn verify_access(
		&self,
		holder: u32,
		batch: u32,
		entry: AccessEntryJson,
		leaf_index: u32,
		proof: Vec<String>,
		at: Option<H256>,
	) -> RpcResult<AccessVerdictJson> {
		let entry =
			params::access_entry(&entry).map_err(|e| invalid_param(format!("entry: {e}")))?;
		if proof.len() > MAX_PROOF_LEN as usize {
			return Err(invalid_param(format!(
				"a proof has at most {MAX_PROOF_LEN} sibling hashes, got {}",
				proof.len()
			)));
		}
		let proof = params::proof(&proof).map_err(invalid_param)?;
		let proof = proof
			.try_into()
			.map_err(|_| invalid_param(format!("a proof has at most {MAX_PROOF_LEN} hashes")))?;
		let at = self.at(at)?;
		let leaf = format!("0x{}", hex::encode(entry.encode()));
		let verdict = self
			.client
			.runtime_api()
			.verify_access(at, holder, batch, entry, leaf_index, proof)
			.map_err(errors::runtime_error)?;
		match verdict.not_in_batch {
			Some(NotInBatch::UnknownHolder) => {
				return Err(not_found(format!("no data holder has id {holder}")))
			}
			Some(NotInBatch::UnknownBatch) => {
				return Err(not_found(format!("data holder {holder} has no batch {batch}")))
			}
			_ => {}
		}
		let (grant, legal_basis, not_covered) = match verdict.coverage {
			Coverage::Grant(id) => (Some(id), None, None),
			Coverage::LegalBasis(code) => (None, Some(code), None),
			Coverage::NotCovered(reason) => (None, None, Some(not_covered_name(reason).into())),
		};
		Ok(AccessVerdictJson {
			in_batch: verdict.in_batch,
			not_in_batch: verdict.not_in_batch.map(|r| not_in_batch_name(r).into()),
			anchored_at_ms: verdict.anchored_at_ms,
			covered: not_covered.is_none(),
			grant,
			legal_basis,
			not_covered,
			leaf,
		})
	}

	fn access_anchors(
		&self,
		holder: u32,
		from: Option<u32>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<AnchorPageJson> {
		let limit = limit.unwrap_or(DEFAULT_ANCHORS_PAGE);
		if limit == 0 || limit > MAX_ANCHORS_PAGE {
			return Err(invalid_param(format!(
				"limit must be 1 to {MAX_ANCHORS_PAGE}, got {limit}"
			)));
		}
		let at = self.at(at)?;
		self.known_holder(at, holder)?;
		let page = self
			.client
			.runtime_api()
			.access_anchors(at, holder, from.unwrap_or(0), limit)
			.map_err(errors::runtime_error)?;
		Ok(AnchorPageJson {
			intact: page.breaks.is_empty(),
			anchors: page.anchors.into_iter().map(|(seq, a)| anchor_json(seq, a)).collect(),
			breaks: page.breaks,
			next: page.next,
		})
	}
}
