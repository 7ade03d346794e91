//! Tests of the device registry: every call's success path (state and events) and every error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{mock::*, *};
use city_primitives::{DeviceClass, DeviceLookup, DeviceStatus, Suspender, ZoneId};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_core::{crypto::Pair as _, ecdsa, ed25519, sr25519, H256};
use sp_runtime::{DispatchError, DispatchResult, MultiSignature};

type Registry = crate::Pallet<Test>;

fn hold_reason() -> RuntimeHoldReason {
	HoldReason::DeviceDeposit.into()
}

fn held(who: u8) -> Balance {
	Balances::balance_on_hold(&hold_reason(), &account(who))
}

/// A device's key pair, of any of the three schemes (test helper; size does not matter).
#[allow(clippy::large_enum_variant)]
enum DevicePair {
	Sr(sr25519::Pair),
	Ed(ed25519::Pair),
	Ec(ecdsa::Pair),
}

impl DevicePair {
	fn sr(seed: u8) -> Self {
		DevicePair::Sr(sr25519::Pair::from_seed(&[seed; 32]))
	}
	fn ed(seed: u8) -> Self {
		DevicePair::Ed(ed25519::Pair::from_seed(&[seed; 32]))
	}
	fn ec(seed: u8) -> Self {
		DevicePair::Ec(ecdsa::Pair::from_seed(&[seed; 32]))
	}
	fn key(&self) -> DeviceKey {
		match self {
			DevicePair::Sr(p) => DeviceKey::Sr25519(p.public()),
			DevicePair::Ed(p) => DeviceKey::Ed25519(p.public()),
			DevicePair::Ec(p) => DeviceKey::Ecdsa(p.public()),
		}
	}
	fn sign(&self, message: &[u8]) -> MultiSignature {
		match self {
			DevicePair::Sr(p) => p.sign(message).into(),
			DevicePair::Ed(p) => p.sign(message).into(),
			DevicePair::Ec(p) => p.sign(message).into(),
		}
	}
	fn register_proof(&self, owner: u8) -> MultiSignature {
		self.sign(&register_payload(&Registry::genesis_hash(), &account(owner), &self.key()))
	}
	fn rotate_proof(&self, device: DeviceId, epoch: KeyEpoch) -> MultiSignature {
		self.sign(&rotate_payload(&Registry::genesis_hash(), device, epoch, &self.key()))
	}
}

fn meta(geohash: &str, uri: &str) -> MetadataOf<Test> {
	DeviceMetadata {
		geohash: geohash.as_bytes().to_vec().try_into().unwrap(),
		model_hash: Some(H256::repeat_byte(7)),
		firmware_hash: None,
		uri: uri.as_bytes().to_vec().try_into().unwrap(),
	}
}

/// Registers `key` for `owner` as a smart meter in zone 1, with `proof` and `metadata`.
fn try_register(
	owner: u8,
	key: DeviceKey,
	proof: MultiSignature,
	metadata: MetadataOf<Test>,
) -> sp_runtime::DispatchResult {
	Registry::register(
		RuntimeOrigin::signed(account(owner)),
		DeviceClass::SmartMeter,
		1,
		key,
		proof,
		None,
		metadata,
	)
}

