//! Runtime tests: genesis presets, the fee path into the city treasury, and the constants that
//! clients rely on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use frame_support::traits::fungible::Inspect;
use serde_json::Value;
use sp_core::{crypto::Pair as _, sr25519};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Digest, traits::Header as _, BuildStorage};

use crate::*;

/// Merges a genesis preset patch into the default genesis config, as the node does.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

fn genesis_from_preset(name: &str) -> RuntimeGenesisConfig {
	let patch = genesis_config_presets::get_preset(&name.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).unwrap());
	serde_json::from_value(config).expect("preset deserializes into RuntimeGenesisConfig")
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
		let xt = sign_extrinsic(&alice, call, 0, genesis_hash);

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
		let foreign = sign_extrinsic(&alice, call.clone(), 0, other_chain);
		assert!(Executive::apply_extrinsic(foreign).is_err(), "bad proof must be refused");
		// The same transaction signed for this chain goes through.
		let native = sign_extrinsic(&alice, call, 0, genesis_hash);
		assert!(matches!(Executive::apply_extrinsic(native), Ok(Ok(()))));
	});
}

#[test]
fn treasury_account_is_derived_from_the_pallet_id() {
	use sp_runtime::traits::AccountIdConversion;
	let expected: AccountId = frame_support::PalletId(*b"city/trs").into_account_truncating();
	assert_eq!(configs::CityTreasuryAccount::get(), expected);
}

#[test]
fn runtime_constants_match_what_clients_are_told() {
	assert_eq!(<Runtime as frame_system::Config>::SS58Prefix::get(), SS58_PREFIX);
	assert_eq!(UNIT, 10u128.pow(TOKEN_DECIMALS as u32));
	assert_eq!(VERSION.spec_name, "citychain");
	assert_eq!(MINUTES, 10, "6 s blocks");
}

#[test]
fn a_device_attests_a_reading_fee_less_as_a_bare_extrinsic() {
	use city_primitives::{DeviceClass, DeviceKey};
	use pallet_sensor_attestation::{MeasurementKind, Reading, Unit};
	use sp_core::ed25519;
	use sp_runtime::transaction_validity::TransactionSource;

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
		let valid =
			Executive::validate_transaction(TransactionSource::External, xt.clone(), parent)
				.expect("a device-signed reading is valid in the pool");
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
