//! # Data access
//!
//! Citizens control who uses their data, and can check afterwards that every use was covered.
//! Personal data never comes on chain: only accounts (pseudonyms), codes, hashes and Merkle
//! roots.
//!
//! - **Vocabulary** ([`Terms`]): the governed, bounded lists of data categories, purposes and
//!   legal bases (a code and a name each), so that grants and logs speak the same words.
//! - **Data holders** ([`Holders`]): organisations approved by [`Config::RegistrarOrigin`]
//!   (name, description, account), which it may suspend, resume and remove. Only an approved
//!   holder can be granted access or anchor logs. A removed holder's record and anchors stay,
//!   so its past log remains verifiable.
//! - **Grants** ([`Grants`]): a citizen (any account; one pseudonymous account per holder if
//!   they wish) grants a holder access to a category for a purpose (plus a hash of the terms),
//!   from a start (not in the past) to an expiry, optionally naming devices the citizen owns;
//!   a deposit ([`HoldReason::GrantDeposit`]) is held until the grant is revoked (any time,
//!   effective from the revoking block's time) or released after expiry (by anyone). A closed
//!   grant stays readable in the citizen's history (at most [`Config::MaxGrantsPerCitizen`]
//!   grants, the oldest closed one making room for a new one).
//! - **Access-log anchors** ([`Anchors`]): a holder anchors batches of its access-log entries
//!   ([`AccessEntry`]): the Merkle root, period, entry count and the previous batch's root, in
//!   sequence, so that a gap or a rewritten batch cannot be anchored. Each anchor holds a
//!   deposit ([`HoldReason::AnchorDeposit`]) for as long as it is stored (forever: a log that
//!   could be deleted would prove nothing).
//! - **Verification** ([`Pallet::verify_access`], the runtime API [`runtime_api::DataAccessApi`]):
//!   whether an entry is in an anchored batch, and whether at its time a live grant covered
//!   that citizen, holder, category and purpose (or which legal basis it cited), so a citizen's
//!   wallet can flag every access no consent covered.
//!
//! The entry's byte layout and a worked example are in the pallet's README. Devices are read
//! only through [`city_primitives::DeviceLookup`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use city_primitives::DeviceId;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use scale_info::TypeInfo;
use sp_core::H256;

/// A data holder's id.
pub type HolderId = u32;
/// A grant's id.
pub type GrantId = u64;
/// A category's, purpose's or legal basis's code.
pub type TermCode = u16;
/// A holder's batch sequence number: 0, 1, 2, ... with no gap.
pub type BatchSeq = u32;

/// The longest Merkle proof the verification takes: batches have at most 2^32 entries.
pub const MAX_PROOF_LEN: u32 = 32;

/// The kinds of words in the vocabulary.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum TermKind {
	/// A data category (energy meter readings, ride history, parking, health, ...).
	#[codec(index = 0)]
	Category,
	/// A purpose of use (billing, urban planning, research, ...).
	#[codec(index = 1)]
	Purpose,
	/// A legal basis that allows access without consent (a law, a court order, ...).
	#[codec(index = 2)]
	LegalBasis,
}

/// A word of the vocabulary. Codes are permanent: a word is never renamed or reused, only
/// retired, so grants and log entries keep their meaning.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Term<Name> {
	/// Its name (UTF-8).
	pub name: Name,
	/// When it was added (Unix ms; 0 for the genesis vocabulary).
	pub added_at_ms: u64,
	/// When it was retired (Unix ms): no new grant uses it, and a legal basis covers no access
	/// from then on.
	pub retired_at_ms: Option<u64>,
}

impl<Name> Term<Name> {
	/// Whether the word was in force at `time_ms`.
	pub fn in_force_at(&self, time_ms: u64) -> bool {
		self.added_at_ms <= time_ms && self.retired_at_ms.is_none_or(|retired| time_ms < retired)
	}
}

/// A data holder's standing.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum HolderStatus {
	/// May be granted access and anchor logs.
	#[codec(index = 0)]
	Approved,
	/// Neither, until resumed.
	#[codec(index = 1)]
	Suspended,
	/// For good; its record and anchors stay for verification.
	#[codec(index = 2)]
	Removed,
}

/// An approved data holder.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Holder<AccountId, Name, Description, BlockNumber> {
	/// The account that anchors the holder's logs.
	pub account: AccountId,
	/// The organisation's name (UTF-8).
	pub name: Name,
	/// What it does with data (UTF-8).
	pub description: Description,
	/// Its standing.
	pub status: HolderStatus,
	/// The block it was approved in.
	pub approved_at: BlockNumber,
	/// The sequence number its next batch must have (= batches anchored so far).
	pub next_batch: BatchSeq,
	/// The root of its latest batch (zero before the first): the next batch's `previous_root`.
	pub last_root: H256,
	/// The end of its latest batch's period (ms); the next batch's period starts there or later.
	pub last_period_end_ms: u64,
}