fn register(owner: u8, pair: &DevicePair) -> DeviceId {
	let id = NextDeviceId::<Test>::get();
	assert_ok!(Registry::register(
		RuntimeOrigin::signed(account(owner)),
		DeviceClass::SmartMeter,
		7,
		pair.key(),
		pair.register_proof(owner),
		None,
		meta("u33dc0", "ipfs://meter"),
	));
	id
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn status(id: DeviceId) -> DeviceStatus {
	Devices::<Test>::get(id).unwrap().status
}

// ---------------------------------------------------------------- register

#[test]
fn register_records_device_indexes_key_and_holds_deposit() {
	run(|| {
		for (i, pair) in
			[DevicePair::sr(11), DevicePair::ed(12), DevicePair::ec(13)].iter().enumerate()
		{
			let metadata = meta("u33dc0", "ipfs://meter");
			let deposit = 100 + 10 + metadata.encoded_size() as Balance;
			let before = held(ALICE);
			assert_ok!(Registry::register(
				RuntimeOrigin::signed(account(ALICE)),
				DeviceClass::SolarInverter,
				42,
				pair.key(),
				pair.register_proof(ALICE),
				Some(account(CHARLIE)),
				metadata.clone(),
			));
			let id = i as DeviceId;
			let record = Devices::<Test>::get(id).unwrap();
			assert_eq!(record.owner, account(ALICE));
			assert_eq!(record.operator, Some(account(CHARLIE)));
			assert_eq!(record.class, DeviceClass::SolarInverter);
			assert_eq!(record.zone, 42);
			assert_eq!(record.key, pair.key());
			assert_eq!(record.key_epoch, 0);
			assert_eq!(record.status, DeviceStatus::Active);
			assert_eq!(record.certification, None);
			assert_eq!(record.metadata, metadata);
			assert_eq!(record.registered_at, 1);
			assert_eq!(record.deposit, deposit);
			assert_eq!(held(ALICE), before + deposit);
			assert_eq!(DeviceByKey::<Test>::get(pair.key()), Some(id));
			assert_eq!(KeyHistory::<Test>::get(id, 0), Some(pair.key()));
			assert!(DevicesByOwner::<Test>::contains_key(account(ALICE), id));
			assert_eq!(OwnerDeviceCount::<Test>::get(account(ALICE)), i as u32 + 1);
			assert_eq!(NextDeviceId::<Test>::get(), id + 1);
			assert_eq!(
				last_event(),
				Event::Registered {
					device: id,
					owner: account(ALICE),
					class: DeviceClass::SolarInverter,
					zone: 42,
					key: pair.key(),
					deposit,
				}
				.into()
			);
		}
	});
}

#[test]
fn register_rejects_a_signature_by_another_key() {
	run(|| {
		let pair = DevicePair::sr(11);
		let other = DevicePair::sr(12);
		assert_noop!(
			try_register(ALICE, pair.key(), other.register_proof(ALICE), Default::default()),
			Error::<Test>::BadProof
		);
	});
}

#[test]
fn register_rejects_a_proof_made_for_another_owner() {
	run(|| {
		let pair = DevicePair::ed(11);
		// Bob saw Alice's proof and tries to register Alice's device as his own.
		assert_noop!(
			try_register(BOB, pair.key(), pair.register_proof(ALICE), Default::default()),
			Error::<Test>::BadProof
		);
	});
}

#[test]
fn register_rejects_a_proof_for_another_chain_or_domain() {
	run(|| {
		let pair = DevicePair::ec(11);
		let other_genesis = H256::repeat_byte(1);
		let wrong_chain =
			pair.sign(&register_payload(&other_genesis, &account(ALICE), &pair.key()));
		let wrong_tag =
			pair.sign(&(ROTATE_TAG, Registry::genesis_hash(), account(ALICE), pair.key()).encode());
		for proof in [wrong_chain, wrong_tag] {
			assert_noop!(
				try_register(ALICE, pair.key(), proof, Default::default()),
				Error::<Test>::BadProof
			);
		}
	});
}

#[test]
fn register_rejects_a_signature_of_another_scheme() {
	run(|| {
		let pair = DevicePair::sr(11);
		let ed = DevicePair::ed(11);
		assert_noop!(
			try_register(ALICE, pair.key(), ed.register_proof(ALICE), Default::default()),
			Error::<Test>::SignatureSchemeMismatch
		);
	});
}

#[test]
fn register_rejects_a_reused_key() {
	run(|| {
		let pair = DevicePair::sr(11);
		register(ALICE, &pair);
		assert_noop!(
			try_register(BOB, pair.key(), pair.register_proof(BOB), Default::default()),
			Error::<Test>::KeyAlreadyUsed
		);
	});
}

#[test]
fn a_key_can_never_be_registered_again_after_decommission_or_rotation() {
	run(|| {
		let first = DevicePair::sr(11);
		let second = DevicePair::sr(12);
		let id = register(ALICE, &first);
		assert_ok!(Registry::rotate_key(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			second.key(),
			second.rotate_proof(id, 1)
		));
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id));
		for pair in [&first, &second] {
			assert_noop!(
				try_register(ALICE, pair.key(), pair.register_proof(ALICE), Default::default()),
				Error::<Test>::KeyAlreadyUsed
			);
		}
	});
}

#[test]
fn register_respects_the_per_owner_cap() {
	run(|| {
		for seed in 11..14 {
			register(ALICE, &DevicePair::sr(seed));
		}
		let pair = DevicePair::sr(14);
		assert_noop!(
			try_register(ALICE, pair.key(), pair.register_proof(ALICE), Default::default()),
			Error::<Test>::TooManyDevices
		);
		// Decommissioning frees a place.
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 0));
		register(ALICE, &pair);
	});
}

#[test]
fn register_needs_funds_for_the_deposit() {
	run(|| {
		let pair = DevicePair::sr(11);
		assert_noop!(
			try_register(PAUPER, pair.key(), pair.register_proof(PAUPER), Default::default()),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

#[test]
fn register_rejects_an_invalid_geohash() {
	run(|| {
		let pair = DevicePair::sr(11);
		// 'a' is not in the geohash alphabet.
		assert_noop!(
			try_register(ALICE, pair.key(), pair.register_proof(ALICE), meta("u33a", "")),
			Error::<Test>::InvalidGeohash
		);
	});
}

#[test]
fn register_fails_cleanly_when_ids_are_exhausted() {
	run(|| {
		NextDeviceId::<Test>::put(DeviceId::MAX);
		let pair = DevicePair::sr(11);
		assert_noop!(
			try_register(ALICE, pair.key(), pair.register_proof(ALICE), Default::default()),
			Error::<Test>::Overflow
		);
	});
}

#[test]
fn register_requires_a_signed_origin() {
	run(|| {
		let pair = DevicePair::sr(11);
		assert_noop!(
			Registry::register(
				RuntimeOrigin::root(),
				DeviceClass::SmartMeter,
				1,
				pair.key(),
				pair.register_proof(ALICE),
				None,
				Default::default(),
			),
			DispatchError::BadOrigin
		);
	});
}

// ---------------------------------------------------------------- update_metadata

#[test]
fn update_metadata_replaces_it_and_adjusts_the_deposit() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		let old_deposit = Devices::<Test>::get(id).unwrap().deposit;
		let bigger = meta("u33dc0bcdefg", "https://city.example/devices/meter-0001");
		let bigger_deposit = 110 + bigger.encoded_size() as Balance;
		assert!(bigger_deposit > old_deposit);
		assert_ok!(Registry::update_metadata(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			bigger.clone()
		));
		assert_eq!(Devices::<Test>::get(id).unwrap().metadata, bigger);
		assert_eq!(Devices::<Test>::get(id).unwrap().deposit, bigger_deposit);
		assert_eq!(held(ALICE), bigger_deposit);
		assert_eq!(
			last_event(),
			Event::MetadataUpdated { device: id, deposit: bigger_deposit }.into()
		);

		let empty: MetadataOf<Test> = Default::default();
		let small_deposit = 110 + empty.encoded_size() as Balance;
		assert_ok!(Registry::update_metadata(RuntimeOrigin::signed(account(ALICE)), id, empty));
		assert_eq!(held(ALICE), small_deposit);
		assert_eq!(Balances::balance(&account(ALICE)), ENDOWMENT - small_deposit);
	});
}

#[test]
fn update_metadata_errors() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_noop!(
			Registry::update_metadata(RuntimeOrigin::signed(account(BOB)), id, Default::default()),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Registry::update_metadata(
				RuntimeOrigin::signed(account(ALICE)),
				99,
				Default::default()
			),
			Error::<Test>::UnknownDevice
		);
		assert_noop!(
			Registry::update_metadata(RuntimeOrigin::signed(account(ALICE)), id, meta("ail", "")),
			Error::<Test>::InvalidGeohash
		);
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), id));
		assert_noop!(
			Registry::update_metadata(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				Default::default()
			),
			Error::<Test>::Revoked
		);
	});
}

