//! Test runtime: system, timestamp and attestation, with an in-memory device registry.

#![allow(clippy::unwrap_used)]

use crate as pallet_sensor_attestation;
use city_primitives::{
	DeviceClass, DeviceId, DeviceKey, DeviceLookup, DeviceStatus, DeviceSummary, KeyEpoch,
};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Attestation: pallet_sensor_attestation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	/// Real database weights, so the cleanup's weight accounting is seen.
	type DbWeight = frame_support::weights::constants::ParityDbWeight;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = frame_support::traits::ConstU64<1>;
	type WeightInfo = ();
}

/// A registered device: its summary and its keys by epoch.
type DeviceEntry = (DeviceSummary<u64>, Vec<DeviceKey>);

thread_local! {
	/// Registered devices.
	pub static DEVICES: RefCell<BTreeMap<DeviceId, DeviceEntry>> =
		const { RefCell::new(BTreeMap::new()) };
}

/// A device registry kept in memory.
pub struct Registry;
impl DeviceLookup<u64> for Registry {
	fn device(id: DeviceId) -> Option<DeviceSummary<u64>> {
		DEVICES.with(|d| d.borrow().get(&id).map(|(s, _)| s.clone()))
	}
	fn key_at(id: DeviceId, epoch: KeyEpoch) -> Option<DeviceKey> {
		DEVICES
			.with(|d| d.borrow().get(&id).and_then(|(_, keys)| keys.get(epoch as usize).cloned()))
	}
}

/// Registers a certified, active device.
pub fn add_device(id: DeviceId, owner: u64, key: DeviceKey) {
	add_device_with(id, owner, key, true);
}

/// Registers an active device, certified or not.
pub fn add_device_with(id: DeviceId, owner: u64, key: DeviceKey, certified: bool) {
	DEVICES.with(|d| {
		d.borrow_mut().insert(
			id,
			(
				DeviceSummary {
					owner,
					operator: None,
					class: DeviceClass::SmartMeter,
					zone: 1,
					status: DeviceStatus::Active,
					certified,
					key_epoch: 0,
					key: key.clone(),
				},
				vec![key],
			),
		)
	});
}

pub fn set_status(id: DeviceId, status: DeviceStatus) {
	DEVICES.with(|d| {
		if let Some((summary, _)) = d.borrow_mut().get_mut(&id) {
			summary.status = status;
		}
	});
}

pub fn set_certified(id: DeviceId, certified: bool) {
	DEVICES.with(|d| {
		if let Some((summary, _)) = d.borrow_mut().get_mut(&id) {
			summary.certified = certified;
		}
	});
}

pub fn set_operator(id: DeviceId, operator: Option<u64>) {
	DEVICES.with(|d| {
		if let Some((summary, _)) = d.borrow_mut().get_mut(&id) {
			summary.operator = operator;
		}
	});
}

pub fn rotate(id: DeviceId, key: DeviceKey) {
	DEVICES.with(|d| {
		if let Some((summary, keys)) = d.borrow_mut().get_mut(&id) {
			summary.key_epoch += 1;
			summary.key = key.clone();
			keys.push(key);
		}
	});
}

parameter_types! {
	pub const MaxClockAhead: u64 = 30_000;
	pub const MaxReadingAge: u64 = 3_600_000;
}

parameter_types! {
	/// Retention of anchors per device; tests lower it to see old anchors leave.
	pub static MaxAnchors: u32 = 3;
	pub const DefaultFreeShare: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);
}

impl pallet_sensor_attestation::Config for Test {
	type OnReadings = ();
	type Devices = Registry;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type MaxClockAhead = MaxClockAhead;
	type MaxReadingAge = MaxReadingAge;
	type MaxPendingReadings = frame_support::traits::ConstU64<8>;
	type RateWindow = frame_support::traits::ConstU64<10>;
	type MaxReadingsPerWindow = ConstU32<5>;
	type MaxBatchesPerWindow = ConstU32<4>;
	type MaxKindsPerDevice = ConstU32<3>;
	type MaxAnchorsPerDevice = MaxAnchors;
	type MaxBatchSize = ConstU32<100_000>;
	type UnsignedLongevity = frame_support::traits::ConstU64<64>;
	type UnsignedPriority = frame_support::traits::ConstU64<0>;
	type DefaultFreeShare = DefaultFreeShare;
	type MaxCounterHistory = ConstU32<4>;
	type CounterSpacingMs = frame_support::traits::ConstU64<1_000>;
	type MaxPurgePerBlock = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Registry;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for Registry {
	fn register_device(owner: &u64, key: DeviceKey) -> Result<DeviceId, sp_runtime::DispatchError> {
		let id = DEVICES.with(|d| d.borrow().len() as DeviceId);
		add_device(id, *owner, key);
		Ok(id)
	}
}

/// Chain time in the tests: 10,000,000 ms.
pub const NOW: u64 = 10_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	DEVICES.with(|d| d.borrow_mut().clear());
	MaxAnchors::set(3);
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Test>::put(NOW);
	});
	// Benchmarks generate device keys in the host keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}

/// Runs `test` in a fresh externality, then checks the pallet's state invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		crate::Pallet::<Test>::do_try_state().expect("state invariants hold");
	});
}