/// A citizen's consent.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Grant<AccountId, Balance, Devices> {
	/// Who granted (the citizen's account or pseudonym).
	pub citizen: AccountId,
	/// To whom.
	pub holder: HolderId,
	/// Which data.
	pub category: TermCode,
	/// For what.
	pub purpose: TermCode,
	/// A hash of the terms the citizen agreed to (the holder's consent text).
	pub terms_hash: H256,
	/// From when (Unix ms, inclusive).
	pub start_ms: u64,
	/// Until when (Unix ms, exclusive).
	pub expiry_ms: u64,
	/// When the citizen revoked it (Unix ms of the revoking block): accesses from then on are
	/// not covered.
	pub revoked_at_ms: Option<u64>,
	/// The citizen's devices whose data it covers (empty: the category's data in general).
	pub devices: Devices,
	/// The deposit held for it while open.
	pub deposit: Balance,
	/// Open: not yet revoked or released (its deposit is held).
	pub open: bool,
}

impl<AccountId, Balance, Devices> Grant<AccountId, Balance, Devices> {
	/// When the grant stops covering accesses: its expiry, or its revocation if earlier.
	pub fn end_ms(&self) -> u64 {
		self.revoked_at_ms.map_or(self.expiry_ms, |revoked| revoked.min(self.expiry_ms))
	}
}

/// What an access relied on.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum AccessBasis {
	/// A citizen's grant.
	#[codec(index = 0)]
	Grant(GrantId),
	/// A legal basis (its code in the vocabulary): no consent needed, but cited.
	#[codec(index = 1)]
	LegalBasis(TermCode),
}

/// One entry of a holder's access log: a leaf of an anchored batch is `SCALE(entry)`. Byte
/// layout (README; 32-byte account ids): citizen 32 bytes, category u16 LE, purpose u16 LE,
/// device (0x00, or 0x01 + device id u64 LE), basis (0x00 + grant id u64 LE, or 0x01 + legal
/// basis u16 LE), time u64 LE (Unix ms), data hash 32 bytes: 80 to 94 bytes, never 64 (an
/// inner node's preimage).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct AccessEntry<AccountId> {
	/// The citizen whose data was accessed (their account or pseudonym).
	pub citizen: AccountId,
	/// The data category.
	pub category: TermCode,
	/// The purpose.
	pub purpose: TermCode,
	/// The device whose data was accessed, if the data is a device's (a grant that names
	/// devices covers only theirs).
	pub device: Option<DeviceId>,
	/// The grant, or the legal basis, it relied on.
	pub basis: AccessBasis,
	/// When (Unix ms).
	pub time_ms: u64,
	/// A hash of what was accessed (e.g. of the query and the record ids).
	pub data_hash: H256,
}

/// A holder's anchored batch of access-log entries.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Anchor<BlockNumber, Balance> {
	/// The Merkle root of the entries (the attestation pallet's layout, blake2-256).
	pub root: H256,
	/// The period the entries' times lie in (Unix ms, both inclusive).
	pub period_start_ms: u64,
	/// See `period_start_ms`.
	pub period_end_ms: u64,
	/// How many entries.
	pub count: u32,
	/// The previous batch's root (zero for the first): the hash chain.
	pub previous_root: H256,
	/// The block it was anchored in.
	pub anchored_at: BlockNumber,
	/// The chain's time when it was anchored (Unix ms): a wallet may flag entries anchored
	/// long after their time.
	pub anchored_at_ms: u64,
	/// The deposit held for it.
	pub deposit: Balance,
}

/// Why an entry is not shown to be in an anchored batch.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum NotInBatch {
	/// No such holder.
	UnknownHolder,
	/// The holder has no batch with that sequence number.
	UnknownBatch,
	/// The entry's time is outside the batch's period.
	OutsidePeriod,
	/// The proof is longer than [`MAX_PROOF_LEN`].
	ProofTooLong,
	/// The proof does not lead from the entry to the batch's root.
	BadProof,
}

/// Why an entry is not covered by the grant it cites.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum NotCovered {
	/// No grant has that id.
	UnknownGrant,
	/// The grant left its citizen's full history (after it closed): it can no longer be
	/// judged here (ask an archive node at the anchor's block).
	ForgottenGrant,
	/// The grant is another citizen's.
	OtherCitizen,
	/// The grant is to another holder.
	OtherHolder,
	/// The grant is for another category.
	OtherCategory,
	/// The grant is for another purpose.
	OtherPurpose,
	/// The grant names devices, and the entry's device (or none) is not one of them.
	OtherDevice,
	/// The access came before the grant's start.
	BeforeStart,
	/// The access came at or after the grant's expiry.
	Expired,
	/// The access came at or after the grant's revocation.
	Revoked,
	/// The cited legal basis is not in the vocabulary, or was not in force at the entry's time.
	UnknownLegalBasis,
}

/// What covered an entry.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Coverage {
	/// A grant that was live at the entry's time for that citizen, holder, category, purpose.
	Grant(GrantId),
	/// A legal basis in the vocabulary (no consent; the wallet shows which).
	LegalBasis(TermCode),
	/// Nothing: the wallet flags the access.
	NotCovered(NotCovered),
}

/// The verdict on one access-log entry.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AccessVerdict {
	/// Whether the entry is in the holder's anchored batch.
	pub in_batch: bool,
	/// Why not, if not.
	pub not_in_batch: Option<NotInBatch>,
	/// When the batch was anchored (Unix ms), if it is.
	pub anchored_at_ms: Option<u64>,
	/// What covered the access (judged whether or not it is in the batch).
	pub coverage: Coverage,
}