#[test]
fn update_metadata_needs_funds_for_a_bigger_deposit() {
	run(|| {
		// Pauper gets just enough for a device with empty metadata (and the key deposit).
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(account(BOB)),
			account(PAUPER),
			70
		));
		let pair = DevicePair::sr(11);
		assert_ok!(Registry::register(
			RuntimeOrigin::signed(account(PAUPER)),
			DeviceClass::AirQualitySensor,
			1,
			pair.key(),
			pair.register_proof(PAUPER),
			None,
			Default::default(),
		));
		assert_noop!(
			Registry::update_metadata(
				RuntimeOrigin::signed(account(PAUPER)),
				0,
				meta("u33dc0", "https://city.example/a/very/long/uri/that/costs/deposit")
			),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

// ---------------------------------------------------------------- rotate_key

#[test]
fn rotate_key_by_the_owner_keeps_history_and_holds_a_key_deposit() {
	run(|| {
		let first = DevicePair::sr(11);
		let second = DevicePair::ed(12);
		let third = DevicePair::ec(13);
		let id = register(ALICE, &first);
		let deposit = Devices::<Test>::get(id).unwrap().deposit;
		assert_ok!(Registry::rotate_key(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			second.key(),
			second.rotate_proof(id, 1)
		));
		assert_eq!(
			last_event(),
			Event::KeyRotated { device: id, epoch: 1, key: second.key() }.into()
		);
		assert_eq!(Devices::<Test>::get(id).unwrap().deposit, deposit + 10);
		assert_eq!(held(ALICE), deposit + 10);
		// The operator (a gateway) cannot rotate: it could take the device over.
		assert_ok!(Registry::set_operator(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			Some(account(CHARLIE))
		));
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(CHARLIE)),
				id,
				third.key(),
				third.rotate_proof(id, 2)
			),
			Error::<Test>::NotOwner
		);
		assert_ok!(Registry::rotate_key(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			third.key(),
			third.rotate_proof(id, 2)
		));
		assert_eq!(held(ALICE), deposit + 20);
		let record = Devices::<Test>::get(id).unwrap();
		assert_eq!(record.key, third.key());
		assert_eq!(record.key_epoch, 2);
		assert_eq!(KeyHistory::<Test>::get(id, 0), Some(first.key()));
		assert_eq!(KeyHistory::<Test>::get(id, 1), Some(second.key()));
		assert_eq!(KeyHistory::<Test>::get(id, 2), Some(third.key()));
		for pair in [&first, &second, &third] {
			assert_eq!(DeviceByKey::<Test>::get(pair.key()), Some(id));
		}
		assert_eq!(<Registry as DeviceLookup<_>>::key_at(id, 1), Some(second.key()));
	});
}

#[test]
fn rotate_key_errors() {
	run(|| {
		let first = DevicePair::sr(11);
		let new = DevicePair::sr(12);
		let id = register(ALICE, &first);
		let other = register(BOB, &DevicePair::sr(13));
		// Wrong caller.
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(BOB)),
				id,
				new.key(),
				new.rotate_proof(id, 1)
			),
			Error::<Test>::NotOwner
		);
		// Proof by the old key instead of the new one.
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				new.key(),
				first.sign(&rotate_payload(&Registry::genesis_hash(), id, 1, &new.key()))
			),
			Error::<Test>::BadProof
		);
		// Proof for a stale epoch (replay of an earlier rotation's proof).
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				new.key(),
				new.rotate_proof(id, 0)
			),
			Error::<Test>::BadProof
		);
		// Proof made for another device.
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				new.key(),
				new.rotate_proof(other, 1)
			),
			Error::<Test>::BadProof
		);
		// Key in use by another device.
		let bobs_key = DevicePair::sr(13);
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				bobs_key.key(),
				bobs_key.rotate_proof(id, 1)
			),
			Error::<Test>::KeyAlreadyUsed
		);
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				77,
				new.key(),
				new.rotate_proof(77, 1)
			),
			Error::<Test>::UnknownDevice
		);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id));
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				new.key(),
				new.rotate_proof(id, 1)
			),
			Error::<Test>::Decommissioned
		);
	});
}

// ---------------------------------------------------------------- transfer_ownership

