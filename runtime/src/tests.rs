//! Runtime tests: genesis presets, the fee path into the city treasury, and the constants that
//! clients rely on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use frame_support::traits::fungible::Inspect;
use sp_core::{crypto::Pair as _, sr25519};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Digest, traits::Header as _, BuildStorage};

use crate::*;
use city_primitives::{DeviceClass, DeviceKey};
use frame_support::dispatch::GetDispatchInfo;
use pallet_sensor_attestation::{MeasurementKind, Reading, Unit};
use sp_core::ed25519;
use sp_runtime::transaction_validity::TransactionSource;

fn genesis_from_preset(name: &str) -> RuntimeGenesisConfig {
	genesis_config_presets::preset_genesis_config(name).expect("the preset deserializes")
}

fn ext_from_preset(name: &str) -> sp_io::TestExternalities {
	genesis_from_preset(name).build_storage().expect("genesis builds").into()
}

#[test]
fn presets_are_listed() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names, vec!["development", "local_testnet"]);
	assert!(genesis_config_presets::get_preset(&"no_such_preset".into()).is_none());
}

#[test]
fn development_preset_has_one_validator_and_endowed_accounts() {
	ext_from_preset("development").execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		for account in Sr25519Keyring::well_known() {
			assert_eq!(
				Balances::balance(&account.to_account_id()),
				genesis_config_presets::ENDOWMENT
			);
		}
		assert_eq!(Balances::balance(&configs::CityTreasuryAccount::get()), EXISTENTIAL_DEPOSIT);
	});
}

#[test]
fn local_testnet_preset_has_four_distinct_validators() {
	ext_from_preset("local_testnet").execute_with(|| {
		let aura = pallet_aura::Authorities::<Runtime>::get();
		assert_eq!(aura.len(), 4);
		let expected: Vec<sp_consensus_aura::sr25519::AuthorityId> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.public().into())
		.collect();
		assert_eq!(aura.into_inner(), expected);
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 4);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
		let validators: Vec<AccountId> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.iter()
		.map(|k| k.to_account_id())
		.collect();
		assert_eq!(pallet_session::Validators::<Runtime>::get(), validators);
		assert_eq!(pallet_validator_set::Validators::<Runtime>::get().into_inner(), validators);
		assert_eq!(pallet_validator_set::MinValidators::<Runtime>::get(), 4);
		for validator in &validators {
			assert!(Session::load_keys(validator).is_some(), "genesis validators have keys");
		}
	});
}

#[test]
fn the_admin_cannot_shrink_the_local_testnet_below_four() {
	ext_from_preset("local_testnet").execute_with(|| {
		assert_eq!(
			ValidatorSet::remove_validator(
				RuntimeOrigin::root(),
				Sr25519Keyring::Bob.to_account_id()
			),
			Err(pallet_validator_set::Error::<Runtime>::TooFewValidators.into())
		);
	});
}

/// Mortal transactions anchored at genesis (block 0).
fn checkpoint(genesis_hash: Hash) -> Checkpoint {
	Checkpoint { number: 0, hash: genesis_hash }
}

/// Initializes block #1 on top of genesis, as the block author would; returns the genesis hash.
fn start_block_one() -> Hash {
	let genesis_hash = frame_system::BlockHash::<Runtime>::get(0);
	let header =
		Header::new(1, Default::default(), Default::default(), genesis_hash, Digest::default());
	Executive::initialize_block(&header);
	genesis_hash
}

#[test]
fn transaction_fees_go_to_the_city_treasury() {
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();

		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let alice_account: AccountId = alice.public().into();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: bob.clone().into(),
			value: 7 * UNIT,
		});
		let xt = sign_extrinsic(&alice, call, 0, genesis_hash, checkpoint(genesis_hash));

		let issuance_before = Balances::total_issuance();
		let treasury_before = Balances::balance(&configs::CityTreasuryAccount::get());
		let alice_before = Balances::balance(&alice_account);

		Executive::apply_extrinsic(xt).expect("valid transaction").expect("dispatch succeeds");

		let fee = alice_before - Balances::balance(&alice_account) - 7 * UNIT;
		assert!(fee > 0, "a transfer pays a fee");
		assert_eq!(Balances::balance(&bob), genesis_config_presets::ENDOWMENT + 7 * UNIT);
		assert_eq!(
			Balances::balance(&configs::CityTreasuryAccount::get()),
			treasury_before + fee,
			"the whole fee lands in the treasury"
		);
		assert_eq!(Balances::total_issuance(), issuance_before, "no fee is burnt");
	});
}

#[test]
fn a_transaction_signed_for_another_chain_is_rejected() {
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![1, 2, 3] });
		let other_chain = Hash::repeat_byte(0x42);
		let foreign = sign_extrinsic(&alice, call.clone(), 0, other_chain, checkpoint(other_chain));
		assert!(Executive::apply_extrinsic(foreign).is_err(), "bad proof must be refused");
		// The same transaction signed for this chain goes through.
		let native = sign_extrinsic(&alice, call, 0, genesis_hash, checkpoint(genesis_hash));
		assert!(matches!(Executive::apply_extrinsic(native), Ok(Ok(()))));
	});
}

#[test]
fn treasury_account_is_derived_from_the_pallet_id() {
	use sp_runtime::traits::AccountIdConversion;
	let expected: AccountId = frame_support::PalletId(*b"city/trs").into_account_truncating();
	assert_eq!(configs::CityTreasuryAccount::get(), expected);
}

/// The constant `name` of pallet `pallet` as the metadata carries it (what polkadot.js apps
/// and every metadata-driven client read), SCALE-decoded.
fn metadata_constant<T: codec::Decode>(pallet: &str, name: &str) -> T {
	let metadata = Runtime::metadata_ir();
	let pallet = metadata.pallets.iter().find(|p| p.name == pallet).expect("pallet in metadata");
	let constant = pallet.constants.iter().find(|c| c.name == name).expect("constant in metadata");
	T::decode(&mut &constant.value[..]).expect("constant decodes")
}

#[test]
fn the_metadata_tells_clients_the_runtimes_values() {
	assert_eq!(metadata_constant::<u16>("System", "SS58Prefix"), SS58_PREFIX);
	assert_eq!(metadata_constant::<Balance>("Balances", "ExistentialDeposit"), EXISTENTIAL_DEPOSIT);
	assert_eq!(
		metadata_constant::<u64>("SensorAttestation", "UnsignedPriority"),
		0,
		"free readings rank below every paid transaction"
	);
	assert_eq!(
		metadata_constant::<Perbill>("SensorAttestation", "DefaultFreeShare"),
		Perbill::from_percent(50)
	);
	assert_eq!(
		metadata_constant::<Balance>("DeviceRegistry", "DepositBase"),
		configs::city::DeviceDepositBase::get()
	);
	assert_eq!(UNIT, 10u128.pow(TOKEN_DECIMALS as u32));
	assert_eq!(VERSION.spec_name, "citychain");
	assert_eq!(MINUTES, 10, "6 s blocks");
}

#[test]
fn a_device_attests_a_reading_fee_less_as_a_bare_extrinsic() {
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(1_000_000);
		let device = ed25519::Pair::from_seed(&[7; 32]);
		let key = DeviceKey::Ed25519(device.public());
		let alice = Sr25519Keyring::Alice.to_account_id();
		let proof =
			device.sign(&pallet_device_registry::register_payload(&genesis_hash, &alice, &key));
		DeviceRegistry::register(
			RuntimeOrigin::signed(alice.clone()),
			DeviceClass::SmartMeter,
			1,
			key,
			proof.into(),
			None,
			Default::default(),
		)
		.unwrap();
		let alice_balance = Balances::balance(&alice);
		let reading = Reading {
			device: 0,
			seq: 1,
			timestamp_ms: 1_000_000,
			kind: MeasurementKind::EnergyExport,
			value: 42,
			unit: Unit::WattHour,
		};
		let signature =
			device.sign(&pallet_sensor_attestation::reading_payload(&genesis_hash, 0, &reading));
		let xt = UncheckedExtrinsic::new_bare(RuntimeCall::SensorAttestation(
			pallet_sensor_attestation::Call::submit_reading {
				reading,
				key_epoch: 0,
				signature: signature.into(),
			},
		));

		let parent = frame_system::Pallet::<Runtime>::parent_hash();
		// Uncertified, the device may not submit fee-less.
		assert!(
			Executive::validate_transaction(TransactionSource::External, xt.clone(), parent)
				.is_err(),
			"an uncertified device's bare reading is refused by the pool"
		);
		assert!(Executive::apply_extrinsic(xt.clone()).is_err());
		DeviceRegistry::certify(RuntimeOrigin::root(), 0).unwrap();
		let valid =
			Executive::validate_transaction(TransactionSource::External, xt.clone(), parent)
				.expect("a certified device's signed reading is valid in the pool");
		assert_eq!(valid.priority, 0);
		assert_eq!(valid.provides.len(), 1);
		assert!(matches!(Executive::apply_extrinsic(xt.clone()), Ok(Ok(()))));
		assert_eq!(
			pallet_sensor_attestation::Latest::<Runtime>::get(0, MeasurementKind::EnergyExport)
				.map(|latest| latest.value),
			Some(42)
		);
		assert_eq!(Balances::balance(&alice), alice_balance, "nobody paid a fee");
		// The same extrinsic again is a replay: refused before it reaches a block.
		assert!(Executive::validate_transaction(TransactionSource::External, xt.clone(), parent)
			.is_err());
		assert!(Executive::apply_extrinsic(xt).is_err());
	});
}

