//! # Sensor attestation
//!
//! A reading counts only if the registered device signed it with its current key; readings of a
//! device carry a gapless sequence number, so they can neither be replayed nor reordered; anyone
//! can later prove that a reading was part of an anchored Merkle batch.
//!
//! - **Fee-less for certified devices, within a governed share of each block.** A device the
//!   city registrar certified submits `submit_reading` and `anchor_batch` as bare (unsigned)
//!   extrinsics: no tokens needed. Its free capacity is bounded per device (readings and
//!   batches per rate window), and all free submissions of a block together never use more
//!   than [`FreeShare`] of the block's normal weight and length (governed by `AdminOrigin`). A
//!   bare submission that does not fit waits in the pool for the next block
//!   (`ExhaustsResources`). Bare submissions have the lowest pool priority, so every paid
//!   transaction ranks above them. Uncertified devices use the paid path.
//! - **Paid by a gateway.** The same calls signed by the device's owner or operator: the signer
//!   pays the fee; certification is not required.
//! - **The pool checks what the block checks.** `validate_unsigned` runs every check dispatch
//!   runs, cheapest first (batch shape, device status, certification, key epoch, sequence,
//!   timestamp window, rate budget) and the signature last. A submission ahead of the chain is
//!   accepted only if it still fits the device's rate budget once all its predecessors are in,
//!   and only if it will still be young enough when its block comes, so nothing the pool
//!   accepted is refused in a block by the same rule. "Not yet" (too far ahead, budget taken)
//!   is an *unknown* validity, which the pool does not ban, so a device can send the same
//!   bytes again later. `pre_dispatch` repeats the checks for the exact next sequence number
//!   and reserves the free share; dispatch of a bare submission then cannot fail, so nothing is
//!   ever included for free as a failure.
//! - **Payloads** (SCALE, signed as-is; ECDSA signs blake2_256 of it):
//!   reading: `(READING_TAG, genesis_hash, key_epoch, reading)`;
//!   batch: `(BATCH_TAG, genesis_hash, key_epoch, anchor)`.
//! - **Merkle batches**: leaves are `SCALE(reading)`, hashed with blake2-256; inner nodes are
//!   `blake2_256(left ++ right)`; an odd last node is promoted unchanged (the
//!   `binary-merkle-tree` crate). A leaf is never 64 bytes, so no inner node passes as a leaf.
//! - **State, all bounded per device and paid by the device's registration deposit**: the
//!   newest reading per (device, kind) for at most `MaxKindsPerDevice` kinds (readings of
//!   further kinds are attested in events, not kept); per-device
//!   counters; the last `MaxAnchorsPerDevice` anchors. Older anchors are pruned on insertion
//!   with an `AnchorPruned` event (also after the retention bound is lowered): retention is
//!   explicit, never silent. When a device is decommissioned, its attestation state is removed
//!   in bounded steps in `on_idle` (`DeviceStatePurged`). Full readings go out in events.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod migrations;
/// The JSON names of kinds and units (`energyExport`, `wattHour`, ...), from the device SDK.
pub use city_device::names;
pub mod runtime_api;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

/// The reading and batch types, the signing payloads and tags, and Merkle proofs: defined once
/// in the device SDK (`city-device`), which devices and gateways use too.
pub use city_device::{
	batch_payload, merkle_proof, merkle_root, proof_len, reading_payload, verify_inclusion,
	BatchAnchor, MeasurementKind, Reading, Unit, BATCH_TAG, READING_TAG,
};
use city_primitives::{DeviceId, EnergyFlow, KeyEpoch};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
pub use weights::WeightInfo;

/// Creates what the benchmarks need in the real runtime: an active device with a given key.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers an active, certified device owned by `owner` with `key` (an ECDSA key
	/// generated in the host keystore under [`BENCHMARK_KEY_TYPE`], so the helper can sign its
	/// proof); returns its id, or why it could not (the benchmark then stops with that error).
	fn register_device(
		owner: &AccountId,
		key: city_primitives::DeviceKey,
	) -> Result<DeviceId, sp_runtime::DispatchError>;
}

/// Key type under which benchmark device keys live in the host keystore.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"catt");

/// Bytes a bare extrinsic adds around its call: the compact length prefix (at most 4 bytes for
/// a call this small) and the version byte. Used to count a free submission's block length.
pub const BARE_EXTRINSIC_OVERHEAD: u32 = 5;

/// Most anchors removed by one `anchor_batch` beyond the one it replaces, so that a lowered
/// `MaxAnchorsPerDevice` is caught up with in bounded steps.
pub const MAX_PRUNE_PER_ANCHOR: u64 = 2;

/// An anchored batch as stored.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct StoredAnchor<BlockNumber> {
	/// The anchor the device signed.
	pub anchor: BatchAnchor,
	/// The key epoch it was signed under.
	pub key_epoch: KeyEpoch,
	/// Block it was anchored in.
	pub anchored_at: BlockNumber,
}

/// The newest reading of one kind of one device (the device's digital twin).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct LatestReading<BlockNumber> {
	/// Sequence number of the reading.
	pub seq: u64,
	/// Measurement time, Unix ms.
	pub timestamp_ms: u64,
	/// Value.
	pub value: i64,
	/// Unit.
	pub unit: Unit,
	/// Block it was attested in.
	pub block: BlockNumber,
}

/// Per-device counters.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct DeviceCounters<BlockNumber> {
	/// Sequence number of the last attested reading (0: none yet).
	pub last_seq: u64,
	/// Batch sequence number of the last anchored batch (0: none yet).
	pub last_batch_seq: u64,
	/// Readings attested, in total.
	pub readings: u64,
	/// Batches anchored, in total.
	pub batches: u64,
	/// Start block of the current rate-limit window.
	pub window_start: BlockNumber,
	/// Readings in the current window.
	pub window_readings: u32,
	/// Batches in the current window.
	pub window_batches: u32,
	/// Measurement kinds with a stored latest reading (at most `MaxKindsPerDevice`).
	pub kinds: u32,
	/// The lowest batch sequence number that may still be stored (anchors below it were
	/// pruned); 0 before the first anchor.
	pub first_anchor: u64,
}