#[test]
fn transfer_ownership_moves_device_deposit_and_indexes() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_ok!(Registry::set_operator(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			Some(account(CHARLIE))
		));
		let deposit = Devices::<Test>::get(id).unwrap().deposit;
		assert_ok!(Registry::transfer_ownership(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			account(BOB)
		));
		let record = Devices::<Test>::get(id).unwrap();
		assert_eq!(record.owner, account(BOB));
		assert_eq!(record.operator, None, "the old owner's gateway does not follow the device");
		assert_eq!(held(ALICE), 0);
		assert_eq!(held(BOB), deposit);
		assert_eq!(Balances::balance(&account(ALICE)), ENDOWMENT - deposit);
		assert!(!DevicesByOwner::<Test>::contains_key(account(ALICE), id));
		assert!(DevicesByOwner::<Test>::contains_key(account(BOB), id));
		assert_eq!(OwnerDeviceCount::<Test>::get(account(ALICE)), 0);
		assert_eq!(OwnerDeviceCount::<Test>::get(account(BOB)), 1);
		assert_eq!(
			last_event(),
			Event::OwnershipTransferred { device: id, from: account(ALICE), to: account(BOB) }
				.into()
		);
		// Bob can decommission and gets the deposit back, but for the retained part.
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(BOB)), id));
		assert_eq!(Balances::balance(&account(BOB)), ENDOWMENT + deposit - 30);
	});
}

#[test]
fn transfer_ownership_errors() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_noop!(
			Registry::transfer_ownership(RuntimeOrigin::signed(account(BOB)), id, account(BOB)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Registry::transfer_ownership(RuntimeOrigin::signed(account(ALICE)), id, account(ALICE)),
			Error::<Test>::AlreadyOwner
		);
		assert_noop!(
			Registry::transfer_ownership(RuntimeOrigin::signed(account(ALICE)), 5, account(BOB)),
			Error::<Test>::UnknownDevice
		);
		// An account that does not exist cannot take over a held deposit.
		assert_noop!(
			Registry::transfer_ownership(RuntimeOrigin::signed(account(ALICE)), id, account(77)),
			Error::<Test>::NewOwnerCannotHoldDeposit
		);
		for seed in 21..24 {
			register(BOB, &DevicePair::sr(seed));
		}
		assert_noop!(
			Registry::transfer_ownership(RuntimeOrigin::signed(account(ALICE)), id, account(BOB)),
			Error::<Test>::TooManyDevices
		);
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), id));
		assert_noop!(
			Registry::transfer_ownership(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				account(CHARLIE)
			),
			Error::<Test>::Revoked
		);
	});
}

// ---------------------------------------------------------------- set_operator

#[test]
fn set_operator_sets_and_clears() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_ok!(Registry::set_operator(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			Some(account(CHARLIE))
		));
		assert_eq!(Devices::<Test>::get(id).unwrap().operator, Some(account(CHARLIE)));
		assert_eq!(
			last_event(),
			Event::OperatorSet { device: id, operator: Some(account(CHARLIE)) }.into()
		);
		assert_ok!(Registry::set_operator(RuntimeOrigin::signed(account(ALICE)), id, None));
		assert_eq!(Devices::<Test>::get(id).unwrap().operator, None);
		assert_eq!(last_event(), Event::OperatorSet { device: id, operator: None }.into());
	});
}

#[test]
fn set_operator_errors() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_ok!(Registry::set_operator(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			Some(account(CHARLIE))
		));
		// The operator cannot appoint another operator.
		assert_noop!(
			Registry::set_operator(RuntimeOrigin::signed(account(CHARLIE)), id, Some(account(BOB))),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Registry::set_operator(RuntimeOrigin::signed(account(ALICE)), 9, None),
			Error::<Test>::UnknownDevice
		);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id));
		assert_noop!(
			Registry::set_operator(RuntimeOrigin::signed(account(ALICE)), id, None),
			Error::<Test>::Decommissioned
		);
	});
}

// ---------------------------------------------------------------- suspend / resume

#[test]
fn owner_suspends_and_resumes() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_ok!(Registry::suspend(RuntimeOrigin::signed(account(ALICE)), id));
		assert_eq!(status(id), DeviceStatus::Suspended(Suspender::Owner));
		assert_eq!(last_event(), Event::Suspended { device: id, by: Suspender::Owner }.into());
		assert!(!<Registry as DeviceLookup<_>>::device(id).unwrap().is_active());
		assert_ok!(Registry::resume(RuntimeOrigin::signed(account(ALICE)), id));
		assert_eq!(status(id), DeviceStatus::Active);
		assert_eq!(last_event(), Event::Resumed { device: id }.into());
	});
}

#[test]
fn registrar_suspension_is_lifted_only_by_the_registrar() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_ok!(Registry::suspend(RuntimeOrigin::root(), id));
		assert_eq!(status(id), DeviceStatus::Suspended(Suspender::Registrar));
		assert_eq!(last_event(), Event::Suspended { device: id, by: Suspender::Registrar }.into());
		assert_noop!(
			Registry::resume(RuntimeOrigin::signed(account(ALICE)), id),
			Error::<Test>::SuspendedByRegistrar
		);
		assert_ok!(Registry::resume(RuntimeOrigin::root(), id));
		assert_eq!(status(id), DeviceStatus::Active);
	});
}

