//! The city pallets: device registry and sensor attestation (energy and rides as they land).

use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::transaction_validity::TransactionPriority;

use crate::{
	AccountId, Balance, Balances, BlockNumber, DeviceRegistry, Runtime, RuntimeHoldReason,
	MILLI_UNIT,
};

parameter_types! {
	/// Deposit per registered device: 0.1 CITY, returned on decommission.
	pub const DeviceDepositBase: Balance = 100 * MILLI_UNIT;
	/// Deposit per byte of device metadata: 0.001 CITY.
	pub const DeviceDepositPerByte: Balance = MILLI_UNIT;
}

/// The device registry. The registrar is root (sudo) until the city's council takes over.
impl pallet_device_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrarOrigin = EnsureRoot<AccountId>;
	type DepositBase = DeviceDepositBase;
	type DepositPerByte = DeviceDepositPerByte;
	/// A utility with more devices uses several accounts; the cap bounds per-owner queries.
	type MaxDevicesPerOwner = ConstU32<10_000>;
	type MaxUriLen = ConstU32<128>;
	type WeightInfo = pallet_device_registry::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// A reading may be stamped at most 1 minute ahead of the chain's time (device clocks).
	pub const MaxClockAhead: u64 = 60_000;
	/// A reading (or a batch's last reading) may be up to 24 hours old when submitted, so
	/// gateways can upload after an outage.
	pub const MaxReadingAge: u64 = 24 * 60 * 60 * 1000;
	/// The rate-limit window: 10 blocks (1 minute).
	pub const AttestationRateWindow: BlockNumber = 10;
	/// Bare readings rank above ordinary transactions' fee-based priority, below operational.
	pub const AttestationPriority: TransactionPriority = TransactionPriority::MAX / 4;
}

/// Sensor attestation over the device registry.
impl pallet_sensor_attestation::Config for Runtime {
	type Devices = DeviceRegistry;
	type MaxClockAhead = MaxClockAhead;
	type MaxReadingAge = MaxReadingAge;
	/// A device may queue up to 64 readings ahead of the chain in the pool.
	type MaxPendingReadings = ConstU64<64>;
	type RateWindow = AttestationRateWindow;
	/// 120 submissions per device per minute; a meter reports every 15 minutes.
	type MaxPerWindow = ConstU32<120>;
	/// About 41 days of hourly batches per device stay in state; older ones leave with an
	/// `AnchorPruned` event (their data stays in the `BatchAnchored` event).
	type MaxAnchorsPerDevice = ConstU32<1_000>;
	type MaxBatchSize = ConstU32<1_000_000>;
	/// Bare readings leave the pool after 64 blocks if not included.
	type UnsignedLongevity = ConstU64<64>;
	type UnsignedPriority = AttestationPriority;
	type WeightInfo = pallet_sensor_attestation::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = AttestationBenchmarkHelper;
}

/// Registers benchmark devices in the real device registry, with a proof signed in the host
/// keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct AttestationBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_sensor_attestation::BenchmarkHelper<AccountId> for AttestationBenchmarkHelper {
	fn register_device(
		owner: &AccountId,
		key: city_primitives::DeviceKey,
	) -> Result<city_primitives::DeviceId, sp_runtime::DispatchError> {
		use frame_support::traits::fungible::Mutate;
		let city_primitives::DeviceKey::Ecdsa(public) = &key else {
			return Err("benchmark device keys are ecdsa".into());
		};
		let _ = Balances::set_balance(owner, 1_000 * crate::UNIT);
		let genesis = frame_system::Pallet::<Runtime>::block_hash(0);
		let payload = pallet_device_registry::register_payload(&genesis, owner, &key);
		let signature = sp_io::crypto::ecdsa_sign_prehashed(
			pallet_sensor_attestation::BENCHMARK_KEY_TYPE,
			public,
			&sp_io::hashing::blake2_256(&payload),
		)
		.ok_or("the benchmark key is not in the keystore")?;
		DeviceRegistry::do_register(
			owner.clone(),
			city_primitives::DeviceClass::SmartMeter,
			1,
			key,
			sp_runtime::MultiSignature::Ecdsa(signature),
			None,
			Default::default(),
		)
	}
}
