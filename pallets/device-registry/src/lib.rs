//! # Device registry
//!
//! Every smart-city device (meters, solar inverters, parking and air sensors, vehicles,
//! chargers) is registered here with its own key, owner, zone, status and certification, so that
//! its data and its money can be trusted by the rest of the chain.
//!
//! - **Proof of key possession.** Registration and key rotation carry a signature by the device
//!   key over a domain-separated payload naming the chain's genesis hash, so nobody can register
//!   a key they do not hold, and a proof made for another chain or purpose is useless here. The
//!   exact payloads are in this crate's `README.md` and in [`register_payload`] and
//!   [`rotate_payload`].
//! - **Keys are never reused.** [`DeviceByKey`] maps every key ever registered (also rotated-away
//!   keys, and keys of revoked or decommissioned devices) to its device, forever.
//! - **Deposit.** The owner's deposit is held with the [`HoldReason::DeviceDeposit`] hold:
//!   `DepositBase` (the record, and what other pallets let a device store: the runtime sizes it
//!   from their bounds), `KeyDeposit` per key the device has had (every key stays in the
//!   indexes forever) and `DepositPerByte` of metadata. Decommissioning releases all of it but
//!   what pays for the state that stays forever: `RetainedDeposit` (the record) plus
//!   `KeyDeposit` per key. Pallets told through [`Config::OnRetired`] remove the rest of the
//!   device's state.
//! - **Lifecycle.** `Active <-> Suspended`; `Active | Suspended -> Revoked` (permanent);
//!   any of these `-> Decommissioned` (deposit back). Records are kept after revocation and
//!   decommissioning so that earlier readings stay verifiable ([`KeyHistory`]).
//! - Other pallets read devices through [`city_primitives::DeviceLookup`], implemented by
//!   [`Pallet`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub mod migrations;
pub mod runtime_api;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use city_primitives::{DeviceId, DeviceKey, KeyEpoch};
use codec::Encode;

/// Domain tags of the registration and rotation proofs, defined once in the device SDK
/// (`city-device`).
pub use city_device::{REGISTER_TAG, ROTATE_TAG};

/// The bytes a device key signs to prove possession at registration:
/// `SCALE(REGISTER_TAG, genesis_hash, owner, key)` (`city_device::register_payload`).
pub fn register_payload<AccountId: Encode>(
	genesis_hash: &sp_core::H256,
	owner: &AccountId,
	key: &DeviceKey,
) -> alloc::vec::Vec<u8> {
	city_device::register_payload(genesis_hash, owner, key)
}

