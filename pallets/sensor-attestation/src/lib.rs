//! # Sensor attestation
//!
//! A reading counts only if the registered device signed it with its current key; readings of a
//! device carry a gapless sequence number, so they can neither be replayed nor reordered; anyone
//! can later prove that a reading was part of an anchored Merkle batch.
//!
//! - **Fee-less for devices.** `submit_reading` and `anchor_batch` are accepted as bare
//!   (unsigned) extrinsics, validated by the device signature in `validate_unsigned` before they
//!   enter the pool: device active, current key epoch, signature, sequence, timestamp window,
//!   per-device rate limit. Tags: `provides (device, seq)`, `requires (device, seq - 1)` when the
//!   reading is ahead of the chain, so the pool keeps a device's readings in order. The same
//!   calls signed by the device's owner or operator let a gateway pay instead.
//! - **Payloads** (SCALE, signed as-is; ECDSA signs blake2_256 of it):
//!   reading: `(READING_TAG, genesis_hash, key_epoch, reading)`;
//!   batch: `(BATCH_TAG, genesis_hash, key_epoch, anchor)`.
//! - **Merkle batches**: leaves are `SCALE(reading)`, hashed with blake2-256; inner nodes are
//!   `blake2_256(left ++ right)`; an odd last node is promoted unchanged (the
//!   `binary-merkle-tree` crate). A leaf is never 64 bytes, so no inner node passes as a leaf.
//! - **State**: latest reading per (device, kind); per-device counters; the last
//!   `MaxAnchorsPerDevice` anchors per device. Older anchors are pruned on insertion with an
//!   `AnchorPruned` event: retention is explicit, never silent. Full readings go out in events.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod names;
pub mod runtime_api;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use city_primitives::{DeviceId, KeyEpoch};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
pub use weights::WeightInfo;

/// Creates what the benchmarks need in the real runtime: an active device with a given key.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers an active device owned by `owner` with `key` (an ECDSA key generated in the
	/// host keystore under [`BENCHMARK_KEY_TYPE`], so the helper can sign its proof); returns
	/// its id, or why it could not (the benchmark then stops with that error).
	fn register_device(
		owner: &AccountId,
		key: city_primitives::DeviceKey,
	) -> Result<DeviceId, sp_runtime::DispatchError>;
}

/// Key type under which benchmark device keys live in the host keystore.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"catt");

/// Domain tag of a reading signature.
pub const READING_TAG: &[u8; 24] = b"CITYCHAIN/READING/v1\0\0\0\0";
/// Domain tag of a batch anchor signature.
pub const BATCH_TAG: &[u8; 24] = b"CITYCHAIN/BATCH/v1\0\0\0\0\0\0";

/// What a reading measures.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum MeasurementKind {
	/// Energy import counter (Wh).
	EnergyImport,
	/// Energy export counter (Wh).
	EnergyExport,
	/// Instantaneous power (W).
	Power,
	/// Parking space occupancy (0 free, 1 occupied).
	ParkingOccupancy,
	/// Particulate matter PM2.5 (0.1 µg/m³).
	AirPm25,
	/// Particulate matter PM10 (0.1 µg/m³).
	AirPm10,
	/// Nitrogen dioxide (0.1 µg/m³).
	AirNo2,
	/// Ozone (0.1 µg/m³).
	AirO3,
	/// Vehicle trip summary (value: distance in metres).
	TripSummary,
	/// Anything else, by a city-assigned code.
	Generic(u16),
}

/// Unit of a reading's value. Values are integers: the unit carries the scale.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Unit {
	/// Watt-hours.
	WattHour,
	/// Watts.
	Watt,
	/// A count or a state (0/1).
	Count,
	/// Tenths of a microgram per cubic metre.
	DeciMicrogramPerCubicMetre,
	/// Metres.
	Metre,
	/// Seconds.
	Second,
	/// A city-assigned unit code.
	Other(u16),
}

/// One reading of one device.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Reading {
	/// The device that measured.
	pub device: DeviceId,
	/// The device's sequence number: 1 for its first reading, then +1 for every reading.
	pub seq: u64,
	/// When it was measured, Unix milliseconds.
	pub timestamp_ms: u64,
	/// What was measured.
	pub kind: MeasurementKind,
	/// The value, an integer in `unit`.
	pub value: i64,
	/// The unit of `value`.
	pub unit: Unit,
}