/// Registers a certified smart meter (device 0, key seed 7) owned by Alice; returns its key.
fn certified_meter(genesis_hash: Hash) -> ed25519::Pair {
	let device = ed25519::Pair::from_seed(&[7; 32]);
	let key = DeviceKey::Ed25519(device.public());
	let alice = Sr25519Keyring::Alice.to_account_id();
	let proof = device.sign(&pallet_device_registry::register_payload(&genesis_hash, &alice, &key));
	DeviceRegistry::register(
		RuntimeOrigin::signed(alice),
		DeviceClass::SmartMeter,
		1,
		key,
		proof.into(),
		None,
		Default::default(),
	)
	.unwrap();
	DeviceRegistry::certify(RuntimeOrigin::root(), 0).unwrap();
	device
}

fn bare_reading(device: &ed25519::Pair, genesis_hash: Hash, seq: u64) -> UncheckedExtrinsic {
	let reading = Reading {
		device: 0,
		seq,
		timestamp_ms: 1_000_000,
		kind: MeasurementKind::Power,
		value: 42,
		unit: Unit::Watt,
	};
	let signature =
		device.sign(&pallet_sensor_attestation::reading_payload(&genesis_hash, 0, &reading));
	UncheckedExtrinsic::new_bare(RuntimeCall::SensorAttestation(
		pallet_sensor_attestation::Call::submit_reading {
			reading,
			key_epoch: 0,
			signature: signature.into(),
		},
	))
}

#[test]
fn every_paid_transaction_outranks_a_free_reading_in_the_pool() {
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(1_000_000);
		let device = certified_meter(genesis_hash);
		let parent = frame_system::Pallet::<Runtime>::parent_hash();
		let free = Executive::validate_transaction(
			TransactionSource::External,
			bare_reading(&device, genesis_hash, 1),
			parent,
		)
		.unwrap();
		// The cheapest paid transaction there is: a remark of nothing, no tip.
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let remark = sign_extrinsic(
			&bob,
			RuntimeCall::System(frame_system::Call::remark { remark: vec![] }),
			0,
			genesis_hash,
			checkpoint(genesis_hash),
		);
		let paid =
			Executive::validate_transaction(TransactionSource::External, remark, parent).unwrap();
		assert!(paid.priority > free.priority, "paid {} vs free {}", paid.priority, free.priority);
	});
}

#[test]
fn free_readings_stop_at_the_free_share_and_wait_for_the_next_block() {
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(1_000_000);
		let device = certified_meter(genesis_hash);
		// A free share that fits one reading (weight) per block.
		let xt = bare_reading(&device, genesis_hash, 1);
		let info = xt.function.get_dispatch_info();
		let weights = configs::RuntimeBlockWeights::get();
		let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
		let one = info.total_weight() + normal.base_extrinsic;
		let max = normal.max_total.unwrap().ref_time();
		let share = Perbill::from_rational(one.ref_time() * 3 / 2, max);
		SensorAttestation::set_free_share(RuntimeOrigin::root(), share).unwrap();
		assert!(matches!(Executive::apply_extrinsic(xt), Ok(Ok(()))));
		let second = bare_reading(&device, genesis_hash, 2);
		assert_eq!(
			Executive::apply_extrinsic(second.clone()),
			Err(sp_runtime::transaction_validity::InvalidTransaction::ExhaustsResources.into()),
			"the block builder skips it and keeps it in the pool"
		);
		// It is still valid for the pool: it waits for a later block.
		let parent = frame_system::Pallet::<Runtime>::parent_hash();
		assert!(
			Executive::validate_transaction(TransactionSource::External, second, parent).is_ok()
		);
	});
}

#[test]
fn fees_follow_paid_traffic_not_free_readings() {
	use frame_support::dispatch::DispatchClass;
	use pallet_transaction_payment::Multiplier;
	use sp_runtime::traits::Convert;
	ext_from_preset("development").execute_with(|| {
		start_block_one();
		let weights = configs::RuntimeBlockWeights::get();
		let normal_max = weights.get(DispatchClass::Normal).max_total.unwrap();
		let one = Multiplier::from_u32(1);
		// Free readings fill their whole share (half the normal capacity): fees stay put.
		let free = Perbill::from_percent(50) * normal_max;
		frame_system::BlockWeight::<Runtime>::mutate(|w| w.set(free, DispatchClass::Normal));
		pallet_sensor_attestation::FreeUsed::<Runtime>::put(pallet_sensor_attestation::FreeUsage {
			block: 1,
			weight: free,
			len: 0,
		});
		let before = frame_system::BlockWeight::<Runtime>::get();
		assert_eq!(configs::monetary::PaidTrafficFeeUpdate::convert(one), one);
		assert_eq!(frame_system::BlockWeight::<Runtime>::get(), before, "block weight restored");
		// The same weight from paid transactions is congestion: fees rise.
		pallet_sensor_attestation::FreeUsed::<Runtime>::kill();
		assert!(configs::monetary::PaidTrafficFeeUpdate::convert(one) > one);
		// An idle chain never goes below the base fee.
		frame_system::BlockWeight::<Runtime>::kill();
		assert_eq!(configs::monetary::PaidTrafficFeeUpdate::convert(one), one);
	});
}

/// What users pay, printed for `docs/figures.md` and held to sane bounds.
#[test]
fn what_a_transfer_a_registration_and_a_paid_reading_cost() {
	use codec::Encode;
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(1_000_000);
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let fee_of = |call: RuntimeCall, nonce: u32| {
			let xt = sign_extrinsic(&alice, call, nonce, genesis_hash, checkpoint(genesis_hash));
			let len = xt.encoded_size() as u32;
			TransactionPayment::query_info(xt, len).partial_fee
		};
		let transfer = fee_of(
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: Sr25519Keyring::Bob.to_account_id().into(),
				value: UNIT,
			}),
			0,
		);
		let device = ed25519::Pair::from_seed(&[9; 32]);
		let key = DeviceKey::Ed25519(device.public());
		let owner = Sr25519Keyring::Alice.to_account_id();
		let proof =
			device.sign(&pallet_device_registry::register_payload(&genesis_hash, &owner, &key));
		let registration = fee_of(
			RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register {
				class: DeviceClass::SmartMeter,
				zone: 1,
				key,
				proof: proof.into(),
				operator: None,
				metadata: Default::default(),
			}),
			0,
		);
		let meter = certified_meter(genesis_hash);
		let bare = bare_reading(&meter, genesis_hash, 1);
		let paid_reading = fee_of(bare.function.clone(), 1);
		let deposit = DeviceRegistry::deposit_for(&Default::default(), 0);
		println!(
			"FIGURE fees (CITY): transfer {:.6}, device registration {:.6} (+ deposit {:.4} held), gateway-paid reading {:.6}",
			transfer as f64 / UNIT as f64,
			registration as f64 / UNIT as f64,
			deposit as f64 / UNIT as f64,
			paid_reading as f64 / UNIT as f64,
		);
		for fee in [transfer, registration, paid_reading] {
			assert!(fee > 0 && fee < UNIT / 100, "a fee of {fee} is out of bounds");
		}
		assert!(deposit > UNIT / 10 && deposit < 10 * UNIT, "a deposit of {deposit}");
	});
}

