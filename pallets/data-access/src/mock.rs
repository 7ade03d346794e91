//! Test runtime: frame-system, balances and data access, with a device registry stand-in and
//! a clock the tests set; root is the registrar.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use core::cell::RefCell;
use std::collections::BTreeMap;

use crate as pallet_data_access;
use crate::{TermCode, TermKind};
use city_primitives::{
	DeviceClass, DeviceId, DeviceKey, DeviceLookup, DeviceStatus, DeviceSummary, KeyEpoch,
};
use frame_support::{
	derive_impl,
	traits::{ConstU128, ConstU32, ConstU64},
};
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage};

pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		DataAccess: pallet_data_access,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

pub const ED: Balance = 1;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type ExistentialDeposit = ConstU128<ED>;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	static DEVICES: RefCell<BTreeMap<DeviceId, AccountId>> = const { RefCell::new(BTreeMap::new()) };
	static NOW_MS: RefCell<u64> = const { RefCell::new(T0) };
}

/// The chain's time when a test starts (Unix ms).
pub const T0: u64 = 1_790_000_000_000;
pub const HOUR: u64 = 3_600_000;
pub const DAY: u64 = 24 * HOUR;

/// The chain's clock, as the tests set it.
pub struct TestTime;

impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(NOW_MS.with(|n| *n.borrow()))
	}
}

/// The chain's time now.
pub fn now() -> u64 {
	NOW_MS.with(|n| *n.borrow())
}

/// Sets the chain's time (and moves to the next block).
pub fn set_now(ms: u64) {
	NOW_MS.with(|n| *n.borrow_mut() = ms);
	System::set_block_number(System::block_number() + 1);
}

/// The device registry as the pallet sees it: device -> owner.
pub struct TestDevices;

impl DeviceLookup<AccountId> for TestDevices {
	fn device(id: DeviceId) -> Option<DeviceSummary<AccountId>> {
		DEVICES.with(|d| d.borrow().get(&id).cloned()).map(|owner| DeviceSummary {
			owner,
			operator: None,
			class: DeviceClass::SmartMeter,
			zone: 1,
			status: DeviceStatus::Active,
			certified: true,
			key_epoch: 0,
			key: DeviceKey::Ed25519(sp_core::ed25519::Public::from_raw([id as u8; 32])),
		})
	}

	fn key_at(id: DeviceId, _: KeyEpoch) -> Option<DeviceKey> {
		Self::device(id).map(|d| d.key)
	}
}

/// Registers device `id` to `owner` in the stand-in registry.
pub fn add_device(id: DeviceId, owner: &AccountId) {
	DEVICES.with(|d| d.borrow_mut().insert(id, owner.clone()));
}

pub const GRANT_DEPOSIT: Balance = 100;
pub const ANCHOR_DEPOSIT: Balance = 300;
pub const MAX_GRANTS: u32 = 4;

impl pallet_data_access::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = TestDevices;
	type UnixTime = TestTime;
	type RegistrarOrigin = frame_system::EnsureRoot<AccountId>;
	type GrantDeposit = ConstU128<GRANT_DEPOSIT>;
	type AnchorDeposit = ConstU128<ANCHOR_DEPOSIT>;
	type MaxTerms = ConstU32<8>;
	type MaxNameLen = ConstU32<32>;
	type MaxDescriptionLen = ConstU32<64>;
	type MaxHolders = ConstU32<3>;
	type MaxGrantsPerCitizen = ConstU32<MAX_GRANTS>;
	type MaxDevicesPerGrant = ConstU32<3>;
	type MaxGrantDurationMs = ConstU64<{ 365 * DAY }>;
	type MaxEntriesPerBatch = ConstU32<1_000>;
	type MaxClockDriftMs = ConstU64<60_000>;
	type MaxAnchorDelayMs = ConstU64<{ 7 * DAY }>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

pub const CITIZEN: u8 = 1;
pub const OTHER: u8 = 2;
pub const UTILITY: u8 = 10;
pub const PLANNER: u8 = 11;
pub const POOR: u8 = 20;

/// Categories, purposes and legal bases of the tests.
pub const ENERGY: TermCode = 1;
pub const RIDES: TermCode = 2;
pub const BILLING: TermCode = 1;
pub const PLANNING: TermCode = 2;
pub const COURT_ORDER: TermCode = 7;

/// Balances for everyone but `POOR` (who has less than a deposit); the vocabulary; no holder.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: [CITIZEN, OTHER, UTILITY, PLANNER]
			.iter()
			.map(|n| (account(*n), 10_000))
			.chain([(account(POOR), 50)])
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_data_access::GenesisConfig::<Test> {
		terms: vec![
			(TermKind::Category, ENERGY, b"energy meter readings".to_vec()),
			(TermKind::Category, RIDES, b"ride history".to_vec()),
			(TermKind::Purpose, BILLING, b"billing".to_vec()),
			(TermKind::Purpose, PLANNING, b"urban planning".to_vec()),
			(TermKind::LegalBasis, COURT_ORDER, b"court order".to_vec()),
		],
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NOW_MS.with(|n| *n.borrow_mut() = T0);
		DEVICES.with(|d| d.borrow_mut().clear());
	});
	ext
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for () {
	fn device(owner: &AccountId, index: u32) -> DeviceId {
		let id = 1_000 + u64::from(index);
		add_device(id, owner);
		id
	}

	fn set_time(ms: u64) {
		NOW_MS.with(|n| *n.borrow_mut() = ms);
	}
}