/// A Merkle-rooted batch of readings, as signed by the device.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct BatchAnchor {
	/// The device whose readings these are.
	pub device: DeviceId,
	/// The device's batch sequence number: 1, 2, ... (gapless).
	pub batch_seq: u64,
	/// Timestamp (Unix ms) of the first reading in the batch.
	pub period_start_ms: u64,
	/// Timestamp (Unix ms) of the last reading in the batch.
	pub period_end_ms: u64,
	/// Number of readings (leaves).
	pub count: u32,
	/// Merkle root of the readings.
	pub root: H256,
}

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

/// The latest reading of one kind of one device (the device's digital twin).
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
	/// Submissions (readings and batches) in the current window.
	pub window_count: u32,
}

/// The bytes a device signs for a reading.
pub fn reading_payload<Hash: Encode>(
	genesis_hash: &Hash,
	key_epoch: KeyEpoch,
	reading: &Reading,
) -> alloc::vec::Vec<u8> {
	(READING_TAG, genesis_hash, key_epoch, reading).encode()
}

/// The bytes a device signs for a batch anchor.
pub fn batch_payload<Hash: Encode>(
	genesis_hash: &Hash,
	key_epoch: KeyEpoch,
	anchor: &BatchAnchor,
) -> alloc::vec::Vec<u8> {
	(BATCH_TAG, genesis_hash, key_epoch, anchor).encode()
}