#[test]
fn the_device_deposit_covers_the_state_a_device_can_make_others_keep() {
	let price = configs::city::DEPOSIT_PER_BYTE;
	let base = configs::city::DeviceDepositBase::get();
	let attestation = Balance::from(SensorAttestation::max_state_bytes_per_device());
	let record = Balance::from(DeviceRegistry::record_bytes());
	assert_eq!(base, price * (record + attestation));
	assert!(configs::city::DeviceRetainedDeposit::get() < base);
	assert_eq!(
		configs::city::DeviceKeyDeposit::get(),
		price * Balance::from(DeviceRegistry::key_bytes())
	);
}

/// pallet-session drops validators without keys; a governed validator therefore may not
/// purge its keys, and the set pallet-session uses stays at the minimum or above.
#[test]
fn a_governed_validator_cannot_take_the_set_below_its_minimum() {
	use sp_runtime::traits::Dispatchable;
	ext_from_preset("local_testnet").execute_with(|| {
		start_block_one();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let purge = RuntimeCall::Session(pallet_session::Call::purge_keys {});
		let result = purge.dispatch(RuntimeOrigin::signed(bob.clone()));
		assert_eq!(
			result.map_err(|e| e.error),
			Err(frame_system::Error::<Runtime>::CallFiltered.into())
		);
		assert_eq!(
			ValidatorSet::purge_keys(RuntimeOrigin::signed(bob.clone())),
			Err(pallet_validator_set::Error::<Runtime>::StillValidator.into())
		);
		assert!(Session::load_keys(&bob).is_some());
		// Sessions go by: the four stay, and GRANDPA sees no change (no new set every session).
		let set_id = Grandpa::current_set_id();
		for _ in 0..3 {
			Session::rotate_session();
		}
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(Grandpa::current_set_id(), set_id);
		assert!(pallet_grandpa::PendingChange::<Runtime>::get().is_none());
	});
}

#[test]
fn a_removed_validator_purges_its_keys_and_gets_the_deposit_back() {
	use frame_support::traits::fungible::InspectHold;
	ext_from_preset("local_testnet").execute_with(|| {
		start_block_one();
		let dave = Sr25519Keyring::Dave.to_account_id();
		ValidatorSet::set_min_validators(RuntimeOrigin::root(), 3).unwrap();
		ValidatorSet::remove_validator(RuntimeOrigin::root(), dave.clone()).unwrap();
		assert_eq!(
			ValidatorSet::remove_validator(
				RuntimeOrigin::root(),
				Sr25519Keyring::Charlie.to_account_id()
			),
			Err(pallet_validator_set::Error::<Runtime>::TooFewValidators.into())
		);
		ValidatorSet::purge_keys(RuntimeOrigin::signed(dave.clone())).unwrap();
		assert!(Session::load_keys(&dave).is_none());
		assert_eq!(Balances::total_balance_on_hold(&dave), 0, "key deposit released");
		Session::rotate_session();
		Session::rotate_session();
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 3);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
	});
}

/// The runbook's recovery when voters are lost for good (`docs/validators.md`, section 5),
/// step by step: lower the minimum, remove the lost validators, wait one session change, note
/// the stall: at the next session change GRANDPA schedules a forced change to the survivors.
#[test]
fn the_runbooks_stall_recovery_works_as_written() {
	ext_from_preset("local_testnet").execute_with(|| {
		start_block_one();
		let survivors: Vec<AccountId> = [Sr25519Keyring::Alice, Sr25519Keyring::Bob]
			.iter()
			.map(|k| k.to_account_id())
			.collect();
		// Step 1: lower the minimum to the survivors, remove the lost.
		ValidatorSet::set_min_validators(RuntimeOrigin::root(), 2).unwrap();
		for lost in [Sr25519Keyring::Charlie, Sr25519Keyring::Dave] {
			ValidatorSet::remove_validator(RuntimeOrigin::root(), lost.to_account_id()).unwrap();
		}
		// Step 2: one session change queues the survivors.
		Session::rotate_session();
		let queued: Vec<AccountId> =
			pallet_session::QueuedKeys::<Runtime>::get().into_iter().map(|(who, _)| who).collect();
		assert_eq!(queued, survivors);
		// Step 3: note the stall.
		ValidatorSet::note_stalled(RuntimeOrigin::root(), 5, 0).unwrap();
		// At the next session change: a forced change to the two survivors.
		Session::rotate_session();
		let change = pallet_grandpa::PendingChange::<Runtime>::get().expect("a change is pending");
		assert_eq!(change.forced, Some(0), "the change is forced: it needs no finality");
		assert_eq!(change.delay, 5);
		assert_eq!(change.next_authorities.len(), 2);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 2);
	});
}

/// `parking_availability` counts a space free only by a fresh "free" reading of an active,
/// certified parking sensor in the zone: not an occupied one, not a stale one, not a suspended
/// or uncertified sensor's, not another zone's, not another class's.
#[test]
fn parking_availability_counts_only_fresh_free_readings_of_active_sensors_in_the_zone() {
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		let now = 10_000_000u64;
		pallet_timestamp::Now::<Runtime>::put(now);
		let alice = Sr25519Keyring::Alice.to_account_id();
		let register = |seed: u8, class: DeviceClass, zone: u32| -> (u64, ed25519::Pair) {
			let device = ed25519::Pair::from_seed(&[seed; 32]);
			let key = DeviceKey::Ed25519(device.public());
			let proof =
				device.sign(&pallet_device_registry::register_payload(&genesis_hash, &alice, &key));
			let id = pallet_device_registry::NextDeviceId::<Runtime>::get();
			DeviceRegistry::register(
				RuntimeOrigin::signed(alice.clone()),
				class,
				zone,
				key,
				proof.into(),
				None,
				Default::default(),
			)
			.unwrap();
			(id, device)
		};
		let report =
			|id: u64, device: &ed25519::Pair, kind: MeasurementKind, value: i64, age_ms: u64| {
				let reading = Reading {
					device: id,
					seq: 1,
					timestamp_ms: now - age_ms,
					kind,
					value,
					unit: Unit::Count,
				};
				let signature = device.sign(&pallet_sensor_attestation::reading_payload(
					&genesis_hash,
					0,
					&reading,
				));
				SensorAttestation::submit_reading(
					RuntimeOrigin::signed(alice.clone()),
					reading,
					0,
					signature.into(),
				)
				.unwrap();
			};
		let occupancy = MeasurementKind::ParkingOccupancy;
		let minute = 60_000;
		let (free_a, a) = register(1, DeviceClass::ParkingSensor, 5);
		let (free_b, b) = register(2, DeviceClass::ParkingSensor, 5);
		let (taken, c) = register(3, DeviceClass::ParkingSensor, 5);
		let (stale, d) = register(4, DeviceClass::ParkingSensor, 5);
		let (suspended, e) = register(5, DeviceClass::ParkingSensor, 5);
		let (silent, _) = register(6, DeviceClass::ParkingSensor, 5);
		let (elsewhere, f) = register(7, DeviceClass::ParkingSensor, 6);
		let (meter, g) = register(8, DeviceClass::SmartMeter, 5);
		let (squatter, h) = register(9, DeviceClass::ParkingSensor, 5);
		for id in [free_a, free_b, taken, stale, suspended, silent, elsewhere, meter] {
			DeviceRegistry::certify(RuntimeOrigin::root(), id).unwrap();
		}
		report(free_a, &a, occupancy, 0, 0);
		report(free_b, &b, occupancy, 0, 14 * minute);
		report(taken, &c, occupancy, 1, minute);
		report(stale, &d, occupancy, 0, 16 * minute);
		report(suspended, &e, occupancy, 0, minute);
		report(elsewhere, &f, occupancy, 0, minute);
		report(meter, &g, occupancy, 0, minute);
		report(squatter, &h, occupancy, 0, minute);
		DeviceRegistry::suspend(RuntimeOrigin::signed(alice.clone()), suspended).unwrap();

		let zone5 = parking::availability(5, 15 * minute);
		assert_eq!(zone5.now_ms, now);
		assert_eq!(
			(zone5.free, zone5.occupied, zone5.unknown),
			(2, 1, 2),
			"stale and silent are unknown"
		);
		let ids: Vec<u64> = zone5.sensors.iter().map(|s| s.device).collect();
		assert_eq!(ids, vec![free_a, free_b, taken, stale, suspended, silent, squatter]);
		let sensor = |id| zone5.sensors.iter().find(|s| s.device == id).unwrap();
		assert!(sensor(free_a).fresh && !sensor(stale).fresh && sensor(silent).occupancy.is_none());
		assert!(sensor(free_a).certified && !sensor(squatter).certified);
		assert!(sensor(squatter).fresh, "listed with its fresh reading, but not counted");
		assert_eq!(
			sensor(suspended).status,
			city_primitives::DeviceStatus::Suspended(city_primitives::Suspender::Owner)
		);
		assert_eq!(
			sensor(stale).occupancy.as_ref().map(|r| r.timestamp_ms),
			Some(now - 16 * minute)
		);
		// A shorter freshness bound turns the 14-minute-old reading unknown.
		let strict = parking::availability(5, 10 * minute);
		assert_eq!((strict.free, strict.occupied, strict.unknown), (1, 1, 3));
		// Zone 6 has its own sensor; a zone without sensors has none.
		assert_eq!(parking::availability(6, 15 * minute).free, 1);
		let empty = parking::availability(99, 15 * minute);
		assert!(empty.sensors.is_empty() && empty.free == 0 && empty.unknown == 0);
		// A decommissioned sensor leaves the zone.
		DeviceRegistry::decommission(RuntimeOrigin::signed(alice.clone()), free_a).unwrap();
		let after = parking::availability(5, 15 * minute);
		assert_eq!((after.free, after.sensors.len()), (1, 6));
		// A revoked sensor leaves the zone too.
		DeviceRegistry::revoke(RuntimeOrigin::root(), squatter).unwrap();
		assert_eq!(parking::availability(5, 15 * minute).sensors.len(), 5);
	});
}

