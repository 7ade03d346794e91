//! A test runtime: balances (for enrollment deposits), civic credits, a stand-in device
//! registry and consent list, and a settable clock.

#![allow(clippy::unwrap_used)]

use core::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use city_primitives::{
	ConsentLookup, DeviceClass, DeviceId, DeviceKey, DeviceLookup, DeviceStatus, DeviceSummary,
	KeyEpoch,
};
use frame_support::{
	derive_impl,
	traits::{ConstU128, ConstU32},
};
use sp_runtime::{AccountId32, BuildStorage};

use crate::{self as pallet_civic_credits, Params};

pub type AccountId = AccountId32;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Credits: pallet_civic_credits,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ConstU128<1>;
}

/// A live consent: (grant, citizen, holder, category, device).
type Consent = (u64, AccountId, u32, u16, DeviceId);

thread_local! {
	/// Device id -> (owner, active, certified).
	static DEVICES: RefCell<BTreeMap<DeviceId, (AccountId, bool, bool)>> = const { RefCell::new(BTreeMap::new()) };
	/// Live consents: (grant, citizen, holder, category, device).
	static CONSENTS: RefCell<BTreeSet<Consent>> = const { RefCell::new(BTreeSet::new()) };
	static NOW_MS: RefCell<u64> = const { RefCell::new(0) };
}

/// The clock: settable.
pub struct TestTime;

impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(NOW_MS.with(|n| *n.borrow()))
	}
}

/// The stand-in registry.
pub struct TestDevices;

impl DeviceLookup<AccountId> for TestDevices {
	fn device(id: DeviceId) -> Option<DeviceSummary<AccountId>> {
		DEVICES.with(|d| d.borrow().get(&id).cloned()).map(|(owner, active, certified)| {
			DeviceSummary {
				owner,
				operator: None,
				class: DeviceClass::SmartMeter,
				zone: 1,
				status: if active { DeviceStatus::Active } else { DeviceStatus::Decommissioned },
				certified,
				key_epoch: 0,
				key: DeviceKey::Ed25519(sp_core::ed25519::Public::from_raw([id as u8; 32])),
			}
		})
	}

	fn key_at(id: DeviceId, _: KeyEpoch) -> Option<DeviceKey> {
		Self::device(id).map(|d| d.key)
	}
}

/// The stand-in consent list.
pub struct TestConsents;

impl ConsentLookup<AccountId> for TestConsents {
	fn consent_live(
		grant: u64,
		citizen: &AccountId,
		holder: u32,
		category: u16,
		device: DeviceId,
		_at_ms: u64,
	) -> bool {
		CONSENTS.with(|c| c.borrow().contains(&(grant, citizen.clone(), holder, category, device)))
	}
}

/// Registers `device` to `owner` (active, certified).
pub fn add_device(device: DeviceId, owner: &AccountId) {
	DEVICES.with(|d| d.borrow_mut().insert(device, (owner.clone(), true, true)));
}

/// Withdraws `device`'s certification.
pub fn uncertify(device: DeviceId) {
	DEVICES.with(|d| {
		if let Some(entry) = d.borrow_mut().get_mut(&device) {
			entry.2 = false;
		}
	});
}

/// Takes `device` out of service.
pub fn retire_device(device: DeviceId) {
	DEVICES.with(|d| {
		if let Some(entry) = d.borrow_mut().get_mut(&device) {
			entry.1 = false;
		}
	});
}

/// Gives `device` to `owner`.
pub fn transfer_device(device: DeviceId, owner: &AccountId) {
	DEVICES.with(|d| {
		if let Some(entry) = d.borrow_mut().get_mut(&device) {
			entry.0 = owner.clone();
		}
	});
}

/// `citizen`'s grant `grant` to the city's holder for energy readings, covering `device`.
pub fn consent(grant: u64, citizen: &AccountId, device: DeviceId) {
	CONSENTS.with(|c| c.borrow_mut().insert((grant, citizen.clone(), CITY_HOLDER, ENERGY, device)));
}