/// Whether `proof` shows `reading` is leaf `leaf_index` of the `count`-leaf tree with `root`.
pub fn verify_inclusion(
	root: &H256,
	count: u32,
	leaf_index: u32,
	reading: &Reading,
	proof: &[H256],
) -> bool {
	binary_merkle_tree::verify_proof::<sp_runtime::traits::BlakeTwo256, _, _>(
		root,
		proof.iter().copied(),
		count,
		leaf_index,
		&reading.encode(),
	)
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use city_primitives::DeviceLookup;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{Saturating, Zero},
		MultiSignature,
	};

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of sensor attestation.
	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_timestamp::Config<Moment = u64> {
		/// The device registry.
		type Devices: DeviceLookup<Self::AccountId>;

		/// How far a reading's timestamp may be ahead of the chain's time (ms).
		#[pallet::constant]
		type MaxClockAhead: Get<u64>;

		/// How old a reading's timestamp may be when it is submitted (ms).
		#[pallet::constant]
		type MaxReadingAge: Get<u64>;

		/// How many readings ahead of the chain a device may queue in the pool.
		#[pallet::constant]
		type MaxPendingReadings: Get<u64>;

		/// Length of the rate-limit window, in blocks.
		#[pallet::constant]
		type RateWindow: Get<BlockNumberFor<Self>>;

		/// Submissions (readings and batches) allowed per device per window.
		#[pallet::constant]
		type MaxPerWindow: Get<u32>;

		/// Anchors kept per device; older ones are pruned (with an event).
		#[pallet::constant]
		type MaxAnchorsPerDevice: Get<u32>;

		/// Most readings in one batch.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Blocks an unsigned reading stays valid in the pool.
		#[pallet::constant]
		type UnsignedLongevity: Get<u64>;

		/// Priority of unsigned readings in the pool.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;

		/// Weights of the calls (from `benchmarking.rs`).
		type WeightInfo: WeightInfo;

		/// Creates devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Latest reading per (device, kind).
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
		StorageMap<_, Twox64Concat, DeviceId, DeviceCounters<BlockNumberFor<T>>, ValueQuery>;

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
	}

	/// Errors of sensor attestation.
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
		/// The device exceeded its submissions per window.
		RateLimited,
		/// Only the device's owner or operator may pay for its submissions.
		NotController,
		/// The batch is empty, too large, or its period is inverted.
		BadBatch,
		/// Sequence numbers are exhausted.
		Overflow,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Attest a reading signed by the device's current key. Bare (unsigned, fee-less,
		/// validated in the pool) or signed by the device's owner or operator (who pays).
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::submit_reading())]
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
	}

	impl<T: Config> Pallet<T> {
		/// `None` for a bare extrinsic (already validated by `validate_unsigned`), the account
		/// for a signed one.
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

		/// Checks device, key and signature; returns the device's counters.
		fn check_device(
			device: DeviceId,
			key_epoch: KeyEpoch,
			payload: &[u8],
			signature: &MultiSignature,
			payer: Option<&T::AccountId>,
		) -> Result<(), Error<T>> {
			let summary = T::Devices::device(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(summary.is_active(), Error::<T>::DeviceNotActive);
			if let Some(payer) = payer {
				ensure!(summary.is_controller(payer), Error::<T>::NotController);
			}
			ensure!(summary.key_epoch == key_epoch, Error::<T>::StaleKeyEpoch);
			ensure!(summary.key.verify(payload, signature), Error::<T>::BadSignature);
			Ok(())
		}

		/// The counters after one more submission in the rate window, or `RateLimited`.
		fn count_submission(
			mut counters: DeviceCounters<BlockNumberFor<T>>,
		) -> Result<DeviceCounters<BlockNumberFor<T>>, Error<T>> {
			let now = frame_system::Pallet::<T>::block_number();
			if now.saturating_sub(counters.window_start) >= T::RateWindow::get() {
				counters.window_start = now;
				counters.window_count = 0;
			}
			ensure!(counters.window_count < T::MaxPerWindow::get(), Error::<T>::RateLimited);
			counters.window_count = counters.window_count.saturating_add(1);
			Ok(counters)
		}

		fn check_timestamp(timestamp_ms: u64) -> Result<(), Error<T>> {
			let now = pallet_timestamp::Pallet::<T>::get();
			ensure!(
				timestamp_ms <= now.saturating_add(T::MaxClockAhead::get())
					&& timestamp_ms.saturating_add(T::MaxReadingAge::get()) >= now,
				Error::<T>::TimestampOutOfWindow
			);
			Ok(())
		}

		/// Attests a reading.
		pub fn do_submit_reading(
			payer: Option<T::AccountId>,
			reading: Reading,
			key_epoch: KeyEpoch,
			signature: MultiSignature,
		) -> DispatchResult {
			let payload = reading_payload(&Self::genesis_hash(), key_epoch, &reading);
			Self::check_device(reading.device, key_epoch, &payload, &signature, payer.as_ref())?;
			let counters = Counters::<T>::get(reading.device);
			let expected = counters.last_seq.checked_add(1).ok_or(Error::<T>::Overflow)?;
			ensure!(reading.seq == expected, Error::<T>::BadSequence);
			Self::check_timestamp(reading.timestamp_ms)?;
			let mut counters = Self::count_submission(counters)?;
			counters.last_seq = reading.seq;
			counters.readings = counters.readings.saturating_add(1);
			Counters::<T>::insert(reading.device, counters);
			Latest::<T>::insert(
				reading.device,
				reading.kind,
				LatestReading {
					seq: reading.seq,
					timestamp_ms: reading.timestamp_ms,
					value: reading.value,
					unit: reading.unit,
					block: frame_system::Pallet::<T>::block_number(),
				},
			);
			Self::deposit_event(Event::ReadingAttested { reading, key_epoch, payer });
			Ok(())
		}

		/// Anchors a batch, pruning the device's oldest anchor beyond the retention bound.
		pub fn do_anchor_batch(
			payer: Option<T::AccountId>,
			anchor: BatchAnchor,
			key_epoch: KeyEpoch,
			signature: MultiSignature,
		) -> DispatchResult {
			ensure!(
				anchor.count > 0
					&& anchor.count <= T::MaxBatchSize::get()
					&& anchor.period_start_ms <= anchor.period_end_ms,
				Error::<T>::BadBatch
			);
			let payload = batch_payload(&Self::genesis_hash(), key_epoch, &anchor);
			Self::check_device(anchor.device, key_epoch, &payload, &signature, payer.as_ref())?;
			let counters = Counters::<T>::get(anchor.device);
			let expected = counters.last_batch_seq.checked_add(1).ok_or(Error::<T>::Overflow)?;
			ensure!(anchor.batch_seq == expected, Error::<T>::BadSequence);
			Self::check_timestamp(anchor.period_end_ms)?;
			let mut counters = Self::count_submission(counters)?;
			counters.last_batch_seq = anchor.batch_seq;
			counters.batches = counters.batches.saturating_add(1);
			Counters::<T>::insert(anchor.device, counters);
			let keep = u64::from(T::MaxAnchorsPerDevice::get());
			if anchor.batch_seq > keep {
				let old = anchor.batch_seq.saturating_sub(keep);
				if Anchors::<T>::take(anchor.device, old).is_some() {
					Self::deposit_event(Event::AnchorPruned {
						device: anchor.device,
						batch_seq: old,
					});
				}
			}
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

		/// Pool validity of a bare reading or anchor: the same checks as dispatch, except that
		/// a sequence number ahead of the chain (up to `MaxPendingReadings`) is valid and
		/// requires its predecessor.
		fn validate_bare(
			device: DeviceId,
			seq: u64,
			last: u64,
			tag: &'static [u8],
			key_epoch: KeyEpoch,
			payload: &[u8],
			signature: &MultiSignature,
		) -> TransactionValidity {
			let invalid = |code: u8| InvalidTransaction::Custom(code);
			Self::check_device(device, key_epoch, payload, signature, None)
				.map_err(|e| invalid(error_code::<T>(e)))?;
			ensure!(seq > last, InvalidTransaction::Stale);
			ensure!(
				seq <= last.saturating_add(T::MaxPendingReadings::get()),
				InvalidTransaction::Future
			);
			let counters = Counters::<T>::get(device);
			Self::count_submission(counters).map_err(|e| invalid(error_code::<T>(e)))?;
			let mut builder = ValidTransaction::with_tag_prefix("CityAttestation")
				.priority(T::UnsignedPriority::get())
				.longevity(T::UnsignedLongevity::get())
				.and_provides((tag, device, seq))
				.propagate(true);
			if seq > last.saturating_add(1) {
				builder = builder.and_requires((tag, device, seq.saturating_sub(1)));
			}
			builder.build()
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

		/// The runtime API's `anchors`: from `from`, at most `limit` (capped at the retention).
		pub fn anchors_from(
			device: DeviceId,
			from: u64,
			limit: u32,
		) -> alloc::vec::Vec<StoredAnchor<BlockNumberFor<T>>> {
			let keep = u64::from(T::MaxAnchorsPerDevice::get());
			let limit = limit.min(T::MaxAnchorsPerDevice::get()) as usize;
			let last = Counters::<T>::get(device).last_batch_seq;
			// Anchors before `oldest` were pruned: start at the first one still stored.
			let oldest = last.saturating_sub(keep).saturating_add(1);
			(from.max(oldest)..=last)
				.take(limit)
				.filter_map(|seq| Anchors::<T>::get(device, seq))
				.collect()
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

		fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			match call {
				Call::submit_reading { reading, key_epoch, signature } => {
					Self::check_timestamp(reading.timestamp_ms)
						.map_err(|_| InvalidTransaction::Stale)?;
					let payload = reading_payload(&Self::genesis_hash(), *key_epoch, reading);
					Self::validate_bare(
						reading.device,
						reading.seq,
						Counters::<T>::get(reading.device).last_seq,
						b"reading",
						*key_epoch,
						&payload,
						signature,
					)
				}
				Call::anchor_batch { anchor, key_epoch, signature } => {
					let payload = batch_payload(&Self::genesis_hash(), *key_epoch, anchor);
					Self::validate_bare(
						anchor.device,
						anchor.batch_seq,
						Counters::<T>::get(anchor.device).last_batch_seq,
						b"batch",
						*key_epoch,
						&payload,
						signature,
					)
				}
				_ => InvalidTransaction::Call.into(),
			}
		}

		fn pre_dispatch(call: &Self::Call) -> Result<(), TransactionValidityError> {
			// In a block, the sequence must be exactly the next one: dispatch checks it again,
			// but a failing bare extrinsic would be included for free, so refuse it here.
			let (device, seq, last) = match call {
				Call::submit_reading { reading, .. } => {
					(reading.device, reading.seq, Counters::<T>::get(reading.device).last_seq)
				}
				Call::anchor_batch { anchor, .. } => (
					anchor.device,
					anchor.batch_seq,
					Counters::<T>::get(anchor.device).last_batch_seq,
				),
				_ => return Err(InvalidTransaction::Call.into()),
			};
			let _ = device;
			if seq != last.saturating_add(1) {
				return Err(if seq <= last {
					InvalidTransaction::Stale
				} else {
					InvalidTransaction::Future
				}
				.into());
			}
			Self::validate_unsigned(TransactionSource::InBlock, call).map(|_| ())
		}
	}
}