/// Registers a certified smart meter of `owner` in zone 1 with the ed25519 key of `seed`;
/// returns its id and key.
fn registered_meter(owner: &Sr25519Keyring, seed: u8, genesis_hash: Hash) -> (u64, ed25519::Pair) {
	let device = ed25519::Pair::from_seed(&[seed; 32]);
	let key = DeviceKey::Ed25519(device.public());
	let account = owner.to_account_id();
	let proof =
		device.sign(&pallet_device_registry::register_payload(&genesis_hash, &account, &key));
	let id = pallet_device_registry::NextDeviceId::<Runtime>::get();
	DeviceRegistry::register(
		RuntimeOrigin::signed(account),
		DeviceClass::SmartMeter,
		1,
		key,
		proof.into(),
		None,
		Default::default(),
	)
	.unwrap();
	DeviceRegistry::certify(RuntimeOrigin::root(), id).unwrap();
	(id, device)
}

/// A meter's energy counter reading, as the bare (fee-less) extrinsic its gateway sends.
fn counter_reading(
	device: &ed25519::Pair,
	id: u64,
	genesis_hash: Hash,
	seq: u64,
	kind: MeasurementKind,
	timestamp_ms: u64,
	wh: i64,
) -> UncheckedExtrinsic {
	let reading = Reading { device: id, seq, timestamp_ms, kind, value: wh, unit: Unit::WattHour };
	let signature =
		device.sign(&pallet_sensor_attestation::reading_payload(&genesis_hash, 0, &reading));
	UncheckedExtrinsic::new_bare(RuntimeCall::SensorAttestation(
		pallet_sensor_attestation::Call::submit_reading {
			reading,
			key_epoch: 0,
			signature: signature.into(),
		},
	))
}

/// Moves the energy market's hooks on to block `n` (6 seconds a block).
fn run_market_to(n: BlockNumber) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		EnergyMarket::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		pallet_timestamp::Now::<Runtime>::put(u64::from(next) * 6_000);
		EnergyMarket::on_initialize(next);
	}
}

#[test]
fn an_energy_trade_settles_on_the_meters_attested_counters() {
	use pallet_energy_market::{MarketStatus, Side};
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(6_000);
		let (seller, buyer) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
		let (seller_meter, seller_key) = registered_meter(&seller, 7, genesis_hash);
		let (buyer_meter, buyer_key) = registered_meter(&buyer, 8, genesis_hash);
		let treasury = configs::CityTreasuryAccount::get();
		let issuance = Balances::total_issuance();
		let before = |who: &Sr25519Keyring| Balances::balance(&who.to_account_id());
		let (seller_before, buyer_before, treasury_before) =
			(before(&seller), before(&buyer), Balances::balance(&treasury));

		// Slot 1 (blocks 10..20) of zone 1: an ask of 2 kWh at 0.10 CITY, a bid of 1.5 kWh at
		// 0.25 CITY. The volume is 1.5 kWh at every tick from 0.10 to 0.25 with the same
		// imbalance: the lowest, 0.10, clears.
		EnergyMarket::place_order(
			RuntimeOrigin::signed(seller.to_account_id()),
			1,
			1,
			Side::Ask,
			100 * MILLI_UNIT,
			2_000,
			seller_meter,
		)
		.unwrap();
		EnergyMarket::place_order(
			RuntimeOrigin::signed(buyer.to_account_id()),
			1,
			1,
			Side::Bid,
			250 * MILLI_UNIT,
			1_500,
			buyer_meter,
		)
		.unwrap();
		// Bond 0.10 per kWh offered; escrow (0.25 + 0.02 grid fee) per kWh bid.
		assert_eq!(Balances::balance(&seller.to_account_id()), seller_before - 200 * MILLI_UNIT);
		assert_eq!(Balances::balance(&buyer.to_account_id()), buyer_before - 405 * MILLI_UNIT);

		run_market_to(8);
		let market = pallet_energy_market::Markets::<Runtime>::get(1, 1).unwrap();
		let MarketStatus::Cleared(cleared) = market.status else { panic!("not cleared") };
		assert_eq!((cleared.tick, cleared.volume_wh), (15, 1_500));

		// The meters report their counters at the slot's start and end: the seller exported
		// 1 kWh of its 1.5 allocated, the buyer imported all 1.5.
		run_market_to(21);
		let market = pallet_energy_market::Markets::<Runtime>::get(1, 1).unwrap();
		let (start, end) = (market.start_ms.unwrap(), market.end_ms.unwrap());
		assert_eq!((start, end), (60_000, 120_000));
		for xt in [
			counter_reading(
				&seller_key,
				seller_meter,
				genesis_hash,
				1,
				MeasurementKind::EnergyExport,
				start,
				5_000,
			),
			counter_reading(
				&seller_key,
				seller_meter,
				genesis_hash,
				2,
				MeasurementKind::EnergyExport,
				end,
				6_000,
			),
			counter_reading(
				&buyer_key,
				buyer_meter,
				genesis_hash,
				1,
				MeasurementKind::EnergyImport,
				start,
				100,
			),
			counter_reading(
				&buyer_key,
				buyer_meter,
				genesis_hash,
				2,
				MeasurementKind::EnergyImport,
				end,
				1_600,
			),
		] {
			assert!(matches!(Executive::apply_extrinsic(xt), Ok(Ok(()))));
		}

		EnergyMarket::settle(RuntimeOrigin::signed(Sr25519Keyring::Charlie.to_account_id()), 1, 1)
			.unwrap();
		let market = pallet_energy_market::Markets::<Runtime>::get(1, 1).unwrap();
		assert_eq!(market.settlement.phase, pallet_energy_market::settlement::Phase::Done);
		// 1 kWh moved at 0.10: the seller is paid 0.10 and forfeits 0.10 x 0.5 kWh = 0.05 to the
		// buyer it left short; the buyer pays 0.10 and the grid fee 0.02.
		assert_eq!(Balances::balance(&seller.to_account_id()), seller_before + 50 * MILLI_UNIT);
		assert_eq!(Balances::balance(&buyer.to_account_id()), buyer_before - 70 * MILLI_UNIT);
		assert_eq!(Balances::balance(&treasury), treasury_before + 20 * MILLI_UNIT);
		assert_eq!(Balances::total_issuance(), issuance);
		use frame_support::traits::fungible::InspectHold;
		for who in [&seller, &buyer] {
			for reason in [
				pallet_energy_market::HoldReason::BidEscrow,
				pallet_energy_market::HoldReason::AskBond,
			] {
				assert_eq!(Balances::balance_on_hold(&reason.into(), &who.to_account_id()), 0);
			}
		}
	});
}

