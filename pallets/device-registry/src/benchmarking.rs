//! Benchmarks of the device registry (v2 syntax). Worst cases: ECDSA keys (the most expensive
//! verification), full-length metadata, an owner one device below the cap.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Pallet as Registry;
use alloc::vec;
use city_primitives::{DeviceClass, DeviceStatus};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		EnsureOrigin, Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::{crypto::KeyTypeId, H256};
use sp_runtime::{MultiSignature, Saturating};

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"cdev");

fn new_key() -> DeviceKey {
	DeviceKey::Ecdsa(sp_io::crypto::ecdsa_generate(KEY_TYPE, None))
}

fn sign(key: &DeviceKey, message: &[u8]) -> MultiSignature {
	match key {
		DeviceKey::Ecdsa(public) => {
			let digest = sp_io::hashing::blake2_256(message);
			MultiSignature::Ecdsa(
				sp_io::crypto::ecdsa_sign_prehashed(KEY_TYPE, public, &digest).unwrap(),
			)
		}
		_ => unreachable!("benchmarks use ecdsa keys"),
	}
}

fn full_metadata<T: Config>() -> MetadataOf<T> {
	DeviceMetadata {
		geohash: BoundedVec::try_from(vec![b'u'; types::MAX_GEOHASH_LEN as usize]).unwrap(),
		model_hash: Some(H256::repeat_byte(1)),
		firmware_hash: Some(H256::repeat_byte(2)),
		uri: BoundedVec::try_from(vec![b'x'; T::MaxUriLen::get() as usize]).unwrap(),
	}
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = Registry::<T>::deposit_for(&full_metadata::<T>(), 0)
		.saturating_mul(100u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(100u32.into()));
	T::Currency::set_balance(&who, amount);
	who
}

/// Registers a device for `owner` with full metadata; returns its id and key.
fn registered<T: Config>(owner: &T::AccountId) -> (DeviceId, DeviceKey) {
	let key = new_key();
	let proof = sign(&key, &register_payload(&Registry::<T>::genesis_hash(), owner, &key));
	let id = Registry::<T>::do_register(
		owner.clone(),
		DeviceClass::SmartMeter,
		1,
		key.clone(),
		proof,
		None,
		full_metadata::<T>(),
	)
	.unwrap();
	(id, key)
}

/// Puts `owner` one device below the cap. The cap check reads and writes the counter; the
/// maps' access cost does not depend on how many devices an owner has, so registering
/// thousands of devices first would only slow the benchmark down.
fn fill_to_cap<T: Config>(owner: &T::AccountId) {
	OwnerDeviceCount::<T>::insert(owner, T::MaxDevicesPerOwner::get().saturating_sub(1));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		let owner = funded::<T>("owner", 0);
		fill_to_cap::<T>(&owner);
		let key = new_key();
		let proof = sign(&key, &register_payload(&Registry::<T>::genesis_hash(), &owner, &key));
		let id = NextDeviceId::<T>::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner.clone()),
			DeviceClass::SmartMeter,
			1,
			key.clone(),
			proof,
			Some(owner.clone()),
			full_metadata::<T>(),
		);

		assert_eq!(DeviceByKey::<T>::get(&key), Some(id));
	}

	#[benchmark]
	fn update_metadata() {
		let owner = funded::<T>("owner", 0);
		let key = new_key();
		let proof = sign(&key, &register_payload(&Registry::<T>::genesis_hash(), &owner, &key));
		let id = Registry::<T>::do_register(
			owner.clone(),
			DeviceClass::SmartMeter,
			1,
			key,
			proof,
			None,
			Default::default(),
		)
		.unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, full_metadata::<T>());

		assert_eq!(Devices::<T>::get(id).unwrap().metadata, full_metadata::<T>());
	}

	#[benchmark]
	fn rotate_key() {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);
		let new = new_key();
		let proof = sign(&new, &rotate_payload(&Registry::<T>::genesis_hash(), id, 1, &new));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, new.clone(), proof);

		assert_eq!(Devices::<T>::get(id).unwrap().key, new);
	}

	#[benchmark]
	fn transfer_ownership() {
		let owner = funded::<T>("owner", 0);
		let receiver = funded::<T>("receiver", 1);
		fill_to_cap::<T>(&receiver);
		let (id, _) = registered::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, receiver.clone());

		assert_eq!(Devices::<T>::get(id).unwrap().owner, receiver);
	}

	#[benchmark]
	fn set_operator() {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);
		let operator: T::AccountId = account("operator", 2, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, Some(operator.clone()));

		assert_eq!(Devices::<T>::get(id).unwrap().operator, Some(operator));
	}

	#[benchmark]
	fn suspend() {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert!(matches!(Devices::<T>::get(id).unwrap().status, DeviceStatus::Suspended(_)));
	}

	#[benchmark]
	fn resume() {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);
		Registry::<T>::do_suspend(id, city_primitives::Suspender::Owner).unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(Devices::<T>::get(id).unwrap().status, DeviceStatus::Active);
	}

	#[benchmark]
	fn revoke() {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(Devices::<T>::get(id).unwrap().status, DeviceStatus::Revoked);
	}

	#[benchmark]
	fn decommission() {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(Devices::<T>::get(id).unwrap().status, DeviceStatus::Decommissioned);
	}

	#[benchmark]
	fn certify() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);
		let origin =
			T::RegistrarOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert!(Devices::<T>::get(id).unwrap().certification.is_some());
		Ok(())
	}

	#[benchmark]
	fn uncertify() -> Result<(), BenchmarkError> {
		let owner = funded::<T>("owner", 0);
		let (id, _) = registered::<T>(&owner);
		Registry::<T>::do_set_certified(id, Some(None)).unwrap();
		let origin =
			T::RegistrarOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id);

		assert!(Devices::<T>::get(id).unwrap().certification.is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}
