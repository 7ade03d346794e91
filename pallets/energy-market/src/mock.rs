//! Test runtime: frame-system, balances and the energy market, with a device registry stand-in
//! (devices set per test) and root as the market's admin.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::cell::RefCell;
use std::collections::BTreeMap;

use crate as pallet_energy_market;
use city_primitives::{
	DeviceClass, DeviceId, DeviceKey, DeviceLookup, DeviceStatus, DeviceSummary, EnergyFlow,
	KeyEpoch, MeterReadings, ZoneId,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks},
};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};

pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		EnergyMarket: pallet_energy_market,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
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
	static COUNTERS: RefCell<BTreeMap<(DeviceId, u8, u64), u64>> =
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

/// Meter counters as the test sets them: a value at an exact time (the stand-in for
/// sensor-attestation's interpolation).
pub struct TestMeters;

fn flow_code(flow: EnergyFlow) -> u8 {
	match flow {
		EnergyFlow::Import => 0,
		EnergyFlow::Export => 1,
	}
}

impl MeterReadings for TestMeters {
	fn counter_at(device: DeviceId, flow: EnergyFlow, at_ms: u64) -> Option<u64> {
		COUNTERS.with(|c| c.borrow().get(&(device, flow_code(flow), at_ms)).copied())
	}
}

/// Sets meter `device`'s `flow` counter at `at_ms`.
pub fn set_counter(device: DeviceId, flow: EnergyFlow, at_ms: u64, wh: u64) {
	COUNTERS.with(|c| c.borrow_mut().insert((device, flow_code(flow), at_ms), wh));
}

/// The chain's time at block `n`.
pub fn time_at(n: u64) -> u64 {
	n * 6_000
}

/// The device registry as the market sees it: what the test put there.
pub struct TestDevices;

impl DeviceLookup<AccountId> for TestDevices {
	fn device(id: DeviceId) -> Option<DeviceSummary<AccountId>> {
		DEVICES.with(|d| d.borrow().get(&id).cloned())
	}

	fn key_at(_: DeviceId, _: KeyEpoch) -> Option<DeviceKey> {
		None
	}
}

/// Puts a device in the stand-in registry: active and certified unless changed after.
pub fn add_device(id: DeviceId, owner: &AccountId, class: DeviceClass, zone: ZoneId) {
	DEVICES.with(|d| {
		d.borrow_mut().insert(
			id,
			DeviceSummary {
				owner: owner.clone(),
				operator: None,
				class,
				zone,
				status: DeviceStatus::Active,
				certified: true,
				key_epoch: 0,
				key: DeviceKey::Ed25519(sp_core::ed25519::Public::from_raw([id as u8; 32])),
			},
		)
	});
}

/// Changes a device in the stand-in registry.
pub fn edit_device(id: DeviceId, edit: impl FnOnce(&mut DeviceSummary<AccountId>)) {
	DEVICES.with(|d| edit(d.borrow_mut().get_mut(&id).expect("device exists")));
}

parameter_types! {
	pub const MaxTicks: u16 = 101;
	pub const MarketPalletId: frame_support::PalletId = frame_support::PalletId(*b"city/nrg");
	pub TreasuryAccount: AccountId = AccountId32::new([0xee; 32]);
}

impl pallet_energy_market::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = TestDevices;
	type Meters = TestMeters;
	type UnixTime = TestTime;
	type Treasury = TreasuryAccount;
	type PalletId = MarketPalletId;
	type MaxSettlePerCall = ConstU32<4>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestDevices;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxTicks = MaxTicks;
	type MaxOrdersPerMarket = ConstU32<6>;
	type MaxOrdersPerAccountPerSlot = ConstU32<3>;
	type MaxMarketsPerSlot = ConstU32<2>;
	type MinOrderWh = ConstU64<10>;
	type MaxOrderWh = ConstU64<1_000_000>;
	type MaxSlotsAhead = ConstU32<4>;
	type RetainSlots = ConstU32<3>;
	type WeightInfo = ();
}

pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

pub const ALICE: u8 = 1;
pub const BOB: u8 = 2;
pub const CHARLIE: u8 = 3;
pub const DAVE: u8 = 4;
pub const INITIAL: Balance = 1_000_000_000;

/// The test parameters: 10-block slots, gate closure 2 blocks before, prices 100..=200 per
/// kWh in steps of 10 (11 ticks), bond 50 per kWh, penalty 40, grid fee 5, deadline 20 blocks.
pub fn params() -> crate::ParamsOf<Test> {
	crate::MarketParams {
		slot_blocks: 10,
		gate_closure_blocks: 2,
		price_floor: 100,
		price_cap: 200,
		tick_size: 10,
		ask_bond_per_kwh: 50,
		penalty_per_kwh: 40,
		grid_fee_per_kwh: 5,
		settlement_deadline_blocks: 20,
	}
}

/// The existential deposit (the market's account and the treasury start with it).
pub const ED: Balance = 10;

pub fn new_test_ext() -> sp_io::TestExternalities {
	DEVICES.with(|d| d.borrow_mut().clear());
	COUNTERS.with(|c| c.borrow_mut().clear());
	NOW_MS.with(|n| *n.borrow_mut() = time_at(1));
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> =
		[ALICE, BOB, CHARLIE, DAVE].iter().map(|n| (account(*n), INITIAL)).collect();
	// The market's account gets its existential deposit from the pallet's genesis.
	balances.push((TreasuryAccount::get(), ED));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_energy_market::GenesisConfig::<Test> { params: Some(params()) }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs blocks up to `n`: finalizes the current one, then initializes the next (its time is
/// [`time_at`] its number).
pub fn run_to(n: u64) {
	while System::block_number() < n {
		EnergyMarket::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		NOW_MS.with(|now| *now.borrow_mut() = time_at(next));
		EnergyMarket::on_initialize(next);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for TestDevices {
	fn meter(owner: &AccountId, zone: ZoneId) -> DeviceId {
		let id = DEVICES.with(|d| d.borrow().len() as DeviceId + 1_000);
		add_device(id, owner, DeviceClass::SmartMeter, zone);
		id
	}

	fn set_counter(device: DeviceId, flow: EnergyFlow, at_ms: u64, wh: u64) {
		set_counter(device, flow, at_ms, wh);
	}
}