/// Free (bare) submissions included in one block so far.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct FreeUsage<BlockNumber> {
	/// The block this usage belongs to (usage of an earlier block counts as none).
	pub block: BlockNumber,
	/// Weight used by free submissions (their call weight plus the extrinsic base weight).
	pub weight: frame_support::weights::Weight,
	/// Length used by free submissions, in bytes.
	pub len: u32,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use city_primitives::{DeviceLookup, DeviceSummary};
	use frame_support::{
		dispatch::{DispatchClass, GetDispatchInfo},
		pallet_prelude::*,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{Saturating, Zero},
		transaction_validity::UnknownTransaction,
		MultiSignature, Perbill,
	};

	/// Version 1: counters with separate budgets, kinds and oldest anchor
	/// ([`crate::migrations::v1`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of sensor attestation. The chain's hash is `H256`: devices sign the 32-byte
	/// genesis hash (`city_device::reading_payload`).
	#[pallet::config]
	pub trait Config:
		frame_system::Config<Hash = H256> + pallet_timestamp::Config<Moment = u64>
	{
		/// The device registry.
		type Devices: DeviceLookup<Self::AccountId>;

		/// Governs the free share of each block ([`FreeShare`]).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// How far a reading's timestamp may be ahead of the chain's time (ms).
		#[pallet::constant]
		type MaxClockAhead: Get<u64>;

		/// How old a reading's timestamp may be when it is submitted (ms).
		#[pallet::constant]
		type MaxReadingAge: Get<u64>;

		/// How many readings (or batches) ahead of the chain a device may queue in the pool.
		#[pallet::constant]
		type MaxPendingReadings: Get<u64>;

		/// Length of the rate-limit window, in blocks.
		#[pallet::constant]
		type RateWindow: Get<BlockNumberFor<Self>>;

		/// Readings allowed per device per window (bare and paid together).
		#[pallet::constant]
		type MaxReadingsPerWindow: Get<u32>;

		/// Batches allowed per device per window (bare and paid together).
		#[pallet::constant]
		type MaxBatchesPerWindow: Get<u32>;

		/// Measurement kinds a device keeps a latest reading of; readings of further kinds are
		/// attested (events) but not kept as latest.
		#[pallet::constant]
		type MaxKindsPerDevice: Get<u32>;

		/// Anchors kept per device; older ones are pruned (with an event).
		#[pallet::constant]
		type MaxAnchorsPerDevice: Get<u32>;

		/// Most readings in one batch.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Blocks a bare submission stays valid in the pool.
		#[pallet::constant]
		type UnsignedLongevity: Get<u64>;

		/// Pool priority of bare submissions. Paid transactions always have a priority of at
		/// least 1, so 0 ranks every free submission below every paid one.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;

		/// The free share of each block until governance sets [`FreeShare`].
		#[pallet::constant]
		type DefaultFreeShare: Get<Perbill>;

		/// Readings of each energy counter (`energyImport`, `energyExport`, in Wh) a meter keeps
		/// for settlement ([`CounterHistory`]).
		#[pallet::constant]
		type MaxCounterHistory: Get<u32>;

		/// Kept counter readings are at least this far apart (ms), whatever the meter's
		/// reporting rate, so that the history spans `MaxCounterHistory x CounterSpacingMs`.
		/// Not a metadata constant: a runtime may derive it from state (the energy market's
		/// slot length), so it follows governance.
		type CounterSpacingMs: Get<u64>;

		/// Most storage items `on_idle` removes in one block when cleaning up after
		/// decommissioned devices.
		#[pallet::constant]
		type MaxPurgePerBlock: Get<u32>;

		/// Weights of the calls (from `benchmarking.rs`).
		type WeightInfo: WeightInfo;

		/// Told of each single reading attested (civic credits' data-sharing points; a batch's
		/// count is the device's own claim, so batches earn none); its weight is part of
		/// `submit_reading`'s.
		type OnReadings: city_primitives::OnReadingsAttested;

		/// Creates devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The newest reading per (device, kind): the one with the latest timestamp (on equal
	/// timestamps, the later sequence number).
	#[pallet::storage]
	pub type Latest<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		DeviceId,
		Blake2_128Concat,
		MeasurementKind,
		LatestReading<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Counters per device.
	#[pallet::storage]
	pub type Counters<T: Config> =
		StorageMap<_, Twox64Concat, DeviceId, DeviceCounters<BlockNumberFor<T>>, OptionQuery>;

	/// Anchored batches by (device, batch sequence number); the last `MaxAnchorsPerDevice`.
	#[pallet::storage]
	pub type Anchors<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		DeviceId,
		Twox64Concat,
		u64,
		StoredAnchor<BlockNumberFor<T>>,
		OptionQuery,
	>;

	#[pallet::type_value]
	pub fn DefaultFreeShareValue<T: Config>() -> Perbill {
		T::DefaultFreeShare::get()
	}

	/// The share of a block's normal weight and length that free (bare) submissions may use
	/// together. Governed by `AdminOrigin`.
	#[pallet::storage]
	pub type FreeShare<T: Config> = StorageValue<_, Perbill, ValueQuery, DefaultFreeShareValue<T>>;

	/// What free submissions used of the current block (reset by the next block).
	#[pallet::storage]
	pub type FreeUsed<T: Config> = StorageValue<_, FreeUsage<BlockNumberFor<T>>, ValueQuery>;

	/// Recent readings of a meter's cumulative energy counters, by (device, flow): `(timestamp
	/// ms, Wh)`, oldest first, at least `CounterSpacingMs` apart (the newest may be closer: it
	/// moves forward as readings arrive), at most `MaxCounterHistory`. Settlement of energy
	/// trades reads the counters at slot boundaries from it
	/// ([`city_primitives::MeterReadings`]). Only `energyImport` / `energyExport` readings in
	/// Wh with a non-negative value, newer than the newest kept, enter it.
	#[pallet::storage]
	pub type CounterHistory<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		DeviceId,
		Twox64Concat,
		EnergyFlow,
		BoundedVec<(u64, u64), T::MaxCounterHistory>,
		ValueQuery,
	>;

	/// Decommissioned devices whose attestation state `on_idle` is still removing.
	#[pallet::storage]
	pub type Retiring<T: Config> = StorageMap<_, Twox64Concat, DeviceId, (), OptionQuery>;

	/// Events of sensor attestation.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A reading was attested (full reading, for indexers); `payer` is the gateway that
		/// paid, `None` if the device submitted it fee-less.
		ReadingAttested { reading: Reading, key_epoch: KeyEpoch, payer: Option<T::AccountId> },
		/// A batch was anchored.
		BatchAnchored { anchor: BatchAnchor, key_epoch: KeyEpoch, payer: Option<T::AccountId> },
		/// An old anchor left storage (retention: `MaxAnchorsPerDevice` per device). Its data
		/// stays in the `BatchAnchored` event of its block.
		AnchorPruned { device: DeviceId, batch_seq: u64 },
		/// Governance set the free share of each block.
		FreeShareSet { share: Perbill },
		/// A decommissioned device's attestation state (latest readings, anchors, counters)
		/// was removed; its data stays in the events of the blocks that attested it.
		DeviceStatePurged { device: DeviceId },
	}

	/// Errors of sensor attestation. In the pool, a bare submission refused for one of these
	/// is `Custom error: <index>` (index in this list, from 0).
	#[pallet::error]
	pub enum Error<T> {
		/// No device has this id.
		UnknownDevice,
		/// The device is not active.
		DeviceNotActive,
		/// The key epoch is not the device's current one.
		StaleKeyEpoch,
		/// The signature is not the device key's signature of the payload.
		BadSignature,
		/// The sequence number is not the next one (replayed, or out of order).
		BadSequence,
		/// The timestamp is too far ahead of the chain's time or too old.
		TimestampOutOfWindow,
		/// The device exceeded its readings (or batches) per window; retry in a later window.
		RateLimited,
		/// Only the device's owner or operator may pay for its submissions.
		NotController,
		/// The batch is empty, larger than `MaxBatchSize`, or its period is inverted.
		BadBatch,
		/// Sequence numbers are exhausted.
		Overflow,
		/// Only devices certified by the city registrar submit fee-less; an uncertified device
		/// submits through its owner or operator, who pays.
		NotCertified,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_idle(_n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::purge_retired(remaining)
		}

		fn integrity_test() {
			assert!(T::MaxReadingsPerWindow::get() >= 1, "a device must be able to report");
			assert!(T::MaxBatchesPerWindow::get() >= 1, "a device must be able to anchor");
			assert!(T::MaxPendingReadings::get() >= 1, "the pool must take the next reading");
			assert!(T::MaxKindsPerDevice::get() >= 1, "a device must report one kind");
			assert!(T::MaxAnchorsPerDevice::get() >= 1, "the last anchor must be provable");
			assert!(T::MaxBatchSize::get() >= 1, "a batch holds at least one reading");
			assert!(T::UnsignedLongevity::get() >= 1, "bare submissions must live a block");
			assert!(!T::RateWindow::get().is_zero(), "the rate window must be a block or more");
			assert!(T::MaxPurgePerBlock::get() >= 1, "cleanup must make progress");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Attest a reading signed by the device's current key. Bare (unsigned, fee-less,
		/// certified devices only, validated in the pool) or signed by the device's owner or
		/// operator (who pays).
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::submit_reading()
			.saturating_add(<T::OnReadings as city_primitives::OnReadingsAttested>::weight()))]
		pub fn submit_reading(
			origin: OriginFor<T>,
			reading: Reading,
			key_epoch: KeyEpoch,
			signature: MultiSignature,
		) -> DispatchResult {
			let payer = Self::payer(origin)?;
			Self::do_submit_reading(payer, reading, key_epoch, signature)
		}

		/// Anchor a Merkle root of a batch of readings, signed by the device's current key.
		/// Bare or signed by the owner or operator, like `submit_reading`.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::anchor_batch())]
		pub fn anchor_batch(
			origin: OriginFor<T>,
			anchor: BatchAnchor,
			key_epoch: KeyEpoch,
			signature: MultiSignature,
		) -> DispatchResult {
			let payer = Self::payer(origin)?;
			Self::do_anchor_batch(payer, anchor, key_epoch, signature)
		}

		/// Set the share of each block's normal weight and length that free (bare) submissions
		/// may use together (admin origin). Paid transactions are never limited by it.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::set_free_share())]
		pub fn set_free_share(origin: OriginFor<T>, share: Perbill) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			FreeShare::<T>::put(share);
			Self::deposit_event(Event::FreeShareSet { share });
			Ok(())
		}
	}

	/// Who submits: the device itself (bare, fee-less) or an account that pays.
	pub(crate) enum Payer<'a, AccountId> {
		/// A bare extrinsic: the device, fee-less.
		Device,
		/// A signed extrinsic: this account pays.
		Account(&'a AccountId),
	}

	/// Where a submission is checked: the pool accepts sequence numbers ahead of the chain
	/// (they wait for their predecessors); a block takes exactly the next one.
	#[derive(Clone, Copy, PartialEq, Eq)]
	pub(crate) enum Stage {
		/// `validate_unsigned`: entering (or staying in) the pool.
		Pool,
		/// `pre_dispatch` and dispatch: in a block.
		Block,
	}

	/// Why a submission is refused: a pallet error (final), a sequence number used already
	/// (final), or, in the pool, "not yet": it may be valid once its predecessors are in or the
	/// rate window has moved on.
	pub(crate) enum Refusal<T> {
		/// A pallet error: the submission will never be valid as it is.
		Error(Error<T>),
		/// The sequence number is at or below the chain's: a replay.
		Stale,
		/// Not valid now, maybe later, for this reason (`BadSequence`: too far ahead of the
		/// chain; `RateLimited`: the window's budget is taken).
		Later(Error<T>),
	}

	impl<T> From<Error<T>> for Refusal<T> {
		fn from(error: Error<T>) -> Self {
			Refusal::Error(error)
		}
	}

	impl<T: Config> Refusal<T> {
		/// The dispatch error of a refusal in a block.
		fn into_error(self) -> Error<T> {
			match self {
				Refusal::Error(error) | Refusal::Later(error) => error,
				Refusal::Stale => Error::<T>::BadSequence,
			}
		}

		/// The pool's answer to a refusal. "Not yet" is an *unknown* validity: the pool bans
		/// invalid transactions' bytes for 30 minutes, and a device that signs
		/// deterministically (ed25519, ECDSA) would then be stuck; unknown ones are not banned.
		fn into_validity(self) -> TransactionValidityError {
			match self {
				Refusal::Error(error) => InvalidTransaction::Custom(error_code::<T>(error)).into(),
				Refusal::Stale => InvalidTransaction::Stale.into(),
				Refusal::Later(error) => UnknownTransaction::Custom(error_code::<T>(error)).into(),
			}
		}
	}

	/// What the checks found: the device's counters (rate window moved on if it ended), and
	/// how far ahead of the chain the submission is (1: the next one).
	pub(crate) struct Checked<BlockNumber> {
		pub(crate) counters: DeviceCounters<BlockNumber>,
		pub(crate) ahead: u64,
	}

	impl<T: Config> Pallet<T> {
		/// `None` for a bare extrinsic (already checked by `pre_dispatch`), the account for a
		/// signed one.
		fn payer(origin: OriginFor<T>) -> Result<Option<T::AccountId>, DispatchError> {
			match origin.into() {
				Ok(frame_system::RawOrigin::None) => Ok(None),
				Ok(frame_system::RawOrigin::Signed(who)) => Ok(Some(who)),
				_ => Err(DispatchError::BadOrigin),
			}
		}

		pub(crate) fn genesis_hash() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// The device, checked for status, payer and key epoch (no storage of this pallet).
		fn check_device(
			device: DeviceId,
			key_epoch: KeyEpoch,
			payer: Payer<T::AccountId>,
		) -> Result<DeviceSummary<T::AccountId>, Error<T>> {
			let summary = T::Devices::device(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(summary.is_active(), Error::<T>::DeviceNotActive);
			match payer {
				Payer::Device => ensure!(summary.certified, Error::<T>::NotCertified),
				Payer::Account(who) => {
					ensure!(summary.is_controller(who), Error::<T>::NotController)
				}
			}
			ensure!(summary.key_epoch == key_epoch, Error::<T>::StaleKeyEpoch);
			Ok(summary)
		}

		/// How far `seq` is ahead of `last` (1: the next one), or why it cannot be taken.
		fn check_sequence(seq: u64, last: u64, stage: Stage) -> Result<u64, Refusal<T>> {
			let next = last.checked_add(1).ok_or(Error::<T>::Overflow)?;
			if seq < next {
				return Err(Refusal::Stale);
			}
			let ahead = seq.saturating_sub(last);
			match stage {
				Stage::Pool => ensure!(
					ahead <= T::MaxPendingReadings::get(),
					Refusal::Later(Error::<T>::BadSequence)
				),
				Stage::Block => ensure!(ahead == 1, Error::<T>::BadSequence),
			}
			Ok(ahead)
		}

		/// A timestamp inside the window around the chain's time. In the pool, the chain's time
		/// is the parent block's, and the submission may wait up to `UnsignedLongevity` blocks:
		/// it must still be young enough then, or the block would refuse it (and drop the
		/// device's later submissions with it).
		fn check_timestamp(timestamp_ms: u64, stage: Stage) -> Result<(), Error<T>> {
			let now = pallet_timestamp::Pallet::<T>::get();
			let margin = match stage {
				Stage::Block => 0,
				Stage::Pool => Self::pool_age_margin_ms(),
			};
			ensure!(
				timestamp_ms <= now.saturating_add(T::MaxClockAhead::get())
					&& timestamp_ms.saturating_add(T::MaxReadingAge::get())
						>= now.saturating_add(margin),
				Error::<T>::TimestampOutOfWindow
			);
			Ok(())
		}

		/// How much older than the pool sees it a submission may be when its block comes: its
		/// longevity and one more block, at the expected block time (twice the timestamp
		/// pallet's minimum period, as Aura's slots are).
		pub(crate) fn pool_age_margin_ms() -> u64 {
			let block_ms = <T as pallet_timestamp::Config>::MinimumPeriod::get().saturating_mul(2);
			T::UnsignedLongevity::get().saturating_add(1).saturating_mul(block_ms)
		}

		/// The counters with the rate window moved on if it has ended.
		fn current_window(
			mut counters: DeviceCounters<BlockNumberFor<T>>,
		) -> DeviceCounters<BlockNumberFor<T>> {
			let now = frame_system::Pallet::<T>::block_number();
			if now.saturating_sub(counters.window_start) >= T::RateWindow::get() {
				counters.window_start = now;
				counters.window_readings = 0;
				counters.window_batches = 0;
			}
			counters
		}

		/// Whether a submission `ahead` of the chain fits the rate window's budget of which
		/// `used` is taken, counting every submission before it. In a block, over budget is
		/// `RateLimited`; in the pool it is "not yet" (the window moves on).
		fn check_budget(used: u32, ahead: u64, max: u32, stage: Stage) -> Result<(), Refusal<T>> {
			let fits = u64::from(used).saturating_add(ahead) <= u64::from(max);
			match stage {
				Stage::Block => ensure!(fits, Error::<T>::RateLimited),
				Stage::Pool => ensure!(fits, Refusal::Later(Error::<T>::RateLimited)),
			}
			Ok(())
		}

		fn verify(
			summary: &DeviceSummary<T::AccountId>,
			payload: &[u8],
			signature: Option<&MultiSignature>,
		) -> Result<(), Error<T>> {
			if let Some(signature) = signature {
				ensure!(summary.key.verify(payload, signature), Error::<T>::BadSignature);
			}
			Ok(())
		}

		/// Every check of a reading, cheapest first and the signature last (`None`: verified
		/// already by `pre_dispatch`).
		pub(crate) fn check_reading(
			reading: &Reading,
			key_epoch: KeyEpoch,
			signature: Option<&MultiSignature>,
			payer: Payer<T::AccountId>,
			stage: Stage,
		) -> Result<Checked<BlockNumberFor<T>>, Refusal<T>> {
			let summary = Self::check_device(reading.device, key_epoch, payer)?;
			let counters =
				Self::current_window(Counters::<T>::get(reading.device).unwrap_or_default());
			let ahead = Self::check_sequence(reading.seq, counters.last_seq, stage)?;
			Self::check_timestamp(reading.timestamp_ms, stage)?;
			Self::check_budget(
				counters.window_readings,
				ahead,
				T::MaxReadingsPerWindow::get(),
				stage,
			)?;
			let payload = reading_payload(&Self::genesis_hash(), key_epoch, reading);
			Self::verify(&summary, &payload, signature)?;
			Ok(Checked { counters, ahead })
		}

		/// Every check of a batch anchor, cheapest first and the signature last.
		pub(crate) fn check_anchor(
			anchor: &BatchAnchor,
			key_epoch: KeyEpoch,
			signature: Option<&MultiSignature>,
			payer: Payer<T::AccountId>,
			stage: Stage,
		) -> Result<Checked<BlockNumberFor<T>>, Refusal<T>> {
			ensure!(
				anchor.count > 0
					&& anchor.count <= T::MaxBatchSize::get()
					&& anchor.period_start_ms <= anchor.period_end_ms,
				Error::<T>::BadBatch
			);
			let summary = Self::check_device(anchor.device, key_epoch, payer)?;
			let counters =
				Self::current_window(Counters::<T>::get(anchor.device).unwrap_or_default());
			let ahead = Self::check_sequence(anchor.batch_seq, counters.last_batch_seq, stage)?;
			Self::check_timestamp(anchor.period_end_ms, stage)?;
			Self::check_budget(
				counters.window_batches,
				ahead,
				T::MaxBatchesPerWindow::get(),
				stage,
			)?;
			let payload = batch_payload(&Self::genesis_hash(), key_epoch, anchor);
			Self::verify(&summary, &payload, signature)?;
			Ok(Checked { counters, ahead })
		}

		/// Attests a reading. A bare one (`payer` `None`) was checked with its signature by
		/// `pre_dispatch` in this block; the checks run again here without the signature.
		pub fn do_submit_reading(
			payer: Option<T::AccountId>,
			reading: Reading,
			key_epoch: KeyEpoch,
			signature: MultiSignature,
		) -> DispatchResult {
			let checked = match &payer {
				None => Self::check_reading(&reading, key_epoch, None, Payer::Device, Stage::Block),
				Some(who) => Self::check_reading(
					&reading,
					key_epoch,
					Some(&signature),
					Payer::Account(who),
					Stage::Block,
				),
			}
			.map_err(Refusal::into_error)?;
			let mut counters = checked.counters;
			counters.last_seq = reading.seq;
			counters.readings = counters.readings.saturating_add(1);
			counters.window_readings = counters.window_readings.saturating_add(1);
			let latest = LatestReading {
				seq: reading.seq,
				timestamp_ms: reading.timestamp_ms,
				value: reading.value,
				unit: reading.unit,
				block: frame_system::Pallet::<T>::block_number(),
			};
			match Latest::<T>::get(reading.device, reading.kind) {
				// Device clocks and gateways may deliver out of time order: keep the newest.
				Some(old) if (reading.timestamp_ms, reading.seq) >= (old.timestamp_ms, old.seq) => {
					Latest::<T>::insert(reading.device, reading.kind, latest);
				}
				Some(_) => {}
				// A new kind is kept while the device has room; beyond `MaxKindsPerDevice`
				// kinds the reading is attested (its event) but not kept as latest. Refusing
				// it instead could drop a reading the pool had accepted, when readings queued
				// before it brought new kinds.
				None if counters.kinds < T::MaxKindsPerDevice::get() => {
					counters.kinds = counters.kinds.saturating_add(1);
					Latest::<T>::insert(reading.device, reading.kind, latest);
				}
				None => {}
			}
			Counters::<T>::insert(reading.device, counters);
			Self::record_counter(&reading);
			<T::OnReadings as city_primitives::OnReadingsAttested>::readings_attested(
				reading.device,
				1,
			);
			Self::deposit_event(Event::ReadingAttested { reading, key_epoch, payer });
			Ok(())
		}

		/// Keeps an energy counter reading in [`CounterHistory`] (see there for which).
		fn record_counter(reading: &Reading) {
			let flow = match reading.kind {
				MeasurementKind::EnergyImport => EnergyFlow::Import,
				MeasurementKind::EnergyExport => EnergyFlow::Export,
				_ => return,
			};
			if reading.unit != Unit::WattHour {
				return;
			}
			let Ok(wh) = u64::try_from(reading.value) else { return };
			CounterHistory::<T>::mutate(reading.device, flow, |history| {
				if history.last().is_some_and(|(newest, _)| reading.timestamp_ms <= *newest) {
					return;
				}
				// The newest entry moves forward while readings come closer than the spacing
				// to the one before it.
				let before_newest = history.len().checked_sub(2).and_then(|i| history.get(i));
				if before_newest.is_some_and(|(at, _)| {
					reading.timestamp_ms.saturating_sub(*at) < T::CounterSpacingMs::get()
				}) {
					history.pop();
				}
				if history.is_full() && !history.is_empty() {
					history.remove(0);
				}
				let _ = history.try_push((reading.timestamp_ms, wh));
			});
		}

		/// Anchors a batch, pruning the device's anchors beyond the retention bound.
		pub fn do_anchor_batch(
			payer: Option<T::AccountId>,
			anchor: BatchAnchor,
			key_epoch: KeyEpoch,
			signature: MultiSignature,
		) -> DispatchResult {
			let checked = match &payer {
				None => Self::check_anchor(&anchor, key_epoch, None, Payer::Device, Stage::Block),
				Some(who) => Self::check_anchor(
					&anchor,
					key_epoch,
					Some(&signature),
					Payer::Account(who),
					Stage::Block,
				),
			}
			.map_err(Refusal::into_error)?;
			let mut counters = checked.counters;
			counters.last_batch_seq = anchor.batch_seq;
			counters.batches = counters.batches.saturating_add(1);
			counters.window_batches = counters.window_batches.saturating_add(1);
			if counters.first_anchor == 0 {
				counters.first_anchor = anchor.batch_seq;
			}
			// Remove anchors that fell out of retention: the one this anchor replaces, and a
			// bounded number more if the retention bound was lowered.
			let keep = u64::from(T::MaxAnchorsPerDevice::get());
			let oldest_kept = anchor.batch_seq.saturating_add(1).saturating_sub(keep).max(1);
			let mut pruned = 0;
			while counters.first_anchor < oldest_kept && pruned <= MAX_PRUNE_PER_ANCHOR {
				let old = counters.first_anchor;
				if Anchors::<T>::take(anchor.device, old).is_some() {
					Self::deposit_event(Event::AnchorPruned {
						device: anchor.device,
						batch_seq: old,
					});
				}
				counters.first_anchor = old.saturating_add(1);
				pruned += 1;
			}
			Counters::<T>::insert(anchor.device, counters);
			Anchors::<T>::insert(
				anchor.device,
				anchor.batch_seq,
				StoredAnchor {
					anchor: anchor.clone(),
					key_epoch,
					anchored_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			Self::deposit_event(Event::BatchAnchored { anchor, key_epoch, payer });
			Ok(())
		}

		/// The pool's view of a bare submission: tags order a device's submissions.
		fn valid_transaction(
			tag: &'static [u8],
			device: DeviceId,
			seq: u64,
			ahead: u64,
		) -> TransactionValidity {
			let mut builder = ValidTransaction::with_tag_prefix("CityAttestation")
				.priority(T::UnsignedPriority::get())
				.longevity(T::UnsignedLongevity::get())
				.and_provides((tag, device, seq))
				.propagate(true);
			if ahead > 1 {
				builder = builder.and_requires((tag, device, seq.saturating_sub(1)));
			}
			builder.build()
		}

		/// Counts a free submission against the block's free share, or refuses it with
		/// `ExhaustsResources` (it stays in the pool for a later block).
		pub(crate) fn reserve_free_share(call: &Call<T>) -> Result<(), TransactionValidityError> {
			let weights = T::BlockWeights::get();
			let normal = weights.get(DispatchClass::Normal);
			let max_weight = normal.max_total.unwrap_or(weights.max_block);
			let max_len = *T::BlockLength::get().max.get(DispatchClass::Normal);
			let share = FreeShare::<T>::get();
			let weight =
				call.get_dispatch_info().total_weight().saturating_add(normal.base_extrinsic);
			let len = (call.encoded_size() as u32).saturating_add(BARE_EXTRINSIC_OVERHEAD);
			let now = frame_system::Pallet::<T>::block_number();
			let mut used = FreeUsed::<T>::get();
			if used.block != now {
				used = FreeUsage { block: now, ..Default::default() };
			}
			let weight = used.weight.saturating_add(weight);
			let len = used.len.saturating_add(len);
			if weight.any_gt(share * max_weight) || len > share * max_len {
				return Err(InvalidTransaction::ExhaustsResources.into());
			}
			FreeUsed::<T>::put(FreeUsage { block: now, weight, len });
			Ok(())
		}

		/// Removes the attestation state of one decommissioned device per call, at most
		/// `MaxPurgePerBlock` items and within `remaining`; returns the weight used.
		pub(crate) fn purge_retired(remaining: Weight) -> Weight {
			let db = T::DbWeight::get();
			let mut used = db.reads(1);
			if remaining.any_lt(used.saturating_add(db.reads_writes(1, 2))) {
				return Weight::zero();
			}
			let Some(device) = Retiring::<T>::iter_keys().next() else { return used };
			let per_item = db.reads_writes(1, 1);
			let affordable = remaining.saturating_sub(used).saturating_sub(db.writes(2)).ref_time()
				/ per_item.ref_time().max(1);
			let mut budget =
				u32::try_from(affordable).unwrap_or(u32::MAX).min(T::MaxPurgePerBlock::get());
			if budget == 0 {
				return used;
			}
			let anchors = Anchors::<T>::clear_prefix(device, budget, None);
			budget = budget.saturating_sub(anchors.unique);
			used = used.saturating_add(per_item.saturating_mul(u64::from(anchors.unique)));
			if anchors.maybe_cursor.is_some() || budget == 0 {
				return used;
			}
			let latest = Latest::<T>::clear_prefix(device, budget, None);
			budget = budget.saturating_sub(latest.unique);
			used = used.saturating_add(per_item.saturating_mul(u64::from(latest.unique)));
			if latest.maybe_cursor.is_some() || budget == 0 {
				return used;
			}
			let history = CounterHistory::<T>::clear_prefix(device, budget, None);
			used = used.saturating_add(per_item.saturating_mul(u64::from(history.unique)));
			if history.maybe_cursor.is_some() {
				return used;
			}
			Counters::<T>::remove(device);
			Retiring::<T>::remove(device);
			Self::deposit_event(Event::DeviceStatePurged { device });
			used.saturating_add(db.writes(2))
		}

		/// The state invariants: every device with state has counters; counters agree with
		/// the stored kinds and anchors; devices being purged are decommissioned.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (device, counters) in Counters::<T>::iter() {
				let kinds = Latest::<T>::iter_prefix(device).count() as u32;
				ensure!(kinds == counters.kinds, "kind count differs from stored latest readings");
				ensure!(kinds <= T::MaxKindsPerDevice::get(), "more kinds than MaxKindsPerDevice");
				let status = T::Devices::device(device).map(|d| d.status);
				ensure!(status.is_some(), "attestation state of an unknown device");
				if status == Some(city_primitives::DeviceStatus::Decommissioned) {
					ensure!(
						Retiring::<T>::contains_key(device),
						"a decommissioned device's state is not being purged"
					);
				}
				for (seq, stored) in Anchors::<T>::iter_prefix(device) {
					ensure!(stored.anchor.batch_seq == seq, "anchor stored under another seq");
					ensure!(stored.anchor.device == device, "anchor stored under another device");
					ensure!(
						seq >= counters.first_anchor && seq <= counters.last_batch_seq,
						"anchor outside the counters' range"
					);
				}
				ensure!(counters.last_seq <= counters.readings, "more sequence than readings");
				ensure!(counters.last_batch_seq <= counters.batches, "more batches than counted");
			}
			for (device, _) in Latest::<T>::iter_keys() {
				ensure!(Counters::<T>::contains_key(device), "latest reading without counters");
			}
			for (device, _) in Anchors::<T>::iter_keys() {
				ensure!(Counters::<T>::contains_key(device), "anchor without counters");
			}
			for (device, _, history) in CounterHistory::<T>::iter() {
				ensure!(Counters::<T>::contains_key(device), "counter history without counters");
				ensure!(
					history.iter().zip(history.iter().skip(1)).all(|(a, b)| a.0 < b.0),
					"counter history out of time order"
				);
			}
			for device in Retiring::<T>::iter_keys() {
				let status = T::Devices::device(device).map(|d| d.status);
				ensure!(
					status == Some(city_primitives::DeviceStatus::Decommissioned),
					"purging a device that is not decommissioned"
				);
			}
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The runtime API's `verify_reading`.
		pub fn verify_reading(
			device: DeviceId,
			batch_seq: u64,
			reading: &Reading,
			leaf_index: u32,
			proof: &[H256],
		) -> Result<StoredAnchor<BlockNumberFor<T>>, runtime_api::VerifyError> {
			use runtime_api::VerifyError;
			if T::Devices::device(device).is_none() {
				return Err(VerifyError::UnknownDevice);
			}
			let stored = Anchors::<T>::get(device, batch_seq).ok_or(VerifyError::UnknownAnchor)?;
			if reading.device != device {
				return Err(VerifyError::DeviceMismatch);
			}
			if leaf_index >= stored.anchor.count {
				return Err(VerifyError::LeafIndexOutOfRange);
			}
			if !verify_inclusion(
				&stored.anchor.root,
				stored.anchor.count,
				leaf_index,
				reading,
				proof,
			) {
				return Err(VerifyError::ProofMismatch);
			}
			Ok(stored)
		}

		/// The newest reading of `kind` from `device`, if it reported one (and it is kept).
		pub fn latest(
			device: DeviceId,
			kind: MeasurementKind,
		) -> Option<LatestReading<BlockNumberFor<T>>> {
			Latest::<T>::get(device, kind)
		}

		/// The runtime API's `latest_readings`: every kind's newest reading (at most
		/// `MaxKindsPerDevice`), `None` for an unknown device.
		pub fn latest_of(
			device: DeviceId,
		) -> Option<alloc::vec::Vec<(MeasurementKind, LatestReading<BlockNumberFor<T>>)>> {
			T::Devices::device(device)?;
			let mut latest: alloc::vec::Vec<_> = Latest::<T>::iter_prefix(device)
				.take(T::MaxKindsPerDevice::get() as usize)
				.collect();
			latest.sort_by_key(|(kind, _)| *kind);
			Some(latest)
		}

		/// The runtime API's `counters`: `None` for an unknown device.
		pub fn counters_of(device: DeviceId) -> Option<DeviceCounters<BlockNumberFor<T>>> {
			T::Devices::device(device)?;
			Some(Counters::<T>::get(device).unwrap_or_default())
		}

		/// The runtime API's `anchors`: from `from`, at most `limit` (capped at the retention);
		/// `None` for an unknown device.
		pub fn anchors_from(
			device: DeviceId,
			from: u64,
			limit: u32,
		) -> Option<alloc::vec::Vec<StoredAnchor<BlockNumberFor<T>>>> {
			T::Devices::device(device)?;
			let Some(counters) = Counters::<T>::get(device) else {
				return Some(alloc::vec::Vec::new());
			};
			let limit = limit.min(T::MaxAnchorsPerDevice::get()) as usize;
			// Anchors before `first_anchor` were pruned: start at the first one still stored.
			let first = from.max(counters.first_anchor).max(1);
			Some(
				(first..=counters.last_batch_seq)
					.filter_map(|seq| Anchors::<T>::get(device, seq))
					.take(limit)
					.collect(),
			)
		}

		/// What free submissions used of the current block.
		pub fn free_usage() -> FreeUsage<BlockNumberFor<T>> {
			let used = FreeUsed::<T>::get();
			if used.block == frame_system::Pallet::<T>::block_number() {
				used
			} else {
				FreeUsage::default()
			}
		}

		/// The most bytes of this pallet's storage one device can occupy (its counters, a
		/// latest reading of every allowed kind, every retained anchor, keys included): what the
		/// registry's deposit must cover.
		pub fn max_state_bytes_per_device() -> u64 {
			// Hashed key prefixes (pallet + storage, 32 bytes), then the map keys.
			let device_key = 32 + 8 + 8;
			let counters = device_key + DeviceCounters::<BlockNumberFor<T>>::max_encoded_len();
			let latest = device_key
				+ 16 + MeasurementKind::max_encoded_len()
				+ LatestReading::<BlockNumberFor<T>>::max_encoded_len();
			let anchor = device_key + 8 + 8 + StoredAnchor::<BlockNumberFor<T>>::max_encoded_len();
			let retiring = device_key;
			let history = device_key
				+ 8 + EnergyFlow::max_encoded_len()
				+ BoundedVec::<(u64, u64), T::MaxCounterHistory>::max_encoded_len();
			(counters as u64)
				.saturating_add(2u64.saturating_mul(history as u64))
				.saturating_add(
					u64::from(T::MaxKindsPerDevice::get()).saturating_mul(latest as u64),
				)
				.saturating_add(
					u64::from(T::MaxAnchorsPerDevice::get()).saturating_mul(anchor as u64),
				)
				.saturating_add(retiring as u64)
		}
	}

	/// A meter's energy counter at a moment, from [`CounterHistory`]: the reading at that
	/// moment, or linear interpolation between the kept readings around it (rounded down; a
	/// counter that went backwards counts as unchanged); `None` when the kept readings do not
	/// surround it.
	impl<T: Config> city_primitives::MeterReadings for Pallet<T> {
		fn counter_at(device: DeviceId, flow: EnergyFlow, at_ms: u64) -> Option<u64> {
			let history = CounterHistory::<T>::get(device, flow);
			let after = history.iter().position(|(at, _)| *at >= at_ms)?;
			let (t1, v1) = *history.get(after)?;
			if t1 == at_ms {
				return Some(v1);
			}
			let (t0, v0) = *history.get(after.checked_sub(1)?)?;
			if v1 <= v0 {
				return Some(v0);
			}
			let gained = u128::from(v1.saturating_sub(v0)) * u128::from(at_ms.saturating_sub(t0))
				/ u128::from(t1.saturating_sub(t0).max(1));
			Some(v0.saturating_add(u64::try_from(gained).unwrap_or(0)))
		}
	}

	/// Removes a decommissioned device's attestation state, in bounded steps in `on_idle`.
	impl<T: Config> city_primitives::OnDeviceRetired for Pallet<T> {
		fn device_retired(device: DeviceId) {
			if Counters::<T>::contains_key(device) {
				Retiring::<T>::insert(device, ());
			}
		}

		fn weight() -> Weight {
			T::DbWeight::get().reads_writes(1, 1)
		}
	}

	/// The custom `InvalidTransaction` code of each error (its index in `Error`).
	fn error_code<T: Config>(error: Error<T>) -> u8 {
		match error.encode().first() {
			Some(code) => *code,
			None => u8::MAX,
		}
	}

	#[allow(deprecated)]
	#[pallet::validate_unsigned]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		/// Every check dispatch makes (the sequence may be ahead of the chain); cheap checks
		/// first, the signature last.
		fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			match call {
				Call::submit_reading { reading, key_epoch, signature } => {
					let checked = Self::check_reading(
						reading,
						*key_epoch,
						Some(signature),
						Payer::Device,
						Stage::Pool,
					)
					.map_err(Refusal::into_validity)?;
					Self::valid_transaction(b"reading", reading.device, reading.seq, checked.ahead)
				}
				Call::anchor_batch { anchor, key_epoch, signature } => {
					let checked = Self::check_anchor(
						anchor,
						*key_epoch,
						Some(signature),
						Payer::Device,
						Stage::Pool,
					)
					.map_err(Refusal::into_validity)?;
					Self::valid_transaction(
						b"batch",
						anchor.device,
						anchor.batch_seq,
						checked.ahead,
					)
				}
				_ => InvalidTransaction::Call.into(),
			}
		}

		/// In a block: the free share first (a full share refuses cheaply, and the submission
		/// waits in the pool), then every check for exactly the next sequence number, with the
		/// signature. Dispatch then cannot fail, so nothing is included for free as a failure.
		fn pre_dispatch(call: &Self::Call) -> Result<(), TransactionValidityError> {
			match call {
				Call::submit_reading { reading, key_epoch, signature } => {
					Self::reserve_free_share(call)?;
					Self::check_reading(
						reading,
						*key_epoch,
						Some(signature),
						Payer::Device,
						Stage::Block,
					)
					.map_err(Refusal::into_validity)?;
				}
				Call::anchor_batch { anchor, key_epoch, signature } => {
					Self::reserve_free_share(call)?;
					Self::check_anchor(
						anchor,
						*key_epoch,
						Some(signature),
						Payer::Device,
						Stage::Block,
					)
					.map_err(Refusal::into_validity)?;
				}
				_ => return Err(InvalidTransaction::Call.into()),
			}
			Ok(())
		}
	}
}