/// The bytes the new key signs at rotation:
/// `SCALE(ROTATE_TAG, genesis_hash, device_id, new_epoch, new_key)`
/// (`city_device::rotate_payload`).
pub fn rotate_payload(
	genesis_hash: &sp_core::H256,
	device: DeviceId,
	new_epoch: KeyEpoch,
	new_key: &DeviceKey,
) -> alloc::vec::Vec<u8> {
	city_device::rotate_payload(genesis_hash, device, new_epoch, new_key)
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use city_primitives::{DeviceClass, DeviceStatus, Suspender, ZoneId};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{Saturating, Zero},
		MultiSignature,
	};

	/// The balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A device record as stored.
	pub type DeviceOf<T> = Device<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxUriLen,
	>;
	/// Device metadata with this runtime's bounds.
	pub type MetadataOf<T> = DeviceMetadata<<T as Config>::MaxUriLen>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the device registry. The chain's hash is `H256`: device keys sign the
	/// 32-byte genesis hash (`city_device::register_payload`).
	#[pallet::config]
	pub trait Config: frame_system::Config<Hash = sp_core::H256> {
		/// The currency the registration deposit is held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The city registrar: certifies devices, and may suspend, resume or revoke any device.
		type RegistrarOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Deposit held for every device, whatever its metadata: its record and the state other
		/// pallets let it create (attestation counters, latest readings, anchors).
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// Deposit held per key a device has had (the registration key and every rotation):
		/// each key stays in `DeviceByKey` and `KeyHistory` forever.
		#[pallet::constant]
		type KeyDeposit: Get<BalanceOf<Self>>;

		/// The part of `DepositBase` kept held after decommissioning, for the record that stays
		/// (with `KeyDeposit` per key).
		#[pallet::constant]
		type RetainedDeposit: Get<BalanceOf<Self>>;

		/// Told when a device is decommissioned, to remove what it left in other pallets.
		type OnRetired: city_primitives::OnDeviceRetired;

		/// Deposit held per byte of (SCALE-encoded) metadata.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Maximum number of live (not decommissioned) devices per owner.
		#[pallet::constant]
		type MaxDevicesPerOwner: Get<u32>;

		/// Maximum number of devices of one class in one zone that are neither revoked nor
		/// decommissioned: bounds the zone index that zone queries (free parking, a district's
		/// meters) read. The registrar revokes squatters to make room.
		#[pallet::constant]
		type MaxDevicesPerZone: Get<u32>;

		/// Maximum length of a device's metadata URI, in bytes.
		#[pallet::constant]
		type MaxUriLen: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The storage deposit of a registered device.
		#[codec(index = 0)]
		DeviceDeposit,
	}

	/// The id the next registered device gets.
	#[pallet::storage]
	pub type NextDeviceId<T> = StorageValue<_, DeviceId, ValueQuery>;

	/// Device records by id. Kept after revocation and decommissioning.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<_, Twox64Concat, DeviceId, DeviceOf<T>, OptionQuery>;

	/// Every key ever registered, to the device it belongs to. Never removed, so a key can
	/// never be registered twice.
	#[pallet::storage]
	pub type DeviceByKey<T: Config> =
		StorageMap<_, Blake2_128Concat, DeviceKey, DeviceId, OptionQuery>;

	/// Every key a device has had, by epoch (0 = the registration key).
	#[pallet::storage]
	pub type KeyHistory<T: Config> =
		StorageDoubleMap<_, Twox64Concat, DeviceId, Twox64Concat, KeyEpoch, DeviceKey, OptionQuery>;

	/// The live (not decommissioned) devices of each owner, for paging by owner.
	#[pallet::storage]
	pub type DevicesByOwner<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		DeviceId,
		(),
		OptionQuery,
	>;

	/// Number of live devices of each owner (bounded by `MaxDevicesPerOwner`).
	#[pallet::storage]
	pub type OwnerDeviceCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The devices of each class in each zone that may still act (not revoked, not
	/// decommissioned), by id: what zone queries read instead of scanning every device. At
	/// most `MaxDevicesPerZone` per (zone, class).
	#[pallet::storage]
	pub type DevicesByZone<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, ZoneId>,
			NMapKey<Twox64Concat, DeviceClass>,
			NMapKey<Twox64Concat, DeviceId>,
		),
		(),
		OptionQuery,
	>;

	/// Number of indexed devices of each class in each zone (bounded by `MaxDevicesPerZone`).
	#[pallet::storage]
	pub type ZoneDeviceCount<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ZoneId, Twox64Concat, DeviceClass, u32, ValueQuery>;

	/// Events of the device registry.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device was registered.
		Registered {
			device: DeviceId,
			owner: T::AccountId,
			class: DeviceClass,
			zone: ZoneId,
			key: DeviceKey,
			deposit: BalanceOf<T>,
		},
		/// A device's metadata changed; `deposit` is the new deposit held.
		MetadataUpdated { device: DeviceId, deposit: BalanceOf<T> },
		/// A device's key was rotated; the old key stays in `KeyHistory`.
		KeyRotated { device: DeviceId, epoch: KeyEpoch, key: DeviceKey },
		/// A device changed owner; its deposit moved with it.
		OwnershipTransferred { device: DeviceId, from: T::AccountId, to: T::AccountId },
		/// A device's operator (gateway) was set or cleared.
		OperatorSet { device: DeviceId, operator: Option<T::AccountId> },
		/// A device was suspended.
		Suspended { device: DeviceId, by: Suspender },
		/// A suspended device is active again.
		Resumed { device: DeviceId },
		/// A device was revoked, permanently.
		Revoked { device: DeviceId },
		/// A device was decommissioned: `deposit_released` went back to the owner,
		/// `deposit_retained` stays held for the record and keys kept forever.
		Decommissioned {
			device: DeviceId,
			deposit_released: BalanceOf<T>,
			deposit_retained: BalanceOf<T>,
		},
		/// The city registrar certified a device.
		Certified { device: DeviceId },
		/// The city registrar withdrew a device's certification.
		Uncertified { device: DeviceId },
	}

	/// Errors of the device registry.
	#[pallet::error]
	pub enum Error<T> {
		/// No device has this id.
		UnknownDevice,
		/// The proof signature is not the device key's signature of the expected payload
		/// (wrong key, wrong owner, wrong chain, wrong domain tag, or tampered).
		BadProof,
		/// The proof's signature scheme differs from the key's (e.g. an ed25519 signature for an
		/// sr25519 key).
		SignatureSchemeMismatch,
		/// This key is or was registered already; keys are never reused.
		KeyAlreadyUsed,
		/// Only the device's owner may do this.
		NotOwner,
		/// Only the device's owner or the city registrar may do this.
		NotOwnerOrRegistrar,
		/// The owner has reached `MaxDevicesPerOwner` live devices.
		TooManyDevices,
		/// The zone has `MaxDevicesPerZone` live devices of this class already (a city splits
		/// a crowded district into zones).
		ZoneFull,
		/// The owner cannot afford the deposit.
		InsufficientBalanceForDeposit,
		/// The new owner cannot take over the deposit (the account must exist).
		NewOwnerCannotHoldDeposit,
		/// The device is already owned by this account.
		AlreadyOwner,
		/// The device must be active for this.
		NotActive,
		/// The device is not suspended.
		NotSuspended,
		/// The registrar suspended this device; only the registrar can resume it.
		SuspendedByRegistrar,
		/// The device is revoked; revocation is permanent.
		Revoked,
		/// The device is decommissioned.
		Decommissioned,
		/// The device is certified already.
		AlreadyCertified,
		/// The device is not certified.
		NotCertified,
		/// The metadata geohash is not valid base32 geohash text.
		InvalidGeohash,
		/// Device ids or key epochs are exhausted.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxDevicesPerOwner::get() >= 1, "an owner must be able to register");
			assert!(
				T::DepositBase::get() >= T::RetainedDeposit::get(),
				"the retained deposit is part of the base deposit"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a device owned by the caller.
		///
		/// `proof` is the device key's signature of
		/// `SCALE(REGISTER_TAG, genesis_hash, caller, key)`. Holds the deposit
		/// (`DepositBase + DepositPerByte * metadata bytes`) from the caller.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			class: DeviceClass,
			zone: ZoneId,
			key: DeviceKey,
			proof: MultiSignature,
			operator: Option<T::AccountId>,
			metadata: MetadataOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register(owner, class, zone, key, proof, operator, metadata).map(|_| ())
		}

		/// Replace a device's metadata (owner only). The deposit follows the new size.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_metadata())]
		pub fn update_metadata(
			origin: OriginFor<T>,
			device: DeviceId,
			metadata: MetadataOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_metadata(who, device, metadata)
		}

		/// Rotate a device's key (owner only: an operator that could rotate the key could take
		/// the device over). `proof` is the *new* key's signature of
		/// `SCALE(ROTATE_TAG, genesis_hash, device, new_epoch, new_key)` where `new_epoch` is the
		/// current epoch + 1. The old key stays in `KeyHistory` and can never be reused; another
		/// `KeyDeposit` is held for it. A certified device loses its certification: the
		/// registrar certified the hardware that held the old key.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_key: DeviceKey,
			proof: MultiSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_rotate_key(who, device, new_key, proof)
		}

		/// Transfer a device to a new owner (owner only). The deposit moves to the new owner's
		/// hold; the operator is cleared.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::transfer_ownership())]
		pub fn transfer_ownership(
			origin: OriginFor<T>,
			device: DeviceId,
			new_owner: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_transfer_ownership(who, device, new_owner)
		}

		/// Set (`Some`) or clear (`None`) the operator, a gateway allowed to submit (and pay)
		/// for the device (owner only).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_operator())]
		pub fn set_operator(
			origin: OriginFor<T>,
			device: DeviceId,
			operator: Option<T::AccountId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_operator(who, device, operator)
		}

		/// Suspend an active device (owner or registrar).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::suspend())]
		pub fn suspend(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let by = Self::owner_or_registrar(origin, device)?;
			Self::do_suspend(device, by)
		}

		/// Resume a suspended device (the registrar, or the owner if the owner suspended it).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let by = Self::owner_or_registrar(origin, device)?;
			Self::do_resume(device, by)
		}

		/// Revoke a device permanently (owner or registrar). The record and keys are kept.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			Self::owner_or_registrar(origin, device)?;
			Self::do_revoke(device)
		}

		/// Retire a device (owner only): the deposit is returned but for `RetainedDeposit` and
		/// `KeyDeposit` per key (the record and keys are kept forever), the metadata cleared,
		/// and other pallets remove the device's state.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::decommission().saturating_add(
			<T::OnRetired as city_primitives::OnDeviceRetired>::weight()
		))]
		pub fn decommission(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_decommission(who, device)
		}

		/// Certify a device (registrar only), e.g. a calibrated meter.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::certify())]
		pub fn certify(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			// A registrar that is an account (not root or a collective) is named in the record.
			let by = ensure_signed(origin.clone()).ok();
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_set_certified(device, Some(by))
		}

		/// Withdraw a device's certification (registrar only).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::uncertify())]
		pub fn uncertify(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			T::RegistrarOrigin::ensure_origin(origin)?;
			Self::do_set_certified(device, None)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The genesis hash that proofs must name.
		pub fn genesis_hash() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		/// The most bytes a device's record and its place in the owner index occupy, but for
		/// the metadata beyond its empty form (priced per byte with `DepositPerByte`): what
		/// `DepositBase` and `RetainedDeposit` pay for.
		pub fn record_bytes() -> u64 {
			// Hashed pallet and storage prefixes: 32 bytes per entry.
			let record = (32 + 8 + 8 + DeviceOf::<T>::max_encoded_len())
				.saturating_sub(MetadataOf::<T>::max_encoded_len())
				.saturating_add(MetadataOf::<T>::default().encoded_size());
			let by_owner = 32 + 16 + T::AccountId::max_encoded_len() + 8 + 8;
			let owner_count = 32 + 16 + T::AccountId::max_encoded_len() + 4;
			// The zone index entry, and the zone's count (which the zone's first device of a
			// class creates; every device pays for it, so whoever comes first is covered).
			let zone_class = (8 + 4) + (8 + DeviceClass::max_encoded_len());
			let by_zone = 32 + zone_class + (8 + 8);
			let zone_count = 32 + zone_class + 4;
			(record + by_owner + owner_count + by_zone + zone_count) as u64
		}

		/// The bytes one key occupies forever (`DeviceByKey` and `KeyHistory`): what
		/// `KeyDeposit` pays for.
		pub fn key_bytes() -> u64 {
			let by_key = 32 + 16 + DeviceKey::max_encoded_len() + 8;
			let history = 32 + 8 + 8 + 8 + 4 + DeviceKey::max_encoded_len();
			(by_key + history) as u64
		}

		/// The deposit for a device with `metadata` whose current key has epoch `key_epoch`.
		pub fn deposit_for(metadata: &MetadataOf<T>, key_epoch: KeyEpoch) -> BalanceOf<T> {
			let bytes: BalanceOf<T> = (metadata.encoded_size() as u32).into();
			T::DepositBase::get()
				.saturating_add(Self::keys_deposit(key_epoch))
				.saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
		}

		/// `KeyDeposit` for every key up to epoch `key_epoch`.
		fn keys_deposit(key_epoch: KeyEpoch) -> BalanceOf<T> {
			let keys: BalanceOf<T> = key_epoch.saturating_add(1).into();
			T::KeyDeposit::get().saturating_mul(keys)
		}

		/// What stays held after decommissioning a device whose last key has epoch `key_epoch`.
		pub fn retained_deposit(key_epoch: KeyEpoch) -> BalanceOf<T> {
			T::RetainedDeposit::get().saturating_add(Self::keys_deposit(key_epoch))
		}

		fn device_or_err(device: DeviceId) -> Result<DeviceOf<T>, DispatchError> {
			Devices::<T>::get(device).ok_or_else(|| Error::<T>::UnknownDevice.into())
		}

		/// Fails unless the device is neither revoked nor decommissioned.
		fn ensure_live(record: &DeviceOf<T>) -> DispatchResult {
			match record.status {
				DeviceStatus::Revoked => Err(Error::<T>::Revoked.into()),
				DeviceStatus::Decommissioned => Err(Error::<T>::Decommissioned.into()),
				_ => Ok(()),
			}
		}

		/// Who is acting: the registrar origin, or the device's owner (signed).
		fn owner_or_registrar(
			origin: OriginFor<T>,
			device: DeviceId,
		) -> Result<Suspender, DispatchError> {
			if T::RegistrarOrigin::try_origin(origin.clone()).is_ok() {
				return Ok(Suspender::Registrar);
			}
			let who = ensure_signed(origin)?;
			let record = Self::device_or_err(device)?;
			ensure!(record.owner == who, Error::<T>::NotOwnerOrRegistrar);
			Ok(Suspender::Owner)
		}

		fn ensure_proof(key: &DeviceKey, payload: &[u8], proof: &MultiSignature) -> DispatchResult {
			ensure!(key.same_scheme(proof), Error::<T>::SignatureSchemeMismatch);
			ensure!(key.verify(payload, proof), Error::<T>::BadProof);
			Ok(())
		}

		/// Registers a device; returns its id.
		pub fn do_register(
			owner: T::AccountId,
			class: DeviceClass,
			zone: ZoneId,
			key: DeviceKey,
			proof: MultiSignature,
			operator: Option<T::AccountId>,
			metadata: MetadataOf<T>,
		) -> Result<DeviceId, DispatchError> {
			ensure!(metadata.geohash_is_valid(), Error::<T>::InvalidGeohash);
			ensure!(!DeviceByKey::<T>::contains_key(&key), Error::<T>::KeyAlreadyUsed);
			let payload = register_payload(&Self::genesis_hash(), &owner, &key);
			Self::ensure_proof(&key, &payload, &proof)?;
			let count = OwnerDeviceCount::<T>::get(&owner);
			ensure!(count < T::MaxDevicesPerOwner::get(), Error::<T>::TooManyDevices);
			let in_zone = ZoneDeviceCount::<T>::get(zone, class);
			ensure!(in_zone < T::MaxDevicesPerZone::get(), Error::<T>::ZoneFull);
			let id = NextDeviceId::<T>::get();
			let next_id = id.checked_add(1).ok_or(Error::<T>::Overflow)?;

			let deposit = Self::deposit_for(&metadata, 0);
			T::Currency::hold(&HoldReason::DeviceDeposit.into(), &owner, deposit)
				.map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;

			let record = Device {
				owner: owner.clone(),
				operator,
				class,
				zone,
				key: key.clone(),
				key_epoch: 0,
				status: DeviceStatus::Active,
				certification: None,
				revoked_at: None,
				metadata,
				registered_at: frame_system::Pallet::<T>::block_number(),
				deposit,
			};
			Devices::<T>::insert(id, record);
			DeviceByKey::<T>::insert(&key, id);
			KeyHistory::<T>::insert(id, 0, &key);
			DevicesByOwner::<T>::insert(&owner, id, ());
			OwnerDeviceCount::<T>::insert(&owner, count.saturating_add(1));
			DevicesByZone::<T>::insert((zone, class, id), ());
			ZoneDeviceCount::<T>::insert(zone, class, in_zone.saturating_add(1));
			NextDeviceId::<T>::put(next_id);

			Self::deposit_event(Event::Registered { device: id, owner, class, zone, key, deposit });
			Ok(id)
		}

		/// Replaces the metadata, adjusting the deposit to its size.
		pub fn do_update_metadata(
			who: T::AccountId,
			device: DeviceId,
			metadata: MetadataOf<T>,
		) -> DispatchResult {
			ensure!(metadata.geohash_is_valid(), Error::<T>::InvalidGeohash);
			let mut record = Self::device_or_err(device)?;
			ensure!(record.owner == who, Error::<T>::NotOwner);
			Self::ensure_live(&record)?;
			let new_deposit = Self::deposit_for(&metadata, record.key_epoch);
			Self::adjust_hold(&who, record.deposit, new_deposit)?;
			record.deposit = new_deposit;
			record.metadata = metadata;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::MetadataUpdated { device, deposit: new_deposit });
			Ok(())
		}

		/// Holds more or releases part of `owner`'s deposit, from `old` to `new`.
		fn adjust_hold(
			owner: &T::AccountId,
			old: BalanceOf<T>,
			new: BalanceOf<T>,
		) -> DispatchResult {
			let reason = HoldReason::DeviceDeposit.into();
			if new > old {
				T::Currency::hold(&reason, owner, new.saturating_sub(old))
					.map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;
			} else if old > new {
				T::Currency::release(
					&reason,
					owner,
					old.saturating_sub(new),
					Precision::BestEffort,
				)?;
			}
			Ok(())
		}

		/// Rotates the device key, checking the new key's proof.
		pub fn do_rotate_key(
			who: T::AccountId,
			device: DeviceId,
			new_key: DeviceKey,
			proof: MultiSignature,
		) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			ensure!(record.owner == who, Error::<T>::NotOwner);
			Self::ensure_live(&record)?;
			ensure!(!DeviceByKey::<T>::contains_key(&new_key), Error::<T>::KeyAlreadyUsed);
			let epoch = record.key_epoch.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let payload = rotate_payload(&Self::genesis_hash(), device, epoch, &new_key);
			Self::ensure_proof(&new_key, &payload, &proof)?;
			let key_deposit = T::KeyDeposit::get();
			T::Currency::hold(&HoldReason::DeviceDeposit.into(), &who, key_deposit)
				.map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;

			record.deposit = record.deposit.saturating_add(key_deposit);
			record.key = new_key.clone();
			record.key_epoch = epoch;
			// The registrar certified the device with its old key; a new key may be in other
			// hardware (a laptop), so the certification (and with it the free path) goes until
			// the registrar certifies again.
			let uncertified = record.certification.take().is_some();
			Devices::<T>::insert(device, record);
			DeviceByKey::<T>::insert(&new_key, device);
			KeyHistory::<T>::insert(device, epoch, &new_key);
			Self::deposit_event(Event::KeyRotated { device, epoch, key: new_key });
			if uncertified {
				Self::deposit_event(Event::Uncertified { device });
			}
			Ok(())
		}

		/// Moves the device, its deposit and its place in the owner index to `new_owner`.
		pub fn do_transfer_ownership(
			who: T::AccountId,
			device: DeviceId,
			new_owner: T::AccountId,
		) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			ensure!(record.owner == who, Error::<T>::NotOwner);
			Self::ensure_live(&record)?;
			ensure!(new_owner != who, Error::<T>::AlreadyOwner);
			let new_count = OwnerDeviceCount::<T>::get(&new_owner);
			ensure!(new_count < T::MaxDevicesPerOwner::get(), Error::<T>::TooManyDevices);

			T::Currency::transfer_on_hold(
				&HoldReason::DeviceDeposit.into(),
				&who,
				&new_owner,
				record.deposit,
				Precision::Exact,
				Restriction::OnHold,
				Fortitude::Polite,
			)
			.map_err(|_| Error::<T>::NewOwnerCannotHoldDeposit)?;

			DevicesByOwner::<T>::remove(&who, device);
			OwnerDeviceCount::<T>::mutate(&who, |count| *count = count.saturating_sub(1));
			DevicesByOwner::<T>::insert(&new_owner, device, ());
			OwnerDeviceCount::<T>::insert(&new_owner, new_count.saturating_add(1));
			record.owner = new_owner.clone();
			record.operator = None;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::OwnershipTransferred { device, from: who, to: new_owner });
			Ok(())
		}

		/// Sets or clears the operator.
		pub fn do_set_operator(
			who: T::AccountId,
			device: DeviceId,
			operator: Option<T::AccountId>,
		) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			ensure!(record.owner == who, Error::<T>::NotOwner);
			Self::ensure_live(&record)?;
			record.operator = operator.clone();
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::OperatorSet { device, operator });
			Ok(())
		}

		/// Suspends an active device.
		pub fn do_suspend(device: DeviceId, by: Suspender) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			Self::ensure_live(&record)?;
			ensure!(record.status == DeviceStatus::Active, Error::<T>::NotActive);
			record.status = DeviceStatus::Suspended(by);
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::Suspended { device, by });
			Ok(())
		}

		/// Resumes a suspended device; an owner cannot lift the registrar's suspension.
		pub fn do_resume(device: DeviceId, by: Suspender) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			Self::ensure_live(&record)?;
			match record.status {
				DeviceStatus::Suspended(Suspender::Registrar) if by == Suspender::Owner => {
					return Err(Error::<T>::SuspendedByRegistrar.into())
				}
				DeviceStatus::Suspended(_) => {}
				_ => return Err(Error::<T>::NotSuspended.into()),
			}
			record.status = DeviceStatus::Active;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::Resumed { device });
			Ok(())
		}

		/// Revokes a device permanently.
		pub fn do_revoke(device: DeviceId) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			Self::ensure_live(&record)?;
			record.status = DeviceStatus::Revoked;
			record.revoked_at = Some(frame_system::Pallet::<T>::block_number());
			// A revoked device leaves its zone: it can never act again, and a zone filled
			// with devices the registrar revoked must not stay full.
			Self::leave_zone(&record, device);
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::Revoked { device });
			Ok(())
		}

		/// Decommissions a device: releases the deposit but for what the kept record and keys
		/// need, clears the metadata and operator, removes it from the owner's and the zone's
		/// indexes and tells
		/// `OnRetired`. Revoked devices may be decommissioned too (the deposit is not a fine);
		/// `revoked_at` keeps the record of the revocation.
		pub fn do_decommission(who: T::AccountId, device: DeviceId) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			ensure!(record.owner == who, Error::<T>::NotOwner);
			ensure!(record.status != DeviceStatus::Decommissioned, Error::<T>::Decommissioned);
			let retained = Self::retained_deposit(record.key_epoch).min(record.deposit);
			let released = T::Currency::release(
				&HoldReason::DeviceDeposit.into(),
				&who,
				record.deposit.saturating_sub(retained),
				Precision::BestEffort,
			)?;
			DevicesByOwner::<T>::remove(&who, device);
			OwnerDeviceCount::<T>::mutate(&who, |count| *count = count.saturating_sub(1));
			Self::leave_zone(&record, device);
			record.status = DeviceStatus::Decommissioned;
			record.deposit = retained;
			record.operator = None;
			record.metadata = Default::default();
			Devices::<T>::insert(device, record);
			<T::OnRetired as city_primitives::OnDeviceRetired>::device_retired(device);
			Self::deposit_event(Event::Decommissioned {
				device,
				deposit_released: released,
				deposit_retained: retained,
			});
			Ok(())
		}

		/// Certifies (`Some(by)`, `by` the registrar's account if it is one) or uncertifies
		/// (`None`) a device.
		pub fn do_set_certified(
			device: DeviceId,
			certify: Option<Option<T::AccountId>>,
		) -> DispatchResult {
			let mut record = Self::device_or_err(device)?;
			Self::ensure_live(&record)?;
			match certify {
				Some(by) => {
					ensure!(record.certification.is_none(), Error::<T>::AlreadyCertified);
					record.certification =
						Some(Certification { by, at: frame_system::Pallet::<T>::block_number() });
					Self::deposit_event(Event::Certified { device });
				}
				None => {
					ensure!(record.certification.is_some(), Error::<T>::NotCertified);
					record.certification = None;
					Self::deposit_event(Event::Uncertified { device });
				}
			}
			Devices::<T>::insert(device, record);
			Ok(())
		}

		/// Removes `device` from its zone's index, if it is there (a revoked device left it
		/// already).
		fn leave_zone(record: &DeviceOf<T>, device: DeviceId) {
			if DevicesByZone::<T>::take((record.zone, record.class, device)).is_some() {
				ZoneDeviceCount::<T>::mutate_exists(record.zone, record.class, |count| {
					*count = count.map(|c| c.saturating_sub(1)).filter(|c| *c > 0)
				});
			}
		}

		/// Devices of `class` in `zone` that may still act (not revoked, not decommissioned),
		/// with ids greater than `start_after`, at most `limit` (capped at `MaxDevicesPerZone`),
		/// in id order. Reads the zone index only: at most `MaxDevicesPerZone` entries (a zone
		/// over the bound from before it existed is read in storage order, not id order).
		pub fn devices_in_zone(
			zone: ZoneId,
			class: DeviceClass,
			start_after: Option<DeviceId>,
			limit: u32,
		) -> Vec<(DeviceId, DeviceOf<T>)> {
			let bound = T::MaxDevicesPerZone::get();
			let ids = DevicesByZone::<T>::iter_key_prefix((zone, class)).take(bound as usize);
			Self::page(ids, start_after, limit.min(bound))
		}

		/// Devices of `owner` with ids greater than `start_after`, at most `limit` (capped at
		/// `MaxDevicesPerOwner`), in id order.
		pub fn devices_of(
			owner: &T::AccountId,
			start_after: Option<DeviceId>,
			limit: u32,
		) -> Vec<(DeviceId, DeviceOf<T>)> {
			let ids = DevicesByOwner::<T>::iter_key_prefix(owner);
			Self::page(ids, start_after, limit.min(T::MaxDevicesPerOwner::get()))
		}

		/// The records of `ids` above `start_after`, at most `limit`, in id order. The indexes
		/// are keyed with Twox64Concat, which does not iterate in id order: the ids are
		/// collected (callers bound them) and sorted.
		fn page(
			ids: impl Iterator<Item = DeviceId>,
			start_after: Option<DeviceId>,
			limit: u32,
		) -> Vec<(DeviceId, DeviceOf<T>)> {
			let mut ids: Vec<DeviceId> =
				ids.filter(|id| start_after.is_none_or(|after| *id > after)).collect();
			ids.sort_unstable();
			ids.into_iter()
				.take(limit as usize)
				.filter_map(|id| Devices::<T>::get(id).map(|record| (id, record)))
				.collect()
		}

		/// The state invariants: indexes agree with the records, every key of every device is
		/// indexed, and the deposits held equal the deposits recorded.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			let mut live: BTreeMap<T::AccountId, u32> = BTreeMap::new();
			let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut in_zone: BTreeMap<(ZoneId, Vec<u8>), u32> = BTreeMap::new();
			let mut max_id = None;
			for (id, record) in Devices::<T>::iter() {
				max_id = max_id.max(Some(id));
				let indexed = DevicesByOwner::<T>::contains_key(&record.owner, id);
				if record.status == DeviceStatus::Decommissioned {
					ensure!(!indexed, "a decommissioned device is in its owner's index");
					ensure!(
						record.deposit <= Self::retained_deposit(record.key_epoch),
						"a decommissioned device holds more than the retained deposit"
					);
				} else {
					ensure!(indexed, "a live device is missing from its owner's index");
					*live.entry(record.owner.clone()).or_default() += 1;
				}
				let zoned = DevicesByZone::<T>::contains_key((record.zone, record.class, id));
				let may_act =
					!matches!(record.status, DeviceStatus::Revoked | DeviceStatus::Decommissioned);
				ensure!(zoned == may_act, "the zone index disagrees with a device's status");
				if may_act {
					*in_zone.entry((record.zone, record.class.encode())).or_default() += 1;
				}
				let held = deposits.entry(record.owner.clone()).or_default();
				*held = held.saturating_add(record.deposit);
				for epoch in 0..=record.key_epoch {
					let key = KeyHistory::<T>::get(id, epoch).ok_or("a key epoch is missing")?;
					ensure!(DeviceByKey::<T>::get(&key) == Some(id), "a key is not indexed");
				}
				ensure!(
					KeyHistory::<T>::get(id, record.key_epoch) == Some(record.key.clone()),
					"the current key is not the last in the history"
				);
			}
			ensure!(
				max_id.is_none_or(|max| max < NextDeviceId::<T>::get()),
				"a device id is at or above the next id"
			);
			for (owner, count) in OwnerDeviceCount::<T>::iter() {
				ensure!(live.get(&owner).copied().unwrap_or(0) == count, "owner count differs");
			}
			for (owner, count) in &live {
				ensure!(OwnerDeviceCount::<T>::get(owner) == *count, "owner count missing");
				ensure!(*count <= T::MaxDevicesPerOwner::get(), "too many devices");
			}
			let mut indexed = 0u32;
			for ((zone, class, id), ()) in DevicesByZone::<T>::iter() {
				let record = Devices::<T>::get(id).ok_or("the zone index names no device")?;
				ensure!(
					record.zone == zone && record.class == class,
					"a device is indexed under another zone or class"
				);
				indexed += 1;
			}
			ensure!(
				indexed == in_zone.values().sum::<u32>(),
				"the zone index has entries no live device accounts for"
			);
			for (zone, class, count) in ZoneDeviceCount::<T>::iter() {
				ensure!(
					in_zone.get(&(zone, class.encode())).copied().unwrap_or(0) == count,
					"zone count differs"
				);
				// Not checked against `MaxDevicesPerZone`: a zone that had more devices before
				// the bound existed (storage version 1) keeps them (`migrations::v2`).
			}
			for ((zone, class), count) in &in_zone {
				let class = DeviceClass::decode(&mut &class[..]).map_err(|_| "class")?;
				ensure!(ZoneDeviceCount::<T>::get(zone, class) == *count, "zone count missing");
			}
			for (owner, deposit) in deposits {
				let held = T::Currency::balance_on_hold(&HoldReason::DeviceDeposit.into(), &owner);
				ensure!(held == deposit, "held deposit differs from the recorded deposits");
			}
			Ok(())
		}

		/// The device registered with `key` (current or earlier key).
		pub fn device_by_key(key: &DeviceKey) -> Option<(DeviceId, DeviceOf<T>)> {
			let id = DeviceByKey::<T>::get(key)?;
			Devices::<T>::get(id).map(|record| (id, record))
		}
	}

	impl<T: Config> city_primitives::DeviceLookup<T::AccountId> for Pallet<T> {
		fn device(id: DeviceId) -> Option<city_primitives::DeviceSummary<T::AccountId>> {
			Devices::<T>::get(id).map(|record| record.summary())
		}

		fn key_at(id: DeviceId, epoch: KeyEpoch) -> Option<DeviceKey> {
			KeyHistory::<T>::get(id, epoch)
		}
	}
}