/// A vehicle of `owner`'s in the real registry, certified, with the ed25519 key of `seed`.
fn registered_vehicle(
	owner: &Sr25519Keyring,
	seed: u8,
	genesis_hash: Hash,
) -> (u64, ed25519::Pair) {
	let device = ed25519::Pair::from_seed(&[seed; 32]);
	let key = DeviceKey::Ed25519(device.public());
	let account = owner.to_account_id();
	let proof =
		device.sign(&pallet_device_registry::register_payload(&genesis_hash, &account, &key));
	let id = pallet_device_registry::NextDeviceId::<Runtime>::get();
	DeviceRegistry::register(
		RuntimeOrigin::signed(account),
		DeviceClass::Vehicle,
		1,
		key,
		proof.into(),
		None,
		Default::default(),
	)
	.unwrap();
	DeviceRegistry::certify(RuntimeOrigin::root(), id).unwrap();
	(id, device)
}

#[test]
fn a_ride_settles_under_the_presets_tariff_with_the_city_fee_in_the_treasury() {
	use codec::Encode;
	use pallet_ride_settlement::{Place, RideStatus, SettledBy, TripSummary};
	use sp_runtime::traits::Dispatchable;
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(1_790_000_000_000);
		let (bob, dave) = (Sr25519Keyring::Bob.to_account_id(), Sr25519Keyring::Dave.to_account_id());
		let (vehicle, key) = registered_vehicle(&Sr25519Keyring::Bob, 21, genesis_hash);
		assert_ok(RideSettlement::register_driver(RuntimeOrigin::signed(bob.clone()), vehicle));
		assert_ok(RideSettlement::set_on_duty(RuntimeOrigin::signed(bob.clone()), true));
		let place = |zone| Place { zone, geohash: b"u173zq".to_vec().try_into().unwrap() };
		let request = RuntimeCall::RideSettlement(pallet_ride_settlement::Call::request_ride {
			pickup: place(1),
			dropoff: place(2),
			max_fare: 30 * UNIT,
			start_code: None,
		});
		let (dave_before, bob_before) = (Balances::balance(&dave), Balances::balance(&bob));
		let treasury_before = Balances::balance(&configs::CityTreasuryAccount::get());
		assert_ok(request.clone().dispatch(RuntimeOrigin::signed(dave.clone())).map(|_| ()).map_err(|e| e.error));
		let ride = 0;
		assert_ok(RideSettlement::accept_ride(RuntimeOrigin::signed(bob.clone()), ride));
		assert_ok(RideSettlement::start_ride(RuntimeOrigin::signed(dave.clone()), ride));
		// 15 minutes, 5.4 km.
		let trip = TripSummary {
			ride,
			vehicle,
			distance_m: 5_400,
			duration_s: 900,
			route_hash: Default::default(),
			start_ms: 1_790_000_000_000,
			end_ms: 1_790_000_900_000,
		};
		pallet_timestamp::Now::<Runtime>::put(1_790_000_900_000);
		let signature = key.sign(&pallet_ride_settlement::trip_payload(&genesis_hash, 0, &trip));
		let complete = RuntimeCall::RideSettlement(pallet_ride_settlement::Call::complete_ride {
			ride,
			trip: trip.clone(),
			signature: signature.into(),
		});
		assert_ok(complete.clone().dispatch(RuntimeOrigin::signed(bob.clone())).map(|_| ()).map_err(|e| e.error));
		assert_ok(RideSettlement::confirm_ride(RuntimeOrigin::signed(dave.clone()), ride));
		let record = pallet_ride_settlement::Rides::<Runtime>::get(ride).unwrap();
		assert_eq!(record.status, RideStatus::Settled(SettledBy::Rider));
		// 2 + 1.5 x 5.4 + 0.3 x 15 = 14.6 CITY; 3 % of it, 0.438, to the treasury.
		let fare = 14_600 * MILLI_UNIT;
		let city_fee = 438 * MILLI_UNIT;
		assert_eq!(record.outcome.fare, fare);
		assert_eq!(record.outcome.city_fee, city_fee);
		let deposit = configs::city::RideDeposit::get();
		assert_eq!(Balances::balance(&dave), dave_before - fare - deposit);
		assert_eq!(Balances::balance(&bob), bob_before + fare - city_fee);
		assert_eq!(
			Balances::balance(&configs::CityTreasuryAccount::get()),
			treasury_before + city_fee
		);
		// What a ride's transactions cost (weights from the benchmarks, plus length).
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let fee_of = |call: RuntimeCall| {
			let xt = sign_extrinsic(&alice, call, 0, genesis_hash, checkpoint(genesis_hash));
			let len = xt.encoded_size() as u32;
			TransactionPayment::query_info(xt, len).partial_fee
		};
		let (request_fee, complete_fee) = (fee_of(request), fee_of(complete));
		println!(
			"FIGURE ride fees (CITY): request {:.6}, complete {:.6}; ride deposit {:.4} held until the ride leaves storage",
			request_fee as f64 / UNIT as f64,
			complete_fee as f64 / UNIT as f64,
			deposit as f64 / UNIT as f64,
		);
		assert!(request_fee > 0 && complete_fee < UNIT / 100);
		assert!(deposit > 0 && deposit < UNIT, "a ride deposit of {deposit}");
		assert_eq!(
			deposit,
			configs::city::DEPOSIT_PER_BYTE
				* Balance::from(RideSettlement::ride_storage_bytes())
		);
	});
}

fn assert_ok(result: sp_runtime::DispatchResult) {
	result.unwrap();
}

// ------------------------------------------------------------------ governance (issue 13)

/// The whole data-sharing path through the real pallets: Alice consents (a data-access grant to
/// holder 0 for energy readings), enrolls her certified meter, the city funds the period, the
/// meter's fee-less readings earn points through sensor attestation's hook, and after the
/// period Alice, the only earner, claims the whole pool.
#[test]
fn a_consenting_meters_fee_less_readings_earn_its_owner_the_reward_pool() {
	use pallet_civic_credits::RewardPools;
	ext_from_preset("development").execute_with(|| {
		let genesis_hash = start_block_one();
		pallet_timestamp::Now::<Runtime>::put(1_000_000);
		let meter = certified_meter(genesis_hash);
		let alice = Sr25519Keyring::Alice.to_account_id();
		DataAccess::approve_holder(
			RuntimeOrigin::root(),
			Sr25519Keyring::Ferdie.to_account_id(),
			b"City data office".to_vec().try_into().unwrap(),
			Default::default(),
		)
		.unwrap();
		DataAccess::grant(
			RuntimeOrigin::signed(alice.clone()),
			0,
			1,
			2,
			Default::default(),
			1_000_000,
			1_000_000 + 86_400_000,
			Default::default(),
		)
		.unwrap();
		// Without the owner's consent grant, no enrollment.
		assert!(CivicCredits::enroll(RuntimeOrigin::signed(alice.clone()), 0, 1).is_err());
		CivicCredits::enroll(RuntimeOrigin::signed(alice.clone()), 0, 0).unwrap();
		const CREDIT: Balance = UNIT;
		CivicCredits::fund_rewards(RuntimeOrigin::root(), 0, 1_000 * CREDIT).unwrap();
		for seq in 1..=3 {
			assert!(matches!(
				Executive::apply_extrinsic(bare_reading(&meter, genesis_hash, seq)),
				Ok(Ok(()))
			));
		}
		assert_eq!(CivicCredits::points_of(&alice, 0), 3);
		assert_eq!(RewardPools::<Runtime>::get(0).points, 3);
		// Period 0 ends at block 10 in the presets.
		System::set_block_number(10);
		CivicCredits::claim_reward(RuntimeOrigin::signed(alice.clone()), 0).unwrap();
		let credits: Balance = CivicCredits::lots_of(&alice).iter().map(|lot| lot.amount).sum();
		assert_eq!(credits, 1_000 * CREDIT);
		assert_eq!(CivicCredits::stats_view().outstanding, 1_000 * CREDIT);
	});
}

mod governance {
	use super::*;
	use frame_support::{assert_noop, assert_ok, traits::fungible::Mutate};
	use sp_runtime::{
		traits::{Dispatchable, Hash as _},
		DispatchError,
	};

	fn account(k: Sr25519Keyring) -> AccountId {
		k.to_account_id()
	}

	fn signed(k: Sr25519Keyring) -> RuntimeOrigin {
		RuntimeOrigin::signed(account(k))
	}