#[test]
fn suspend_and_resume_errors() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_noop!(
			Registry::suspend(RuntimeOrigin::signed(account(BOB)), id),
			Error::<Test>::NotOwnerOrRegistrar
		);
		assert_noop!(
			Registry::resume(RuntimeOrigin::signed(account(ALICE)), id),
			Error::<Test>::NotSuspended
		);
		assert_noop!(
			Registry::suspend(RuntimeOrigin::signed(account(ALICE)), 4),
			Error::<Test>::UnknownDevice
		);
		assert_ok!(Registry::suspend(RuntimeOrigin::signed(account(ALICE)), id));
		assert_noop!(
			Registry::suspend(RuntimeOrigin::signed(account(ALICE)), id),
			Error::<Test>::NotActive
		);
		assert_noop!(
			Registry::resume(RuntimeOrigin::signed(account(BOB)), id),
			Error::<Test>::NotOwnerOrRegistrar
		);
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), id));
		assert_noop!(Registry::resume(RuntimeOrigin::root(), id), Error::<Test>::Revoked);
		assert_noop!(Registry::suspend(RuntimeOrigin::root(), id), Error::<Test>::Revoked);
	});
}

// ---------------------------------------------------------------- revoke / decommission

#[test]
fn revoke_is_permanent_and_keeps_the_record() {
	run(|| {
		let pair = DevicePair::sr(11);
		let id = register(ALICE, &pair);
		let deposit = Devices::<Test>::get(id).unwrap().deposit;
		System::set_block_number(5);
		assert_ok!(Registry::revoke(RuntimeOrigin::signed(account(ALICE)), id));
		assert_eq!(status(id), DeviceStatus::Revoked);
		assert_eq!(Devices::<Test>::get(id).unwrap().revoked_at, Some(5));
		assert_eq!(last_event(), Event::Revoked { device: id }.into());
		assert_eq!(<Registry as DeviceLookup<_>>::key_at(id, 0), Some(pair.key()));
		assert_noop!(Registry::revoke(RuntimeOrigin::root(), id), Error::<Test>::Revoked);
		// The owner may still take the deposit back (but for what the kept record and key
		// need); the revocation stays on record.
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id));
		assert_eq!(Balances::balance(&account(ALICE)), ENDOWMENT - 30);
		assert_eq!(
			last_event(),
			Event::Decommissioned {
				device: id,
				deposit_released: deposit - 30,
				deposit_retained: 30
			}
			.into()
		);
		assert_eq!(Devices::<Test>::get(id).unwrap().revoked_at, Some(5));
	});
}

#[test]
fn registrar_revokes_any_device() {
	run(|| {
		let id = register(BOB, &DevicePair::sr(11));
		assert_noop!(
			Registry::revoke(RuntimeOrigin::signed(account(ALICE)), id),
			Error::<Test>::NotOwnerOrRegistrar
		);
		assert_noop!(Registry::revoke(RuntimeOrigin::root(), 3), Error::<Test>::UnknownDevice);
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), id));
		assert_eq!(status(id), DeviceStatus::Revoked);
	});
}

#[test]
fn decommission_returns_the_deposit_but_what_the_kept_record_needs() {
	run(|| {
		let pair = DevicePair::ec(11);
		let id = register(ALICE, &pair);
		// One rotation: two keys stay indexed forever.
		let second = DevicePair::sr(12);
		assert_ok!(Registry::rotate_key(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			second.key(),
			second.rotate_proof(id, 1)
		));
		let deposit = Devices::<Test>::get(id).unwrap().deposit;
		assert_eq!(Balances::balance(&account(ALICE)), ENDOWMENT - deposit);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id));
		// RetainedDeposit (20) + KeyDeposit (10) x 2 keys stay held.
		let retained = 20 + 2 * 10;
		assert_eq!(Balances::balance(&account(ALICE)), ENDOWMENT - retained);
		assert_eq!(held(ALICE), retained);
		assert_eq!(RETIRED.with(|r| r.borrow().clone()), vec![id], "other pallets were told");
		let record = Devices::<Test>::get(id).unwrap();
		assert_eq!(record.status, DeviceStatus::Decommissioned);
		assert_eq!(record.deposit, retained);
		assert_eq!(record.metadata, Default::default());
		assert_eq!(record.key, second.key());
		assert!(!DevicesByOwner::<Test>::contains_key(account(ALICE), id));
		assert_eq!(OwnerDeviceCount::<Test>::get(account(ALICE)), 0);
		assert_eq!(DeviceByKey::<Test>::get(pair.key()), Some(id));
		assert_eq!(DeviceByKey::<Test>::get(second.key()), Some(id));
		assert_eq!(
			last_event(),
			Event::Decommissioned {
				device: id,
				deposit_released: deposit - retained,
				deposit_retained: retained
			}
			.into()
		);
	});
}

#[test]
fn decommission_errors() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_noop!(
			Registry::decommission(RuntimeOrigin::signed(account(BOB)), id),
			Error::<Test>::NotOwner
		);
		assert_noop!(Registry::decommission(RuntimeOrigin::root(), id), DispatchError::BadOrigin);
		assert_noop!(
			Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 8),
			Error::<Test>::UnknownDevice
		);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id));
		assert_noop!(
			Registry::decommission(RuntimeOrigin::signed(account(ALICE)), id),
			Error::<Test>::Decommissioned
		);
	});
}

// ---------------------------------------------------------------- certify / uncertify

#[test]
fn registrar_certifies_and_uncertifies() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		System::set_block_number(3);
		assert_ok!(Registry::certify(RuntimeOrigin::root(), id));
		assert_eq!(
			Devices::<Test>::get(id).unwrap().certification,
			Some(Certification { by: None, at: 3 })
		);
		assert!(<Registry as DeviceLookup<_>>::device(id).unwrap().certified);
		assert_eq!(last_event(), Event::Certified { device: id }.into());
		assert_ok!(Registry::uncertify(RuntimeOrigin::root(), id));
		assert_eq!(Devices::<Test>::get(id).unwrap().certification, None);
		assert_eq!(last_event(), Event::Uncertified { device: id }.into());
	});
}