/// Revokes a consent.
pub fn revoke_consent(grant: u64, citizen: &AccountId, device: DeviceId) {
	CONSENTS
		.with(|c| c.borrow_mut().remove(&(grant, citizen.clone(), CITY_HOLDER, ENERGY, device)));
}

pub const ENROLL_DEPOSIT: Balance = 500;
pub const LOT_BLOCKS: u32 = 10;
pub const MAX_LOTS: u32 = 12;
pub const MIN_AMOUNT: Balance = 10;
pub const CLAIM_PERIODS: u32 = 3;
/// The most one `fund_rewards` may add.
pub const MAX_FUNDING: Balance = 1_000_000;

impl pallet_civic_credits::Config for Test {
	type Credits = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = TestDevices;
	type Consent = TestConsents;
	type UnixTime = TestTime;
	type CityOrigin = frame_system::EnsureRoot<AccountId>;
	type RewardsOrigin = frame_system::EnsureRootWithSuccess<AccountId, ConstU128<MAX_FUNDING>>;
	type EnrollDeposit = ConstU128<ENROLL_DEPOSIT>;
	type LotBlocks = ConstU32<LOT_BLOCKS>;
	type MaxLots = ConstU32<MAX_LOTS>;
	type MinAmount = ConstU128<MIN_AMOUNT>;
	type MaxNameLen = ConstU32<32>;
	type MaxDeeds = ConstU32<4>;
	type MaxDeedsPerIssuer = ConstU32<2>;
	type ClaimPeriods = ConstU32<CLAIM_PERIODS>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

pub const AGENCY: u8 = 1;
pub const OTHER_AGENCY: u8 = 2;
pub const CITIZEN: u8 = 10;
pub const NEIGHBOUR: u8 = 11;
pub const SHOP: u8 = 20;
pub const CAFE: u8 = 21;
pub const POOR: u8 = 30;

/// Deeds of the tests.
pub const VOLUNTEERING: u16 = 1;
pub const CARE: u16 = 2;
pub const CLEAN_UP: u16 = 3;

/// The city's data holder and the energy category of the consents.
pub const CITY_HOLDER: u32 = 0;
pub const ENERGY: u16 = 1;

/// Expiry 50 blocks, quota periods 20, reward periods 10 blocks, 5 points per device.
pub const PARAMS: Params = Params {
	expiry_blocks: 50,
	quota_period_blocks: 20,
	reward_period_blocks: 10,
	points_cap_per_device: 5,
	consent_holder: CITY_HOLDER,
	consent_category: ENERGY,
};

/// Balances for everyone but `POOR`; the deed list and parameters; no issuer or merchant.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: [AGENCY, OTHER_AGENCY, CITIZEN, NEIGHBOUR, SHOP, CAFE]
			.iter()
			.map(|n| (account(*n), 10_000))
			.chain([(account(POOR), 100)])
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_civic_credits::GenesisConfig::<Test> {
		deeds: vec![
			(VOLUNTEERING, b"volunteering".to_vec()),
			(CARE, b"care".to_vec()),
			(CLEAN_UP, b"clean-up".to_vec()),
		],
		params: Some(PARAMS),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		NOW_MS.with(|n| *n.borrow_mut() = 1_800_000_000_000);
		DEVICES.with(|d| d.borrow_mut().clear());
		CONSENTS.with(|c| c.borrow_mut().clear());
	});
	ext
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for () {
	fn device(owner: &AccountId) -> DeviceId {
		let id = DEVICES.with(|d| d.borrow().len() as u64) + 1_000;
		add_device(id, owner);
		id
	}

	fn consent(citizen: &AccountId, device: DeviceId) -> (u32, u16, u64) {
		let grant = 7;
		consent(grant, citizen, device);
		(CITY_HOLDER, ENERGY, grant)
	}
}