	const COUNCIL: [Sr25519Keyring; 4] =
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave];

	/// A motion for `call` that `ayes` of the local testnet's four council members approve
	/// (its threshold), closed as soon as they have voted: what `call` did, as the motion's
	/// `Executed` event says (`None`: it was not executed). A passed motion dispatches with the
	/// origin "`ayes` of 4 members", which each role's origin checks.
	fn motion(call: RuntimeCall, ayes: u32) -> Option<sp_runtime::DispatchResult> {
		let length = codec::Encode::encoded_size(&call) as u32;
		let weight = call.get_dispatch_info().call_weight;
		let index = pallet_collective::ProposalCount::<
			Runtime,
			configs::governance::CouncilCollective,
		>::get();
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
		System::reset_events();
		assert_ok!(Council::propose(signed(COUNCIL[0]), ayes, Box::new(call), length));
		if ayes > 1 {
			// The members vote (the proposer too: proposing is not voting) until the
			// threshold is met.
			for member in COUNCIL.iter().take(ayes as usize) {
				assert_ok!(Council::vote(signed(*member), hash, index, true));
			}
			// Anyone closes it.
			assert_ok!(Council::close(signed(Sr25519Keyring::Eve), hash, index, weight, length));
		}
		System::events().into_iter().find_map(|record| match record.event {
			RuntimeEvent::Council(pallet_collective::Event::Executed { result, .. }) => {
				Some(result)
			}
			_ => None,
		})
	}

	fn local() -> sp_io::TestExternalities {
		let mut ext = ext_from_preset("local_testnet");
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Registers a device of Eve's (not certified).
	fn eves_device() -> u64 {
		let device = ed25519::Pair::from_seed(&[31; 32]);
		let key = DeviceKey::Ed25519(device.public());
		let owner = account(Sr25519Keyring::Eve);
		let genesis = frame_system::BlockHash::<Runtime>::get(0);
		let proof = device.sign(&pallet_device_registry::register_payload(&genesis, &owner, &key));
		let id = pallet_device_registry::NextDeviceId::<Runtime>::get();
		assert_ok!(DeviceRegistry::register(
			signed(Sr25519Keyring::Eve),
			DeviceClass::SmartMeter,
			1,
			key,
			proof.into(),
			None,
			Default::default(),
		));
		id
	}

	fn certified(id: u64) -> bool {
		pallet_device_registry::Devices::<Runtime>::get(id)
			.is_some_and(|d| d.certification.is_some())
	}

	#[test]
	fn a_city_network_has_a_council_and_no_master_key() {
		local().execute_with(|| {
			assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
			let mut members: Vec<AccountId> = COUNCIL.iter().map(|k| account(*k)).collect();
			// Membership keeps its members sorted.
			members.sort();
			assert_eq!(
				pallet_collective::Members::<Runtime, configs::governance::CouncilCollective>::get(
				),
				members
			);
			assert_eq!(CouncilMembership::members().into_inner(), members);
		});
	}

	#[test]
	fn the_registrar_is_more_than_half_of_the_council() {
		local().execute_with(|| {
			let device = eves_device();
			let certify =
				RuntimeCall::DeviceRegistry(pallet_device_registry::Call::certify { device });
			// A council member alone is not the registrar.
			assert_noop!(
				certify.clone().dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			// Half of the council is not more than half.
			assert_eq!(motion(certify.clone(), 2), Some(Err(DispatchError::BadOrigin)));
			assert!(!certified(device));
			// Three of four is.
			assert_eq!(motion(certify, 3), Some(Ok(())));
			assert!(certified(device));
		});
	}

	#[test]
	fn validator_changes_need_two_thirds_of_the_council() {
		local().execute_with(|| {
			let session =
				RuntimeCall::ValidatorSet(pallet_validator_set::Call::set_session_length {
					length: 20,
				});
			assert_noop!(
				session.clone().dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			// Two of four (a half) is not two thirds.
			assert_eq!(motion(session.clone(), 2), Some(Err(DispatchError::BadOrigin)));
			assert_eq!(motion(session, 3), Some(Ok(())));
			assert_eq!(pallet_validator_set::SessionLength::<Runtime>::get(), 20);
		});
	}

	#[test]
	fn the_treasury_pays_only_what_a_motion_spends() {
		local().execute_with(|| {
			let treasury = configs::CityTreasuryAccount::get();
			assert_eq!(Treasury::account_id(), treasury, "the treasury is the fee account");
			let _ = Balances::mint_into(&treasury, 1_000 * UNIT);
			let ferdie = account(Sr25519Keyring::Ferdie);
			let spend = RuntimeCall::Treasury(pallet_treasury::Call::spend {
				asset_kind: Box::new(()),
				amount: 250 * UNIT,
				beneficiary: Box::new(ferdie.clone()),
				valid_from: None,
			});
			assert_noop!(
				spend.clone().dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			assert_eq!(motion(spend.clone(), 2), Some(Err(DispatchError::BadOrigin)));
			let before = Balances::balance(&ferdie);
			assert_eq!(motion(spend, 3), Some(Ok(())));
			// Anyone pays the approved spend out.
			let index = pallet_treasury::SpendCount::<Runtime>::get() - 1;
			assert_ok!(Treasury::payout(signed(Sr25519Keyring::Eve), index));
			assert_eq!(Balances::balance(&ferdie), before + 250 * UNIT);
			// More than the most one spend may pay is refused.
			let too_much = RuntimeCall::Treasury(pallet_treasury::Call::spend {
				asset_kind: Box::new(()),
				amount: configs::governance::MAX_TREASURY_SPEND + 1,
				beneficiary: Box::new(ferdie),
				valid_from: None,
			});
			assert!(matches!(motion(too_much, 4), Some(Err(_))));
		});
	}

	#[test]
	fn a_devices_proxy_cannot_move_funds() {
		local().execute_with(|| {
			let (eve, ferdie) = (account(Sr25519Keyring::Eve), account(Sr25519Keyring::Ferdie));
			assert_ok!(Proxy::add_proxy(
				signed(Sr25519Keyring::Eve),
				ferdie.clone().into(),
				configs::governance::ProxyType::Devices,
				0
			));
			let before = Balances::balance(&eve);
			let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: ferdie.clone().into(),
				value: UNIT,
			});
			System::reset_events();
			assert_ok!(Proxy::proxy(
				signed(Sr25519Keyring::Ferdie),
				eve.clone().into(),
				None,
				Box::new(transfer)
			));
			let filtered: DispatchError = frame_system::Error::<Runtime>::CallFiltered.into();
			assert!(System::events().iter().any(|r| r.event
				== RuntimeEvent::Proxy(pallet_proxy::Event::ProxyExecuted {
					result: Err(filtered)
				})));
			assert_eq!(Balances::balance(&eve), before);
			// A device call goes through the filter (and reaches the registry, which then
			// refuses Eve's suspension of a device that does not exist).
			let suspend =
				RuntimeCall::DeviceRegistry(pallet_device_registry::Call::suspend { device: 987 });
			System::reset_events();
			assert_ok!(Proxy::proxy(
				signed(Sr25519Keyring::Ferdie),
				eve.into(),
				None,
				Box::new(suspend)
			));
			assert!(System::events().iter().any(|r| matches!(
				&r.event,
				RuntimeEvent::Proxy(pallet_proxy::Event::ProxyExecuted { result: Err(e) }) if *e != filtered
			)));
		});
	}

	/// Whether Ferdie, Eve's proxy of `kind`, is refused `call` by the proxy's filter
	/// (`CallFiltered`), rather than reaching the call (which may then fail on its own terms).
	fn filtered_for_proxy(kind: configs::governance::ProxyType, call: RuntimeCall) -> bool {
		let (eve, ferdie) = (account(Sr25519Keyring::Eve), account(Sr25519Keyring::Ferdie));
		let appointed = pallet_proxy::Proxies::<Runtime>::get(&eve)
			.0
			.iter()
			.any(|p| p.delegate == ferdie && p.proxy_type == kind);
		if !appointed {
			assert_ok!(Proxy::add_proxy(signed(Sr25519Keyring::Eve), ferdie.into(), kind, 0));
		}
		System::reset_events();
		assert_ok!(Proxy::proxy(
			signed(Sr25519Keyring::Ferdie),
			eve.into(),
			Some(kind),
			Box::new(call)
		));
		let filtered: DispatchError = frame_system::Error::<Runtime>::CallFiltered.into();
		System::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::Proxy(pallet_proxy::Event::ProxyExecuted { result }) => {
					Some(result == Err(filtered))
				}
				_ => None,
			})
			.expect("the proxy call ran")
	}

	#[test]
	fn limited_proxies_cannot_take_devices_seats_or_fares() {
		use configs::governance::ProxyType;
		local().execute_with(|| {
			let device = eves_device();
			let ferdie = account(Sr25519Keyring::Ferdie);
			let registry = |call| RuntimeCall::DeviceRegistry(call);
			// A gateway (Devices) reports and describes, but does not give devices away.
			for call in [
				pallet_device_registry::Call::transfer_ownership {
					device,
					new_owner: ferdie.clone(),
				},
				pallet_device_registry::Call::set_operator {
					device,
					operator: Some(ferdie.clone()),
				},
				pallet_device_registry::Call::revoke { device },
				pallet_device_registry::Call::decommission { device },
			] {
				assert!(filtered_for_proxy(ProxyType::Devices, registry(call.clone())), "{call:?}");
			}
			assert!(!filtered_for_proxy(
				ProxyType::Devices,
				registry(pallet_device_registry::Call::update_metadata {
					device,
					metadata: Default::default(),
				})
			));
			// Nor can it reach them inside a batch.
			let batch = RuntimeCall::Utility(pallet_utility::Call::batch_all {
				calls: vec![registry(pallet_device_registry::Call::transfer_ownership {
					device,
					new_owner: ferdie.clone(),
				})],
			});
			filtered_for_proxy(ProxyType::Devices, batch);
			assert_eq!(
				pallet_device_registry::Devices::<Runtime>::get(device).map(|d| d.owner),
				Some(account(Sr25519Keyring::Eve))
			);
			// A member's deputy (Governance) votes, but cannot take the seat.
			let change_key = RuntimeCall::CouncilMembership(pallet_membership::Call::change_key {
				new: ferdie.clone().into(),
			});
			assert!(filtered_for_proxy(ProxyType::Governance, change_key.clone()));
			assert!(!filtered_for_proxy(
				ProxyType::Governance,
				RuntimeCall::Council(pallet_collective::Call::vote {
					proposal: Default::default(),
					index: 0,
					approve: true,
				})
			));
			// A driver's dispatcher (Rides) cannot spend as a rider.
			let confirm =
				RuntimeCall::RideSettlement(pallet_ride_settlement::Call::confirm_ride { ride: 0 });
			assert!(filtered_for_proxy(ProxyType::Rides, confirm.clone()));
			assert!(!filtered_for_proxy(
				ProxyType::Rides,
				RuntimeCall::RideSettlement(pallet_ride_settlement::Call::set_on_duty {
					on_duty: false
				})
			));
			// NonTransfer moves no value: not through multisig, other proxies, markets, rides
			// or device transfers; it does attest and vote.
			let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: ferdie.clone().into(),
				value: UNIT,
			});
			for call in [
				transfer.clone(),
				RuntimeCall::Multisig(pallet_multisig::Call::as_multi_threshold_1 {
					other_signatories: vec![ferdie.clone()],
					call: Box::new(transfer.clone()),
				}),
				RuntimeCall::Proxy(pallet_proxy::Call::proxy {
					real: ferdie.clone().into(),
					force_proxy_type: None,
					call: Box::new(transfer),
				}),
				registry(pallet_device_registry::Call::transfer_ownership {
					device,
					new_owner: ferdie.clone(),
				}),
				confirm,
				change_key,
				// Nor consent in the account's name, nor a holder's permanent log entries.
				RuntimeCall::DataAccess(pallet_data_access::Call::grant {
					holder: 0,
					category: 1,
					purpose: 1,
					terms_hash: Default::default(),
					start_ms: 0,
					expiry_ms: 1,
					devices: Default::default(),
				}),
				RuntimeCall::DataAccess(pallet_data_access::Call::anchor_log {
					batch: 0,
					root: Default::default(),
					period_start_ms: 0,
					period_end_ms: 0,
					count: 1,
					previous_root: Default::default(),
				}),
			] {
				assert!(filtered_for_proxy(ProxyType::NonTransfer, call.clone()), "{call:?}");
			}
			// It may withdraw consent.
			assert!(!filtered_for_proxy(
				ProxyType::NonTransfer,
				RuntimeCall::DataAccess(pallet_data_access::Call::revoke { grant: 0 })
			));
			assert!(!filtered_for_proxy(
				ProxyType::NonTransfer,
				RuntimeCall::Council(pallet_collective::Call::vote {
					proposal: Default::default(),
					index: 0,
					approve: true,
				})
			));
		});
	}

	#[test]
	fn abstentions_are_nays_even_with_a_prime_member() {
		local().execute_with(|| {
			let alice = account(Sr25519Keyring::Alice);
			let prime = RuntimeCall::CouncilMembership(pallet_membership::Call::set_prime {
				who: alice.clone().into(),
			});
			assert_eq!(motion(prime, 3), Some(Ok(())));
			assert_eq!(CouncilMembership::prime(), Some(alice));
			// The prime and one more vote aye; two members stay silent for the whole motion.
			let device = eves_device();
			let certify =
				RuntimeCall::DeviceRegistry(pallet_device_registry::Call::certify { device });
			let length = codec::Encode::encoded_size(&certify) as u32;
			let weight = certify.get_dispatch_info().call_weight;
			let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&certify);
			let index = pallet_collective::ProposalCount::<
				Runtime,
				configs::governance::CouncilCollective,
			>::get();
			assert_ok!(Council::propose(signed(COUNCIL[0]), 3, Box::new(certify), length));
			assert_ok!(Council::vote(signed(COUNCIL[0]), hash, index, true));
			assert_ok!(Council::vote(signed(COUNCIL[1]), hash, index, true));
			System::set_block_number(System::block_number() + DAYS + 1);
			System::reset_events();
			assert_ok!(Council::close(signed(Sr25519Keyring::Eve), hash, index, weight, length));
			assert!(System::events().iter().any(|r| matches!(
				r.event,
				RuntimeEvent::Council(pallet_collective::Event::Disapproved { .. })
			)));
			assert!(!certified(device));
		});
	}

	#[test]
	fn the_council_keeps_at_least_three_members_and_motions_stay_small() {
		local().execute_with(|| {
			let remove = |k: Sr25519Keyring| {
				RuntimeCall::CouncilMembership(pallet_membership::Call::remove_member {
					who: account(k).into(),
				})
			};
			// Four to three: allowed.
			assert_eq!(motion(remove(Sr25519Keyring::Dave), 3), Some(Ok(())));
			assert_eq!(CouncilMembership::members().len(), 3);
			// Three to two, or a reset to two: refused, even by a unanimous council.
			let filtered: DispatchError = frame_system::Error::<Runtime>::CallFiltered.into();
			assert_eq!(motion(remove(Sr25519Keyring::Charlie), 3), Some(Err(filtered)));
			let reset = RuntimeCall::CouncilMembership(pallet_membership::Call::reset_members {
				members: vec![account(Sr25519Keyring::Alice), account(Sr25519Keyring::Bob)],
			});
			assert_eq!(motion(reset, 3), Some(Err(filtered)));
			assert_eq!(CouncilMembership::members().len(), 3);
			// A motion longer than MAX_MOTION_BYTES is refused at `propose`.
			let long = RuntimeCall::System(frame_system::Call::remark {
				remark: vec![0; configs::governance::MAX_MOTION_BYTES as usize],
			});
			let length = codec::Encode::encoded_size(&long) as u32;
			let propose = RuntimeCall::Council(pallet_collective::Call::propose {
				threshold: 3,
				proposal: Box::new(long),
				length_bound: length,
			});
			assert_noop!(
				propose.dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
				filtered
			);
		});
	}

	#[test]
	fn a_treasury_payout_never_reaps_the_treasury_and_only_root_schedules() {
		local().execute_with(|| {
			let treasury = configs::CityTreasuryAccount::get();
			let _ = Balances::mint_into(&treasury, 1_000 * UNIT);
			let all = Balances::balance(&treasury);
			let ferdie = account(Sr25519Keyring::Ferdie);
			let spend = |amount| {
				RuntimeCall::Treasury(pallet_treasury::Call::spend {
					asset_kind: Box::new(()),
					amount,
					beneficiary: Box::new(ferdie.clone()),
					valid_from: None,
				})
			};
			assert_eq!(motion(spend(all), 3), Some(Ok(())));
			let index = pallet_treasury::SpendCount::<Runtime>::get() - 1;
			assert_noop!(
				Treasury::payout(signed(Sr25519Keyring::Eve), index),
				pallet_treasury::Error::<Runtime>::PayoutError
			);
			assert_eq!(Balances::balance(&treasury), all);
			// All but the existential deposit can be paid.
			assert_eq!(motion(spend(all - EXISTENTIAL_DEPOSIT), 3), Some(Ok(())));
			let before = Balances::balance(&ferdie);
			assert_ok!(Treasury::payout(signed(Sr25519Keyring::Eve), index + 1));
			assert_eq!(Balances::balance(&ferdie), before + all - EXISTENTIAL_DEPOSIT);
			assert_eq!(Balances::balance(&treasury), EXISTENTIAL_DEPOSIT);
			// The scheduler takes root only: a council origin stored in the agenda could be
			// cancelled by no later council.
			let schedule = RuntimeCall::Scheduler(pallet_scheduler::Call::schedule_after {
				after: 10,
				maybe_periodic: None,
				priority: 0,
				call: Box::new(RuntimeCall::System(frame_system::Call::remark { remark: vec![] })),
			});
			assert_eq!(motion(schedule, 4), Some(Err(DispatchError::BadOrigin)));
		});
	}

	#[test]
	fn a_runtime_upgrade_is_authorized_by_two_thirds_of_the_council_through_the_whitelist() {
		local().execute_with(|| {
			let code_hash = <Runtime as frame_system::Config>::Hashing::hash(b"a new runtime");
			let authorize =
				RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash });
			// Root only: a motion cannot call it directly.
			assert_eq!(motion(authorize.clone(), 4), Some(Err(DispatchError::BadOrigin)));
			let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&authorize);
			let through_whitelist = RuntimeCall::Utility(pallet_utility::Call::batch_all {
				calls: vec![
					RuntimeCall::Whitelist(pallet_whitelist::Call::whitelist_call {
						call_hash: hash,
					}),
					RuntimeCall::Whitelist(
						pallet_whitelist::Call::dispatch_whitelisted_call_with_preimage {
							call: Box::new(authorize),
						},
					),
				],
			});
			let authorized = || {
				let key = frame_support::storage::storage_prefix(b"System", b"AuthorizedUpgrade");
				frame_support::storage::unhashed::get::<
					frame_system::CodeUpgradeAuthorization<Runtime>,
				>(&key)
				.map(|a| *a.code_hash())
			};
			assert!(matches!(motion(through_whitelist.clone(), 2), Some(Err(_))));
			assert_eq!(authorized(), None);
			assert_eq!(motion(through_whitelist, 3), Some(Ok(())));
			assert_eq!(authorized(), Some(code_hash));
		});
	}

	/// The council's registrar approves a data holder; a citizen's grant holds the runtime's
	/// deposit; the holder anchors two entries (one after the revocation) and the runtime's
	/// verification proves both in the batch and flags the second.
	#[test]
	fn a_data_holder_approved_by_motion_anchors_a_log_the_citizen_verifies() {
		use frame_support::traits::fungible::InspectHold;
		use pallet_data_access::{AccessBasis, AccessEntry, Coverage, NotCovered, TermKind};
		local().execute_with(|| {
			let t0: u64 = 1_800_000_000_000;
			pallet_timestamp::Now::<Runtime>::put(t0);
			let planner = account(Sr25519Keyring::Ferdie);
			let citizen = account(Sr25519Keyring::Eve);
			// The genesis vocabulary is in place.
			assert!(pallet_data_access::Terms::<Runtime>::get(TermKind::Category, 1).is_some());
			let approve = RuntimeCall::DataAccess(pallet_data_access::Call::approve_holder {
				account: planner.clone(),
				name: b"City planning office".to_vec().try_into().unwrap(),
				description: b"Mobility and energy planning".to_vec().try_into().unwrap(),
			});
			assert_noop!(
				approve.clone().dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			assert_eq!(motion(approve.clone(), 2), Some(Err(DispatchError::BadOrigin)));
			assert_eq!(motion(approve, 3), Some(Ok(())));
			let holder = pallet_data_access::HolderOfAccount::<Runtime>::get(&planner).unwrap();

			assert_ok!(DataAccess::grant(
				signed(Sr25519Keyring::Eve),
				holder,
				1,
				2,
				sp_core::H256::repeat_byte(7),
				t0,
				t0 + 30 * 24 * 3_600_000,
				Default::default(),
			));
			let deposit = configs::city::DataGrantDeposit::get();
			assert!(deposit > 0);
			let reason =
				RuntimeHoldReason::DataAccess(pallet_data_access::HoldReason::GrantDeposit);
			assert_eq!(Balances::balance_on_hold(&reason, &citizen), deposit);
			let entry = |time_ms: u64| AccessEntry {
				citizen: citizen.clone(),
				category: 1,
				purpose: 2,
				device: None,
				basis: AccessBasis::Grant(0),
				time_ms,
				data_hash: sp_core::H256::repeat_byte(9),
			};
			pallet_timestamp::Now::<Runtime>::put(t0 + 2_000);
			assert_ok!(DataAccess::revoke(signed(Sr25519Keyring::Eve), 0));
			assert_eq!(Balances::balance_on_hold(&reason, &citizen), 0);

			let leaves = [
				codec::Encode::encode(&entry(t0 + 1_000)),
				codec::Encode::encode(&entry(t0 + 3_000)),
			];
			let root = city_device::merkle_root_of(&leaves);
			pallet_timestamp::Now::<Runtime>::put(t0 + 10_000);
			assert_ok!(DataAccess::anchor_log(
				RuntimeOrigin::signed(planner.clone()),
				0,
				root,
				t0,
				t0 + 5_000,
				2,
				sp_core::H256::zero(),
			));
			for (index, (time, coverage)) in [
				(t0 + 1_000, Coverage::Grant(0)),
				(t0 + 3_000, Coverage::NotCovered(NotCovered::Revoked)),
			]
			.into_iter()
			.enumerate()
			{
				let proof = city_device::merkle_proof_of(&leaves, index as u32).unwrap();
				let verdict =
					DataAccess::verify_access(holder, 0, &entry(time), index as u32, &proof);
				assert!(verdict.in_batch, "{verdict:?}");
				assert_eq!(verdict.coverage, coverage);
			}
			let page = DataAccess::anchor_page(holder, 0, 10);
			assert_eq!(page.anchors.len(), 1);
			assert!(page.breaks.is_empty());
		});
	}

	/// Issuers and merchants are the registrar's (more than half of the council); reward pools
	/// the treasury spender's.
	#[test]
	fn the_council_approves_credit_issuers_and_funds_reward_pools() {
		local().execute_with(|| {
			let set_issuer = RuntimeCall::CivicCredits(pallet_civic_credits::Call::set_issuer {
				issuer: account(Sr25519Keyring::Ferdie),
				name: b"Food bank".to_vec().try_into().unwrap(),
				quota: 1_000 * UNIT,
				deeds: vec![2].try_into().unwrap(),
				active: true,
			});
			assert_noop!(
				set_issuer.clone().dispatch(signed(Sr25519Keyring::Alice)).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			assert_eq!(motion(set_issuer.clone(), 2), Some(Err(DispatchError::BadOrigin)));
			assert_eq!(motion(set_issuer, 3), Some(Ok(())));
			assert!(pallet_civic_credits::Issuers::<Runtime>::contains_key(account(
				Sr25519Keyring::Ferdie
			)));
			let fund = RuntimeCall::CivicCredits(pallet_civic_credits::Call::fund_rewards {
				period: 5,
				amount: 100 * UNIT,
			});
			assert_eq!(motion(fund.clone(), 2), Some(Err(DispatchError::BadOrigin)));
			assert_eq!(motion(fund, 3), Some(Ok(())));
			assert_eq!(pallet_civic_credits::RewardPools::<Runtime>::get(5).funded, 100 * UNIT);
			// Citizens cannot pay each other: only merchants take credits.
			assert_ok!(CivicCredits::issue(
				signed(Sr25519Keyring::Ferdie),
				account(Sr25519Keyring::Eve),
				10 * UNIT,
				2,
				Default::default()
			));
			assert_noop!(
				CivicCredits::spend(
					signed(Sr25519Keyring::Eve),
					account(Sr25519Keyring::Dave),
					UNIT
				),
				pallet_civic_credits::Error::<Runtime>::NotMerchant
			);
		});
	}
}