/// A page of a holder's anchors, checked as a chain.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AnchorPage<BlockNumber, Balance> {
	/// The anchors, by sequence number.
	pub anchors: Vec<(BatchSeq, Anchor<BlockNumber, Balance>)>,
	/// Sequence numbers whose `previous_root` is not the root of the batch before (or, for the
	/// first, not zero): a break in the chain. Empty on a sound chain.
	pub breaks: Vec<BatchSeq>,
	/// The sequence number to continue from, if there are more.
	pub next: Option<BatchSeq>,
}

/// Other pallets ask whether a citizen consented (civic credits' data-sharing rewards).
impl<T: Config> city_primitives::ConsentLookup<T::AccountId> for Pallet<T> {
	fn consent_live(
		grant: GrantId,
		citizen: &T::AccountId,
		holder: HolderId,
		category: TermCode,
		device: DeviceId,
		at_ms: u64,
	) -> bool {
		Grants::<T>::get(grant).is_some_and(|g| {
			&g.citizen == citizen
				&& g.holder == holder
				&& g.category == category
				&& (g.devices.is_empty() || g.devices.contains(&device))
				&& g.start_ms <= at_ms
				&& at_ms < g.end_ms()
		})
	}
}

/// What the benchmarks need from the runtime: devices, and the chain's clock.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered device owned by `owner`, a different one for every `index`.
	fn device(owner: &AccountId, index: u32) -> DeviceId;
	/// Sets the chain's time (Unix ms).
	fn set_time(ms: u64);
}