#[test]
fn certify_errors() {
	run(|| {
		let id = register(ALICE, &DevicePair::sr(11));
		assert_noop!(
			Registry::certify(RuntimeOrigin::signed(account(ALICE)), id),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::uncertify(RuntimeOrigin::signed(account(ALICE)), id),
			DispatchError::BadOrigin
		);
		assert_noop!(Registry::certify(RuntimeOrigin::root(), 6), Error::<Test>::UnknownDevice);
		assert_noop!(Registry::uncertify(RuntimeOrigin::root(), id), Error::<Test>::NotCertified);
		assert_ok!(Registry::certify(RuntimeOrigin::root(), id));
		assert_noop!(Registry::certify(RuntimeOrigin::root(), id), Error::<Test>::AlreadyCertified);
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), id));
		assert_noop!(Registry::uncertify(RuntimeOrigin::root(), id), Error::<Test>::Revoked);
	});
}

// ---------------------------------------------------------------- queries and lookup

#[test]
fn lookup_summarises_the_device() {
	run(|| {
		let pair = DevicePair::ed(11);
		let id = register(ALICE, &pair);
		let summary = <Registry as DeviceLookup<_>>::device(id).unwrap();
		assert_eq!(summary.owner, account(ALICE));
		assert_eq!(summary.class, DeviceClass::SmartMeter);
		assert_eq!(summary.zone, 7);
		assert_eq!(summary.key, pair.key());
		assert!(summary.is_active());
		assert!(summary.is_controller(&account(ALICE)));
		assert!(!summary.is_controller(&account(BOB)));
		assert!(<Registry as DeviceLookup<_>>::device(id + 1).is_none());
		assert!(<Registry as DeviceLookup<_>>::key_at(id, 1).is_none());
	});
}

#[test]
fn devices_of_pages_by_id() {
	run(|| {
		register(ALICE, &DevicePair::sr(11));
		register(BOB, &DevicePair::sr(12));
		register(ALICE, &DevicePair::sr(13));
		register(ALICE, &DevicePair::sr(14));
		let ids = |after, limit| -> Vec<DeviceId> {
			Registry::devices_of(&account(ALICE), after, limit)
				.into_iter()
				.map(|(id, _)| id)
				.collect()
		};
		assert_eq!(ids(None, 10), vec![0, 2, 3]);
		assert_eq!(ids(None, 2), vec![0, 2]);
		assert_eq!(ids(Some(2), 2), vec![3]);
		assert_eq!(ids(Some(3), 2), Vec::<DeviceId>::new());
		assert_eq!(Registry::device_by_key(&DevicePair::sr(12).key()).map(|(id, _)| id), Some(1));
		assert!(Registry::device_by_key(&DevicePair::sr(99).key()).is_none());
	});
}

#[test]
fn payloads_are_the_documented_bytes() {
	// The README documents these layouts for device makers; changing them breaks devices.
	let genesis = H256::repeat_byte(0xAB);
	let owner = account(ALICE);
	let key = DeviceKey::Ed25519(ed25519::Public::from_raw([0x11; 32]));
	let payload = register_payload(&genesis, &owner, &key);
	let mut expected = b"CITYCHAIN/DEVICE/REG/v1\0".to_vec();
	expected.extend_from_slice(&[0xAB; 32]);
	expected.extend_from_slice(&[ALICE; 32]);
	expected.push(0); // DeviceKey::Ed25519
	expected.extend_from_slice(&[0x11; 32]);
	assert_eq!(payload, expected);

	let payload = rotate_payload(&genesis, 5, 2, &key);
	let mut expected = b"CITYCHAIN/DEVICE/ROT/v1\0".to_vec();
	expected.extend_from_slice(&[0xAB; 32]);
	expected.extend_from_slice(&5u64.to_le_bytes());
	expected.extend_from_slice(&2u32.to_le_bytes());
	expected.push(0);
	expected.extend_from_slice(&[0x11; 32]);
	assert_eq!(payload, expected);
}

