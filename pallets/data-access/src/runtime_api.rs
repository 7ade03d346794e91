//! Runtime API of data access, wrapped by the node's `city_grantsOf`, `city_holder`,
//! `city_verifyAccess` and `city_accessAnchors` JSON-RPC methods.

use alloc::vec::Vec;
use codec::Codec;
use frame_support::{traits::ConstU32, BoundedVec};
use sp_core::H256;

use crate::{AccessEntry, AccessVerdict, AnchorPage, BatchSeq, Grant, GrantId, Holder, HolderId};

/// A grant as the API returns it (its devices as a plain list).
pub type GrantView<AccountId, Balance> = Grant<AccountId, Balance, Vec<city_primitives::DeviceId>>;

/// Most anchors `access_anchors` returns in one page.
pub const MAX_ANCHORS_PAGE: u32 = 1_000;

sp_api::decl_runtime_apis! {
	/// Queries of data access.
	pub trait DataAccessApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// A citizen's grants, open and closed, oldest first.
		fn grants_of(citizen: AccountId) -> Vec<(GrantId, GrantView<AccountId, Balance>)>;

		/// A data holder (name and description as UTF-8 bytes).
		fn holder(id: HolderId) -> Option<Holder<AccountId, Vec<u8>, Vec<u8>, BlockNumber>>;

		/// Whether `entry` is leaf `leaf_index` of `holder`'s batch `batch`, and what covered
		/// the access. The proof has at most [`crate::MAX_PROOF_LEN`] hashes.
		fn verify_access(
			holder: HolderId,
			batch: BatchSeq,
			entry: AccessEntry<AccountId>,
			leaf_index: u32,
			proof: BoundedVec<H256, ConstU32<{ crate::MAX_PROOF_LEN }>>,
		) -> AccessVerdict;

		/// Up to `limit` (at most [`MAX_ANCHORS_PAGE`]) of `holder`'s anchors from `from`,
		/// checked as a hash chain.
		fn access_anchors(holder: HolderId, from: BatchSeq, limit: u32) -> AnchorPage<BlockNumber, Balance>;
	}
}