// The call `grant` takes a grant's eight fields (the call enum the macro makes has them too).
#[allow(clippy::too_many_arguments)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use city_primitives::DeviceLookup;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::Precision,
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;

	/// The currency's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A vocabulary word's name.
	pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;
	/// A holder's description.
	pub type DescriptionOf<T> = BoundedVec<u8, <T as Config>::MaxDescriptionLen>;
	/// A grant's devices.
	pub type DevicesOf<T> = BoundedVec<DeviceId, <T as Config>::MaxDevicesPerGrant>;
	/// A holder as stored.
	pub type HolderOf<T> = Holder<
		<T as frame_system::Config>::AccountId,
		NameOf<T>,
		DescriptionOf<T>,
		BlockNumberFor<T>,
	>;
	/// A grant as stored.
	pub type GrantOf<T> = Grant<<T as frame_system::Config>::AccountId, BalanceOf<T>, DevicesOf<T>>;
	/// An anchor as stored.
	pub type AnchorOf<T> = Anchor<BlockNumberFor<T>, BalanceOf<T>>;
	/// An access-log entry of this chain's accounts.
	pub type EntryOf<T> = AccessEntry<<T as frame_system::Config>::AccountId>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of data access.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The device registry: who owns the devices a grant names.
		type Devices: DeviceLookup<Self::AccountId>;

		/// The chain's time (grants' windows and revocations, anchors' periods).
		type UnixTime: UnixTime;

		/// Approves, suspends and removes data holders, and keeps the vocabulary.
		type RegistrarOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The deposit a grant holds until it is revoked or released.
		#[pallet::constant]
		type GrantDeposit: Get<BalanceOf<Self>>;

		/// The deposit an anchor holds (for as long as it is stored).
		#[pallet::constant]
		type AnchorDeposit: Get<BalanceOf<Self>>;

		/// Most words of each kind in the vocabulary.
		#[pallet::constant]
		type MaxTerms: Get<u32>;

		/// Longest name of a word or a holder, bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Longest holder description, bytes.
		#[pallet::constant]
		type MaxDescriptionLen: Get<u32>;

		/// Most holders ever approved (removed ones count).
		#[pallet::constant]
		type MaxHolders: Get<u32>;

		/// Most grants (open and closed) in one citizen's history.
		#[pallet::constant]
		type MaxGrantsPerCitizen: Get<u32>;

		/// Most devices one grant names.
		#[pallet::constant]
		type MaxDevicesPerGrant: Get<u32>;

		/// Longest grant, from start to expiry, ms.
		#[pallet::constant]
		type MaxGrantDurationMs: Get<u64>;

		/// Most entries in one anchored batch.
		#[pallet::constant]
		type MaxEntriesPerBatch: Get<u32>;

		/// How far past the chain's time a batch's period may end (holders' clocks), ms.
		#[pallet::constant]
		type MaxClockDriftMs: Get<u64>;

		/// How long after an access a holder may anchor it, ms: a batch's period starts at
		/// most this long before the chain's time (so a holder cannot log today's accesses
		/// with last month's times, before a revocation).
		#[pallet::constant]
		type MaxAnchorDelayMs: Get<u64>;

		/// Weights of the calls (from the benchmarks).
		type WeightInfo: WeightInfo;

		/// Creates devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A grant's deposit, until it is revoked or released after expiry.
		#[codec(index = 0)]
		GrantDeposit,
		/// An anchor's deposit, for as long as the anchor is stored.
		#[codec(index = 1)]
		AnchorDeposit,
	}

	/// The vocabulary: (kind, code) -> word, retired ones included.
	#[pallet::storage]
	pub type Terms<T: Config> =
		StorageDoubleMap<_, Twox64Concat, TermKind, Twox64Concat, TermCode, Term<NameOf<T>>>;

	/// How many words of each kind the vocabulary has (retired ones included).
	#[pallet::storage]
	pub type TermCount<T: Config> = StorageMap<_, Twox64Concat, TermKind, u32, ValueQuery>;

	/// The data holders, by id.
	#[pallet::storage]
	pub type Holders<T: Config> = StorageMap<_, Twox64Concat, HolderId, HolderOf<T>>;

	/// The holder an account anchors for (not kept for removed holders).
	#[pallet::storage]
	pub type HolderOfAccount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, HolderId>;

	/// The id the next approved holder gets (= holders ever approved).
	#[pallet::storage]
	pub type NextHolderId<T: Config> = StorageValue<_, HolderId, ValueQuery>;

	/// The grants, by id.
	#[pallet::storage]
	pub type Grants<T: Config> = StorageMap<_, Twox64Concat, GrantId, GrantOf<T>>;

	/// A citizen's grants, open and closed, oldest first.
	#[pallet::storage]
	pub type GrantsOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<GrantId, T::MaxGrantsPerCitizen>,
		ValueQuery,
	>;

	/// The id the next grant gets.
	#[pallet::storage]
	pub type NextGrantId<T: Config> = StorageValue<_, GrantId, ValueQuery>;

	/// The holders' anchored batches: (holder, sequence number) -> anchor.
	#[pallet::storage]
	pub type Anchors<T: Config> =
		StorageDoubleMap<_, Twox64Concat, HolderId, Twox64Concat, BatchSeq, AnchorOf<T>>;

	/// The vocabulary a chain starts with.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// (kind, code, name) of every word.
		pub terms: Vec<(TermKind, TermCode, Vec<u8>)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (kind, code, name) in &self.terms {
				let name: NameOf<T> =
					name.clone().try_into().expect("genesis: a term's name is too long");
				assert!(
					Pallet::<T>::do_add_term(*kind, *code, name, 0).is_ok(),
					"genesis: too many terms, or a code twice"
				);
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxGrantsPerCitizen::get() > 0, "MaxGrantsPerCitizen must be positive");
			assert!(T::MaxEntriesPerBatch::get() > 0, "MaxEntriesPerBatch must be positive");
			assert!(T::MaxTerms::get() > 0, "MaxTerms must be positive");
		}
	}

	/// Events.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A word was added to the vocabulary.
		TermAdded { kind: TermKind, code: TermCode },
		/// A word was retired (grants that use it stay as they are).
		TermRetired { kind: TermKind, code: TermCode },
		/// A data holder was approved.
		HolderApproved { holder: HolderId, account: T::AccountId },
		/// A data holder was suspended.
		HolderSuspended { holder: HolderId },
		/// A suspended data holder was resumed.
		HolderResumed { holder: HolderId },
		/// A data holder was removed for good.
		HolderRemoved { holder: HolderId },
		/// A citizen granted access.
		Granted {
			grant: GrantId,
			citizen: T::AccountId,
			holder: HolderId,
			category: TermCode,
			purpose: TermCode,
			start_ms: u64,
			expiry_ms: u64,
		},
		/// A citizen revoked a grant: accesses from `at_ms` on are not covered.
		Revoked { grant: GrantId, at_ms: u64 },
		/// An expired grant's deposit went back to its citizen.
		Released { grant: GrantId },
		/// A closed grant left its citizen's full history to make room for a new one.
		Forgotten { grant: GrantId },
		/// A holder anchored a batch of its access log.
		LogAnchored { holder: HolderId, batch: BatchSeq, root: H256, count: u32 },
	}

	/// Errors.
	#[pallet::error]
	pub enum Error<T> {
		/// The vocabulary has [`Config::MaxTerms`] words of that kind.
		TooManyTerms,
		/// No such word in the vocabulary.
		UnknownTerm,
		/// The code is taken (codes are never renamed or reused).
		TermExists,
		/// The word is already retired.
		AlreadyRetired,
		/// The account is already a data holder.
		AlreadyHolder,
		/// [`Config::MaxHolders`] holders have been approved.
		TooManyHolders,
		/// No such data holder.
		UnknownHolder,
		/// The holder is not approved (suspended or removed).
		HolderNotApproved,
		/// The holder is not suspended.
		NotSuspended,
		/// The holder was removed.
		HolderRemoved,
		/// The account is no (current) data holder.
		NotAHolder,
		/// The category is not in the vocabulary (or retired).
		UnknownCategory,
		/// The purpose is not in the vocabulary (or retired).
		UnknownPurpose,
		/// The grant's start is not before its expiry.
		BadWindow,
		/// The grant would start in the past (it cannot cover what already happened).
		StartsInThePast,
		/// The grant is longer than [`Config::MaxGrantDurationMs`], or starts further ahead.
		TooLong,
		/// A device the grant names is not registered.
		UnknownDevice,
		/// A device the grant names is not the citizen's.
		NotDeviceOwner,
		/// The grant names a device twice.
		DuplicateDevice,
		/// The citizen's history is full of open grants ([`Config::MaxGrantsPerCitizen`]).
		TooManyGrants,
		/// The deposit cannot be held (too little free balance).
		CannotHoldDeposit,
		/// No such grant.
		UnknownGrant,
		/// Only the grant's citizen may revoke it.
		NotYourGrant,
		/// The grant is already revoked or released.
		AlreadyClosed,
		/// The grant has not expired yet (its citizen may revoke it instead).
		NotExpired,
		/// The grant has expired: release it instead.
		Expired,
		/// The batch's sequence number is not the holder's next (a gap, or a batch again).
		WrongBatch,
		/// The batch's previous root is not the root of the holder's latest batch.
		WrongPreviousRoot,
		/// The batch's period starts before the end of the holder's latest one.
		PeriodOverlap,
		/// The batch's period ends before it starts, too far in the future, or starts more than
		/// [`Config::MaxAnchorDelayMs`] ago.
		BadPeriod,
		/// A batch has at least one entry.
		EmptyBatch,
		/// More entries than [`Config::MaxEntriesPerBatch`].
		TooManyEntries,
		/// An id counter is exhausted.
		Overflow,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds a word to the vocabulary under a new code (codes are never renamed or reused).
		/// Registrar only.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_term())]
		pub fn add_term(
			origin: OriginFor<T>,
			kind: TermKind,
			code: TermCode,
			name: NameOf<T>,
		) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_add_term(kind, code, name, Self::now_ms())
		}

		/// Retires a word: no new grant uses it, and a retired legal basis covers no access
		/// from now on; grants that use it stay. Registrar only.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_term())]
		pub fn retire_term(origin: OriginFor<T>, kind: TermKind, code: TermCode) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_retire_term(kind, code)
		}

		/// Approves `account` as a data holder. Registrar only.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::approve_holder())]
		pub fn approve_holder(
			origin: OriginFor<T>,
			account: T::AccountId,
			name: NameOf<T>,
			description: DescriptionOf<T>,
		) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_approve_holder(account, name, description)
		}

		/// Suspends a holder: no grant to it, no anchor by it, until resumed. Registrar only.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_holder_status())]
		pub fn suspend_holder(origin: OriginFor<T>, holder: HolderId) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_set_status(holder, HolderStatus::Suspended)
		}

		/// Resumes a suspended holder. Registrar only.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_holder_status())]
		pub fn resume_holder(origin: OriginFor<T>, holder: HolderId) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_set_status(holder, HolderStatus::Approved)
		}

		/// Removes a holder for good (its record and anchors stay; its account may be approved
		/// again as a new holder). Registrar only.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_holder_status())]
		pub fn remove_holder(origin: OriginFor<T>, holder: HolderId) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_set_status(holder, HolderStatus::Removed)
		}

		/// Grants `holder` access to the caller's data of `category` for `purpose`, from
		/// `start_ms` (now or later) to `expiry_ms`, optionally only the data of `devices`
		/// (the caller's own). Holds [`Config::GrantDeposit`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::grant(devices.len() as u32))]
		pub fn grant(
			origin: OriginFor<T>,
			holder: HolderId,
			category: TermCode,
			purpose: TermCode,
			terms_hash: H256,
			start_ms: u64,
			expiry_ms: u64,
			devices: DevicesOf<T>,
		) -> DispatchResult {
			let citizen = ensure_signed(origin)?;
			Self::do_grant(
				citizen, holder, category, purpose, terms_hash, start_ms, expiry_ms, devices,
			)
		}

		/// Revokes the caller's grant, from this block's time on, and releases its deposit.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, grant: GrantId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_revoke(who, grant)
		}

		/// Releases an expired grant's deposit to its citizen. Anyone may call it.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::release_expired())]
		pub fn release_expired(origin: OriginFor<T>, grant: GrantId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_release_expired(grant)
		}

		/// Anchors the caller's (a holder's) next batch of access-log entries: sequence number
		/// `batch` (the holder's next), the entries' Merkle `root`, their period and `count`,
		/// and `previous_root` (the root of the holder's latest batch, zero for the first).
		/// Holds [`Config::AnchorDeposit`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::anchor_log())]
		pub fn anchor_log(
			origin: OriginFor<T>,
			batch: BatchSeq,
			root: H256,
			period_start_ms: u64,
			period_end_ms: u64,
			count: u32,
			previous_root: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_anchor(who, batch, root, period_start_ms, period_end_ms, count, previous_root)
		}
	}

	impl<T: Config> Pallet<T> {
		fn now_ms() -> u64 {
			u64::try_from(T::UnixTime::now().as_millis()).unwrap_or(u64::MAX)
		}

		fn hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			T::Currency::hold(&reason.into(), who, amount)
				.map_err(|_| Error::<T>::CannotHoldDeposit.into())
		}

		/// Releases what is held (best effort: a revocation must never fail on its deposit).
		fn release(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) {
			let _ = T::Currency::release(&reason.into(), who, amount, Precision::BestEffort);
		}

		/// Whether `code` is a word of `kind` in force now.
		fn in_force(kind: TermKind, code: TermCode) -> bool {
			Terms::<T>::get(kind, code).is_some_and(|term| term.retired_at_ms.is_none())
		}

		pub(crate) fn do_add_term(
			kind: TermKind,
			code: TermCode,
			name: NameOf<T>,
			added_at_ms: u64,
		) -> DispatchResult {
			ensure!(!Terms::<T>::contains_key(kind, code), Error::<T>::TermExists);
			let count = TermCount::<T>::get(kind);
			ensure!(count < T::MaxTerms::get(), Error::<T>::TooManyTerms);
			TermCount::<T>::insert(kind, count.saturating_add(1));
			Terms::<T>::insert(kind, code, Term { name, added_at_ms, retired_at_ms: None });
			Self::deposit_event(Event::TermAdded { kind, code });
			Ok(())
		}

		fn do_retire_term(kind: TermKind, code: TermCode) -> DispatchResult {
			Terms::<T>::try_mutate(kind, code, |term| {
				let term = term.as_mut().ok_or(Error::<T>::UnknownTerm)?;
				ensure!(term.retired_at_ms.is_none(), Error::<T>::AlreadyRetired);
				term.retired_at_ms = Some(Self::now_ms());
				Ok::<(), DispatchError>(())
			})?;
			Self::deposit_event(Event::TermRetired { kind, code });
			Ok(())
		}

		fn do_approve_holder(
			account: T::AccountId,
			name: NameOf<T>,
			description: DescriptionOf<T>,
		) -> DispatchResult {
			ensure!(!HolderOfAccount::<T>::contains_key(&account), Error::<T>::AlreadyHolder);
			let id = NextHolderId::<T>::get();
			ensure!(id < T::MaxHolders::get(), Error::<T>::TooManyHolders);
			NextHolderId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
			Holders::<T>::insert(
				id,
				Holder {
					account: account.clone(),
					name,
					description,
					status: HolderStatus::Approved,
					approved_at: frame_system::Pallet::<T>::block_number(),
					next_batch: 0,
					last_root: H256::zero(),
					last_period_end_ms: 0,
				},
			);
			HolderOfAccount::<T>::insert(&account, id);
			Self::deposit_event(Event::HolderApproved { holder: id, account });
			Ok(())
		}

		fn do_set_status(id: HolderId, status: HolderStatus) -> DispatchResult {
			Holders::<T>::try_mutate(id, |holder| {
				let holder = holder.as_mut().ok_or(Error::<T>::UnknownHolder)?;
				ensure!(holder.status != HolderStatus::Removed, Error::<T>::HolderRemoved);
				match status {
					HolderStatus::Suspended => {
						ensure!(
							holder.status == HolderStatus::Approved,
							Error::<T>::HolderNotApproved
						);
						Self::deposit_event(Event::HolderSuspended { holder: id });
					}
					HolderStatus::Approved => {
						ensure!(holder.status == HolderStatus::Suspended, Error::<T>::NotSuspended);
						Self::deposit_event(Event::HolderResumed { holder: id });
					}
					HolderStatus::Removed => {
						HolderOfAccount::<T>::remove(&holder.account);
						Self::deposit_event(Event::HolderRemoved { holder: id });
					}
				}
				holder.status = status;
				Ok(())
			})
		}

		#[allow(clippy::too_many_arguments)]
		fn do_grant(
			citizen: T::AccountId,
			holder: HolderId,
			category: TermCode,
			purpose: TermCode,
			terms_hash: H256,
			start_ms: u64,
			expiry_ms: u64,
			devices: DevicesOf<T>,
		) -> DispatchResult {
			let record = Holders::<T>::get(holder).ok_or(Error::<T>::UnknownHolder)?;
			ensure!(record.status == HolderStatus::Approved, Error::<T>::HolderNotApproved);
			ensure!(Self::in_force(TermKind::Category, category), Error::<T>::UnknownCategory);
			ensure!(Self::in_force(TermKind::Purpose, purpose), Error::<T>::UnknownPurpose);
			ensure!(start_ms < expiry_ms, Error::<T>::BadWindow);
			let now = Self::now_ms();
			ensure!(start_ms >= now, Error::<T>::StartsInThePast);
			let longest = T::MaxGrantDurationMs::get();
			ensure!(
				expiry_ms.saturating_sub(start_ms) <= longest
					&& start_ms.saturating_sub(now) <= longest,
				Error::<T>::TooLong
			);
			for (i, device) in devices.iter().enumerate() {
				let summary = T::Devices::device(*device).ok_or(Error::<T>::UnknownDevice)?;
				ensure!(summary.owner == citizen, Error::<T>::NotDeviceOwner);
				ensure!(
					!devices.iter().take(i).any(|earlier| earlier == device),
					Error::<T>::DuplicateDevice
				);
			}
			let mut history = GrantsOf::<T>::get(&citizen);
			if history.is_full() {
				// Room for the new grant: the oldest closed one leaves.
				let closed = history
					.iter()
					.position(|id| Grants::<T>::get(id).is_none_or(|g| !g.open))
					.ok_or(Error::<T>::TooManyGrants)?;
				let forgotten = history.remove(closed);
				Grants::<T>::remove(forgotten);
				Self::deposit_event(Event::Forgotten { grant: forgotten });
			}
			let id = NextGrantId::<T>::get();
			NextGrantId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
			history.try_push(id).map_err(|_| Error::<T>::TooManyGrants)?;
			let deposit = T::GrantDeposit::get();
			Self::hold(HoldReason::GrantDeposit, &citizen, deposit)?;
			GrantsOf::<T>::insert(&citizen, history);
			Grants::<T>::insert(
				id,
				Grant {
					citizen: citizen.clone(),
					holder,
					category,
					purpose,
					terms_hash,
					start_ms,
					expiry_ms,
					revoked_at_ms: None,
					devices,
					deposit,
					open: true,
				},
			);
			Self::deposit_event(Event::Granted {
				grant: id,
				citizen,
				holder,
				category,
				purpose,
				start_ms,
				expiry_ms,
			});
			Ok(())
		}

		fn do_revoke(who: T::AccountId, id: GrantId) -> DispatchResult {
			let mut grant = Grants::<T>::get(id).ok_or(Error::<T>::UnknownGrant)?;
			ensure!(grant.citizen == who, Error::<T>::NotYourGrant);
			ensure!(grant.open, Error::<T>::AlreadyClosed);
			let now = Self::now_ms();
			ensure!(now < grant.expiry_ms, Error::<T>::Expired);
			Self::release(HoldReason::GrantDeposit, &who, grant.deposit);
			grant.revoked_at_ms = Some(now);
			grant.open = false;
			Grants::<T>::insert(id, grant);
			Self::deposit_event(Event::Revoked { grant: id, at_ms: now });
			Ok(())
		}

		fn do_release_expired(id: GrantId) -> DispatchResult {
			let mut grant = Grants::<T>::get(id).ok_or(Error::<T>::UnknownGrant)?;
			ensure!(grant.open, Error::<T>::AlreadyClosed);
			ensure!(Self::now_ms() >= grant.expiry_ms, Error::<T>::NotExpired);
			Self::release(HoldReason::GrantDeposit, &grant.citizen, grant.deposit);
			grant.open = false;
			Grants::<T>::insert(id, grant);
			Self::deposit_event(Event::Released { grant: id });
			Ok(())
		}

		#[allow(clippy::too_many_arguments)]
		fn do_anchor(
			who: T::AccountId,
			batch: BatchSeq,
			root: H256,
			period_start_ms: u64,
			period_end_ms: u64,
			count: u32,
			previous_root: H256,
		) -> DispatchResult {
			let id = HolderOfAccount::<T>::get(&who).ok_or(Error::<T>::NotAHolder)?;
			let mut holder = Holders::<T>::get(id).ok_or(Error::<T>::NotAHolder)?;
			ensure!(holder.status == HolderStatus::Approved, Error::<T>::HolderNotApproved);
			ensure!(batch == holder.next_batch, Error::<T>::WrongBatch);
			ensure!(previous_root == holder.last_root, Error::<T>::WrongPreviousRoot);
			ensure!(count > 0, Error::<T>::EmptyBatch);
			ensure!(count <= T::MaxEntriesPerBatch::get(), Error::<T>::TooManyEntries);
			let now = Self::now_ms();
			ensure!(
				period_start_ms <= period_end_ms
					&& period_end_ms <= now.saturating_add(T::MaxClockDriftMs::get())
					&& period_start_ms >= now.saturating_sub(T::MaxAnchorDelayMs::get()),
				Error::<T>::BadPeriod
			);
			// Periods include both ends: a later batch starts after the latest one's end.
			ensure!(
				batch == 0 || period_start_ms > holder.last_period_end_ms,
				Error::<T>::PeriodOverlap
			);
			let next_batch = batch.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let deposit = T::AnchorDeposit::get();
			Self::hold(HoldReason::AnchorDeposit, &who, deposit)?;
			holder.next_batch = next_batch;
			holder.last_root = root;
			holder.last_period_end_ms = period_end_ms;
			Holders::<T>::insert(id, holder);
			Anchors::<T>::insert(
				id,
				batch,
				Anchor {
					root,
					period_start_ms,
					period_end_ms,
					count,
					previous_root,
					anchored_at: frame_system::Pallet::<T>::block_number(),
					anchored_at_ms: now,
					deposit,
				},
			);
			Self::deposit_event(Event::LogAnchored { holder: id, batch, root, count });
			Ok(())
		}

		// ------------------------------------------------------------ deposits

		/// The most bytes one grant keeps in state: its record under its key (32-byte prefix,
		/// 8 + 8 bytes of hashed id) and its id in the citizen's history. A runtime prices the
		/// grant deposit from it.
		pub fn grant_storage_bytes() -> u32 {
			let record = GrantOf::<T>::max_encoded_len().saturating_add(48);
			let index_entry = core::mem::size_of::<GrantId>();
			u32::try_from(record.saturating_add(index_entry)).unwrap_or(u32::MAX)
		}

		/// The most bytes one anchor keeps in state: its record under its key (32-byte prefix,
		/// 8 + 4 bytes for the holder, 8 + 4 for the sequence number). A runtime prices the
		/// anchor deposit from it.
		pub fn anchor_storage_bytes() -> u32 {
			u32::try_from(AnchorOf::<T>::max_encoded_len().saturating_add(56)).unwrap_or(u32::MAX)
		}

		/// A live grant of `citizen` covering `device`, to a holder made for it (with a
		/// category and a purpose of its own): (holder, category, grant). For other pallets'
		/// benchmarks (civic credits' consent).
		#[cfg(feature = "runtime-benchmarks")]
		pub fn benchmark_consent(
			citizen: &T::AccountId,
			device: DeviceId,
		) -> (HolderId, TermCode, GrantId) {
			let account: T::AccountId = frame_benchmarking::account("consent-holder", 0, 0);
			let holder = HolderOfAccount::<T>::get(&account).unwrap_or_else(|| {
				let id = NextHolderId::<T>::get();
				let _ = Self::do_approve_holder(account, Default::default(), Default::default());
				id
			});
			let code = TermCode::MAX;
			let _ = Self::do_add_term(TermKind::Category, code, Default::default(), 0);
			let _ = Self::do_add_term(TermKind::Purpose, code, Default::default(), 0);
			let grant = NextGrantId::<T>::get();
			let now = Self::now_ms();
			let devices = BoundedVec::truncate_from(alloc::vec![device]);
			let day = 24 * 60 * 60 * 1_000;
			let _ = Self::do_grant(
				citizen.clone(),
				holder,
				code,
				code,
				H256::zero(),
				now,
				now.saturating_add(day),
				devices,
			);
			(holder, code, grant)
		}

		// ------------------------------------------------------------ runtime API helpers

		/// A citizen's grants (open and closed), oldest first.
		pub fn grants_of(citizen: &T::AccountId) -> Vec<(GrantId, GrantOf<T>)> {
			GrantsOf::<T>::get(citizen)
				.into_iter()
				.filter_map(|id| Grants::<T>::get(id).map(|grant| (id, grant)))
				.collect()
		}

		/// What covers `entry` (of an access by `holder`): its grant, live at the entry's time
		/// for that citizen, holder, category and purpose, or its legal basis.
		pub fn coverage(holder: HolderId, entry: &EntryOf<T>) -> Coverage {
			match entry.basis {
				AccessBasis::LegalBasis(code) => {
					let in_force = Terms::<T>::get(TermKind::LegalBasis, code)
						.is_some_and(|term| term.in_force_at(entry.time_ms));
					if in_force {
						Coverage::LegalBasis(code)
					} else {
						Coverage::NotCovered(NotCovered::UnknownLegalBasis)
					}
				}
				AccessBasis::Grant(id) => {
					let Some(grant) = Grants::<T>::get(id) else {
						return Coverage::NotCovered(if id < NextGrantId::<T>::get() {
							NotCovered::ForgottenGrant
						} else {
							NotCovered::UnknownGrant
						});
					};
					let reason = if grant.citizen != entry.citizen {
						Some(NotCovered::OtherCitizen)
					} else if grant.holder != holder {
						Some(NotCovered::OtherHolder)
					} else if grant.category != entry.category {
						Some(NotCovered::OtherCategory)
					} else if grant.purpose != entry.purpose {
						Some(NotCovered::OtherPurpose)
					} else if !grant.devices.is_empty()
						&& !entry.device.is_some_and(|device| grant.devices.contains(&device))
					{
						Some(NotCovered::OtherDevice)
					} else if entry.time_ms < grant.start_ms {
						Some(NotCovered::BeforeStart)
					} else if grant.revoked_at_ms.is_some_and(|at| entry.time_ms >= at) {
						Some(NotCovered::Revoked)
					} else if entry.time_ms >= grant.expiry_ms {
						Some(NotCovered::Expired)
					} else {
						None
					};
					reason.map_or(Coverage::Grant(id), Coverage::NotCovered)
				}
			}
		}

		/// Whether `entry` is leaf `leaf_index` of `holder`'s batch `batch` (by `proof`), and
		/// what covered it.
		pub fn verify_access(
			holder: HolderId,
			batch: BatchSeq,
			entry: &EntryOf<T>,
			leaf_index: u32,
			proof: &[H256],
		) -> AccessVerdict {
			let coverage = Self::coverage(holder, entry);
			let anchor = Anchors::<T>::get(holder, batch);
			let anchored_at_ms = anchor.as_ref().map(|a| a.anchored_at_ms);
			let not_in_batch = if !Holders::<T>::contains_key(holder) {
				Some(NotInBatch::UnknownHolder)
			} else if proof.len() > MAX_PROOF_LEN as usize {
				Some(NotInBatch::ProofTooLong)
			} else {
				match anchor {
					None => Some(NotInBatch::UnknownBatch),
					Some(anchor)
						if entry.time_ms < anchor.period_start_ms
							|| entry.time_ms > anchor.period_end_ms =>
					{
						Some(NotInBatch::OutsidePeriod)
					}
					Some(anchor) => (!city_device::verify_leaf(
						&anchor.root,
						anchor.count,
						leaf_index,
						&entry.encode(),
						proof,
					))
					.then_some(NotInBatch::BadProof),
				}
			};
			AccessVerdict {
				in_batch: not_in_batch.is_none(),
				not_in_batch,
				anchored_at_ms,
				coverage,
			}
		}

		/// Up to `limit` of `holder`'s anchors from sequence number `from`, checked as a chain.
		pub fn anchor_page(
			holder: HolderId,
			from: BatchSeq,
			limit: u32,
		) -> AnchorPage<BlockNumberFor<T>, BalanceOf<T>> {
			let limit = limit.min(crate::runtime_api::MAX_ANCHORS_PAGE);
			let end = Holders::<T>::get(holder).map_or(0, |h| h.next_batch);
			let mut anchors = Vec::new();
			let mut breaks = Vec::new();
			let mut previous = if from == 0 {
				Some(H256::zero())
			} else {
				from.checked_sub(1).and_then(|p| Anchors::<T>::get(holder, p)).map(|a| a.root)
			};
			let mut seq = from;
			let mut looked = 0u32;
			while seq < end && looked < limit {
				looked = looked.saturating_add(1);
				let anchor = Anchors::<T>::get(holder, seq);
				match (&anchor, previous) {
					(Some(a), Some(p)) if a.previous_root == p => {}
					_ => breaks.push(seq),
				}
				previous = anchor.as_ref().map(|a| a.root);
				if let Some(anchor) = anchor {
					anchors.push((seq, anchor));
				}
				seq = seq.saturating_add(1);
			}
			AnchorPage { anchors, breaks, next: (seq < end).then_some(seq) }
		}
	}
}