#[test]
fn rotation_needs_funds_for_the_key_deposit() {
	run(|| {
		// Pauper has 50: the registration deposit with empty metadata is 110 + the metadata's
		// encoded size, so give Pauper exactly that much more than the existential deposit.
		let pair = DevicePair::sr(11);
		let deposit = Registry::deposit_for(&Default::default(), 0);
		assert_ok!(<Balances as frame_support::traits::fungible::Mutate<_>>::mint_into(
			&account(PAUPER),
			deposit
		));
		assert_ok!(try_register(
			PAUPER,
			pair.key(),
			pair.register_proof(PAUPER),
			Default::default()
		));
		let id = NextDeviceId::<Test>::get() - 1;
		// 50 free, 1 of it the existential deposit: 49 more can be held, a key deposit is 10.
		assert_ok!(<Balances as frame_support::traits::fungible::Mutate<_>>::burn_from(
			&account(PAUPER),
			45,
			frame_support::traits::tokens::Preservation::Expendable,
			frame_support::traits::tokens::Precision::Exact,
			frame_support::traits::tokens::Fortitude::Polite,
		));
		let new = DevicePair::sr(12);
		assert_noop!(
			Registry::rotate_key(
				RuntimeOrigin::signed(account(PAUPER)),
				id,
				new.key(),
				new.rotate_proof(id, 1)
			),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

#[test]
fn the_configuration_passes_the_integrity_test() {
	new_test_ext().execute_with(<Registry as frame_support::traits::Hooks<u64>>::integrity_test);
}

/// Conservation over random operations: whatever owners register, rotate, update, transfer
/// and decommission, total issuance never changes, and every account's held deposit is the sum
/// of its devices' recorded deposits (the `try_state` check after every step).
#[test]
fn deposits_are_conserved_over_random_operations() {
	use proptest::prelude::*;
	let owners = [ALICE, BOB, CHARLIE];
	proptest!(ProptestConfig::with_cases(64), |(ops in proptest::collection::vec((0u8..5, 0usize..3, 0u64..6, 0u8..40), 1..40))| {
		new_test_ext().execute_with(|| {
			let issuance = Balances::total_issuance();
			let mut seed = 100u8;
			let mut succeeded = 0;
			// Every run starts with a registration, so the operations after it have a device.
			for (op, owner, device, size) in [(0, 0, 0, 0)].into_iter().chain(ops) {
				let owner = owners[owner];
				seed = seed.wrapping_add(1);
				let result = match op {
					0 => {
						let pair = DevicePair::sr(seed);
						let uri = "x".repeat(size as usize);
						try_register(owner, pair.key(), pair.register_proof(owner), meta("u33", &uri))
					},
					1 => {
						let pair = DevicePair::ed(seed);
						let epoch = Devices::<Test>::get(device).map_or(1, |d| d.key_epoch + 1);
						Registry::rotate_key(RuntimeOrigin::signed(account(owner)), device, pair.key(), pair.rotate_proof(device, epoch))
					},
					2 => Registry::update_metadata(RuntimeOrigin::signed(account(owner)), device, meta("u3", &"y".repeat(size as usize))),
					3 => Registry::transfer_ownership(RuntimeOrigin::signed(account(owner)), device, account(owners[(size % 3) as usize])),
					_ => Registry::decommission(RuntimeOrigin::signed(account(owner)), device),
				};
				succeeded += usize::from(result.is_ok());
				prop_assert_eq!(Balances::total_issuance(), issuance);
				prop_assert!(Registry::do_try_state().is_ok(), "{:?}", Registry::do_try_state());
			}
			prop_assert!(succeeded >= 1, "not one operation succeeded");
			Ok(())
		})?;
	});
}

/// Every byte a device makes the registry keep (its record, its place in the owner index and
/// every key it has had) is within what `record_bytes` and `key_bytes` price.
#[test]
fn the_deposit_prices_cover_the_bytes_a_device_stores() {
	run(|| {
		let prefix = sp_io::hashing::twox_128(b"DeviceRegistry");
		let next_id = [prefix, sp_io::hashing::twox_128(b"NextDeviceId")].concat();
		let stored = || {
			let mut bytes = 0u64;
			let mut key = prefix.to_vec();
			while let Some(next) = sp_io::storage::next_key(&key) {
				if !next.starts_with(&prefix) {
					break;
				}
				if !next.starts_with(&next_id) {
					bytes += (next.len() + sp_io::storage::get(&next).unwrap().len()) as u64;
				}
				key = next;
			}
			bytes
		};
		let first = DevicePair::ec(11);
		let uri = "x".repeat(64);
		let metadata = DeviceMetadata {
			geohash: b"u33dc0u33dc0".to_vec().try_into().unwrap(),
			model_hash: Some(H256::repeat_byte(1)),
			firmware_hash: Some(H256::repeat_byte(2)),
			uri: uri.as_bytes().to_vec().try_into().unwrap(),
		};
		// Metadata beyond its empty form is priced per byte (`DepositPerByte`).
		let metadata_bytes =
			(metadata.encoded_size() - MetadataOf::<Test>::default().encoded_size()) as u64;
		assert_ok!(try_register(ALICE, first.key(), first.register_proof(ALICE), metadata));
		let id = NextDeviceId::<Test>::get() - 1;
		assert_ok!(Registry::set_operator(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			Some(account(BOB))
		));
		assert!(stored() <= Registry::record_bytes() + Registry::key_bytes() + metadata_bytes);
		for epoch in 1..=3u32 {
			let next = DevicePair::ec(11 + epoch as u8);
			assert_ok!(Registry::rotate_key(
				RuntimeOrigin::signed(account(ALICE)),
				id,
				next.key(),
				next.rotate_proof(id, epoch)
			));
			let covered = Registry::record_bytes()
				+ Registry::key_bytes() * u64::from(epoch + 1)
				+ metadata_bytes;
			assert!(stored() <= covered, "{} stored > {covered} covered", stored());
		}
	});
}

#[test]
fn a_new_key_needs_a_new_certification() {
	run(|| {
		let first = DevicePair::sr(11);
		let id = register(ALICE, &first);
		assert_ok!(Registry::certify(RuntimeOrigin::root(), id));
		let laptop = DevicePair::ed(12);
		assert_ok!(Registry::rotate_key(
			RuntimeOrigin::signed(account(ALICE)),
			id,
			laptop.key(),
			laptop.rotate_proof(id, 1)
		));
		assert_eq!(Devices::<Test>::get(id).unwrap().certification, None);
		assert!(!<Registry as DeviceLookup<_>>::device(id).unwrap().certified);
		System::assert_has_event(Event::Uncertified { device: id }.into());
		System::assert_has_event(
			Event::KeyRotated { device: id, epoch: 1, key: laptop.key() }.into(),
		);
		assert_ok!(Registry::certify(RuntimeOrigin::root(), id));
	});
}

// ---------------------------------------------------------------- zone index

fn register_in(owner: u8, pair: &DevicePair, class: DeviceClass, zone: ZoneId) -> DispatchResult {
	Registry::register(
		RuntimeOrigin::signed(account(owner)),
		class,
		zone,
		pair.key(),
		pair.register_proof(owner),
		None,
		Default::default(),
	)
}

fn zone_ids(zone: ZoneId, class: DeviceClass) -> Vec<DeviceId> {
	Registry::devices_in_zone(zone, class, None, u32::MAX).into_iter().map(|(id, _)| id).collect()
}

#[test]
fn the_zone_index_follows_registration_and_decommissioning() {
	run(|| {
		let parking = DeviceClass::ParkingSensor;
		register_in(ALICE, &DevicePair::sr(11), parking, 5).unwrap();
		register_in(BOB, &DevicePair::sr(12), parking, 5).unwrap();
		register_in(ALICE, &DevicePair::sr(13), DeviceClass::SmartMeter, 5).unwrap();
		register_in(ALICE, &DevicePair::sr(14), parking, 6).unwrap();
		assert_eq!(zone_ids(5, parking), vec![0, 1]);
		assert_eq!(zone_ids(5, DeviceClass::SmartMeter), vec![2]);
		assert_eq!(zone_ids(6, parking), vec![3]);
		assert_eq!(ZoneDeviceCount::<Test>::get(5, parking), 2);
		// Pages: after an id, at most a limit.
		let page = Registry::devices_in_zone(5, parking, Some(0), 10);
		assert_eq!(page.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![1]);
		assert_eq!(Registry::devices_in_zone(5, parking, None, 1).len(), 1);
		// Suspended devices stay indexed (they may be resumed); decommissioned leave.
		assert_ok!(Registry::suspend(RuntimeOrigin::signed(account(ALICE)), 0));
		assert_eq!(zone_ids(5, parking), vec![0, 1]);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 0));
		assert_eq!(zone_ids(5, parking), vec![1]);
		assert_eq!(ZoneDeviceCount::<Test>::get(5, parking), 1);
		assert!(!DevicesByZone::<Test>::contains_key((5, parking, 0)));
		// An ownership transfer leaves the device where it is.
		assert_ok!(Registry::transfer_ownership(
			RuntimeOrigin::signed(account(BOB)),
			1,
			account(ALICE)
		));
		assert_eq!(zone_ids(5, parking), vec![1]);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 1));
		assert!(zone_ids(5, parking).is_empty());
		assert!(!ZoneDeviceCount::<Test>::contains_key(5, parking));
	});
}

