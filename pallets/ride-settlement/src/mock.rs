//! Test runtime: frame-system, balances and ride settlement, with a device registry stand-in
//! (vehicles with real ed25519 keys, set per test) and root as tariff setter and arbiter.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::cell::RefCell;
use std::collections::BTreeMap;

use crate as pallet_ride_settlement;
use city_device::{DeviceSigner, Ed25519Signer};
use city_primitives::{
	DeviceClass, DeviceId, DeviceKey, DeviceLookup, DeviceStatus, DeviceSummary, KeyEpoch,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU16, ConstU32, ConstU64, Hooks},
	weights::Weight,
};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage, MultiSignature};

pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		RideSettlement: pallet_ride_settlement,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	/// Real database weights, so that the hook's accounting is tested.
	type DbWeight = frame_support::weights::constants::ParityDbWeight;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<ED>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	static DEVICES: RefCell<BTreeMap<DeviceId, DeviceSummary<AccountId>>> =
		const { RefCell::new(BTreeMap::new()) };
	static NOW_MS: RefCell<u64> = const { RefCell::new(0) };
}

/// The chain's time: block number x 6 s (set by [`run_to`]).
pub struct TestTime;

impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(NOW_MS.with(|n| *n.borrow()))
	}
}

/// The chain's time at block `n`.
pub fn time_at(n: u64) -> u64 {
	1_790_000_000_000 + n * 6_000
}

/// The device registry as the pallet sees it: what the test put there.
pub struct TestDevices;

impl DeviceLookup<AccountId> for TestDevices {
	fn device(id: DeviceId) -> Option<DeviceSummary<AccountId>> {
		DEVICES.with(|d| d.borrow().get(&id).cloned())
	}

	fn key_at(id: DeviceId, _: KeyEpoch) -> Option<DeviceKey> {
		Self::device(id).map(|d| d.key)
	}
}

/// Device `id`'s signer (its ed25519 seed is `[id; 32]`).
pub fn signer(id: DeviceId) -> Ed25519Signer {
	Ed25519Signer::from_seed([id as u8; 32])
}

/// Puts a vehicle in the stand-in registry: active and certified, its key `signer(id)`'s.
pub fn add_vehicle(id: DeviceId, owner: &AccountId) {
	add_device(id, owner, DeviceClass::Vehicle);
}

/// Puts a device of `class` in the stand-in registry.
pub fn add_device(id: DeviceId, owner: &AccountId, class: DeviceClass) {
	let city_device::PublicKey::Ed25519(raw) = signer(id).public() else { unreachable!() };
	DEVICES.with(|d| {
		d.borrow_mut().insert(
			id,
			DeviceSummary {
				owner: owner.clone(),
				operator: None,
				class,
				zone: 1,
				status: DeviceStatus::Active,
				certified: true,
				key_epoch: 0,
				key: DeviceKey::Ed25519(sp_core::ed25519::Public::from_raw(raw)),
			},
		)
	});
}

/// Changes a device in the stand-in registry.
pub fn edit_device(id: DeviceId, edit: impl FnOnce(&mut DeviceSummary<AccountId>)) {
	DEVICES.with(|d| edit(d.borrow_mut().get_mut(&id).expect("device exists")));
}

/// `payload` signed by device `id`'s key, as the chain takes it.
pub fn sign(id: DeviceId, payload: &[u8]) -> MultiSignature {
	let city_device::Signature::Ed25519(raw) = signer(id).sign(payload) else { unreachable!() };
	MultiSignature::Ed25519(sp_core::ed25519::Signature::from_raw(raw))
}

parameter_types! {
	pub TreasuryAccount: AccountId = AccountId32::new([0xee; 32]);
}

impl pallet_ride_settlement::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = TestDevices;
	type UnixTime = TestTime;
	type Treasury = TreasuryAccount;
	type TariffOrigin = frame_system::EnsureRoot<AccountId>;
	type ArbiterOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxCityFeeBps = ConstU16<500>;
	type MaxOpenRidesPerRider = ConstU32<2>;
	type RideDeposit = ConstU128<DEPOSIT>;
	type RetainBlocks = ConstU64<50>;
	type MaxTimeout = ConstU64<1_000>;
	type BlocksPerMinute = ConstU32<10>;
	type MaxClockDriftMs = ConstU64<60_000>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestDevices;
}

pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

/// Riders.
pub const RIDER: u8 = 1;
pub const RIDER2: u8 = 2;
/// Drivers (and their vehicles' device ids: 10 + n).
pub const DRIVER: u8 = 3;
pub const DRIVER2: u8 = 4;
/// Someone else.
pub const OTHER: u8 = 5;
pub const INITIAL: Balance = 1_000_000;
/// The existential deposit (the treasury starts with it).
pub const ED: Balance = 10;
/// A ride's storage deposit.
pub const DEPOSIT: Balance = 100;

/// The vehicle of driver `n`.
pub fn vehicle_of(n: u8) -> DeviceId {
	10 + DeviceId::from(n)
}

/// The test tariff: 1,000 base + 500 per km + 100 per minute, minimum 2,000, city fee 3 %,
/// waiting 50 per minute after 5 blocks, cancellation 300 / 500 after arrival, no-show 800,
/// driver penalty 1,000 from a 5,000 bond; grace 3 blocks, request 20, arrival 10, start 15,
/// trip 200, dispute window 10, arbitration 30.
pub fn tariff() -> crate::TariffOf<Test> {
	crate::Tariff {
		base_fare: 1_000,
		per_km: 500,
		per_minute: 100,
		minimum_fare: 2_000,
		city_fee_bps: 300,
		waiting_allowance: 5,
		waiting_per_minute: 50,
		rider_cancel_fee: 300,
		arrived_cancel_fee: 500,
		no_show_fee: 800,
		driver_cancel_penalty: 1_000,
		driver_bond: 5_000,
		cancel_grace: 3,
		request_timeout: 20,
		arrival_timeout: 10,
		start_timeout: 15,
		trip_timeout: 200,
		dispute_window: 10,
		arbitration_timeout: 30,
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with(Some(tariff()))
}

pub fn new_test_ext_with(tariff: Option<crate::TariffOf<Test>>) -> sp_io::TestExternalities {
	DEVICES.with(|d| d.borrow_mut().clear());
	NOW_MS.with(|n| *n.borrow_mut() = time_at(1));
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> =
		[RIDER, RIDER2, DRIVER, DRIVER2, OTHER].iter().map(|n| (account(*n), INITIAL)).collect();
	balances.push((TreasuryAccount::get(), ED));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_ride_settlement::GenesisConfig::<Test> { tariff }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		add_vehicle(vehicle_of(DRIVER), &account(DRIVER));
		add_vehicle(vehicle_of(DRIVER2), &account(DRIVER2));
	});
	ext
}

/// Runs blocks up to `n`, with `on_idle` (unlimited weight) at the end of each.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		RideSettlement::on_idle(System::block_number(), Weight::MAX);
		let next = System::block_number() + 1;
		System::set_block_number(next);
		NOW_MS.with(|now| *now.borrow_mut() = time_at(next));
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for TestDevices {
	fn vehicle(owner: &AccountId) -> DeviceId {
		let id = DEVICES.with(|d| d.borrow().len() as DeviceId + 100);
		add_vehicle(id, owner);
		id
	}

	fn sign(vehicle: DeviceId, payload: &[u8]) -> MultiSignature {
		sign(vehicle, payload)
	}
}