#[test]
fn a_full_zone_refuses_another_device_of_the_class() {
	run(|| {
		let parking = DeviceClass::ParkingSensor;
		// MaxDevicesPerZone is 4 in the mock; owners have at most 3 live devices.
		for seed in 11..14 {
			register_in(ALICE, &DevicePair::sr(seed), parking, 9).unwrap();
		}
		register_in(BOB, &DevicePair::sr(14), parking, 9).unwrap();
		let fifth = DevicePair::sr(15);
		assert_noop!(register_in(BOB, &fifth, parking, 9), Error::<Test>::ZoneFull);
		// Another class or another zone still has room.
		assert_ok!(register_in(BOB, &fifth, DeviceClass::SmartMeter, 9));
		assert_ok!(register_in(BOB, &DevicePair::sr(16), parking, 10));
		// Decommissioning one makes room again.
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 0));
		assert_ok!(register_in(ALICE, &DevicePair::sr(17), parking, 9));
		assert_eq!(ZoneDeviceCount::<Test>::get(9, parking), 4);
		// A squatter's devices: the registrar revokes them, and the zone has room again at
		// once (the owner need not cooperate). Decommissioning a revoked device later does
		// not count it twice.
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), 1));
		assert!(!zone_ids(9, parking).contains(&1));
		assert_eq!(ZoneDeviceCount::<Test>::get(9, parking), 3);
		assert_ok!(register_in(CHARLIE, &DevicePair::sr(18), parking, 9));
		assert_noop!(
			register_in(CHARLIE, &DevicePair::sr(19), parking, 9),
			Error::<Test>::ZoneFull
		);
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 1));
		assert_eq!(ZoneDeviceCount::<Test>::get(9, parking), 4);
	});
}

#[test]
fn the_migration_to_version_2_indexes_live_devices_by_zone() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	run(|| {
		let parking = DeviceClass::ParkingSensor;
		register_in(ALICE, &DevicePair::sr(11), parking, 5).unwrap();
		register_in(ALICE, &DevicePair::sr(12), parking, 5).unwrap();
		register_in(BOB, &DevicePair::sr(13), DeviceClass::Vehicle, 2).unwrap();
		register_in(BOB, &DevicePair::sr(14), DeviceClass::Vehicle, 2).unwrap();
		assert_ok!(Registry::decommission(RuntimeOrigin::signed(account(ALICE)), 1));
		assert_ok!(Registry::revoke(RuntimeOrigin::root(), 3));
		// What version 1 had: no zone index.
		let _ = DevicesByZone::<Test>::clear(u32::MAX, None);
		let _ = ZoneDeviceCount::<Test>::clear(u32::MAX, None);
		StorageVersion::new(1).put::<Registry>();
		assert!(Registry::do_try_state().is_err());

		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(2));
		assert_eq!(zone_ids(5, parking), vec![0]);
		assert_eq!(zone_ids(2, DeviceClass::Vehicle), vec![2]);
		assert_eq!(ZoneDeviceCount::<Test>::get(5, parking), 1);
		// Run again: the version guard makes it a no-op.
		crate::migrations::v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(ZoneDeviceCount::<Test>::get(5, parking), 1);
	});
}
