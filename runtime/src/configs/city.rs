//! The city pallets: device registry, sensor attestation, the energy market, ride settlement
//! and data access.

use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU64},
};
use sp_runtime::{transaction_validity::TransactionPriority, Perbill};

use crate::{
	configs::{
		governance::{MarketOperatorOrigin, RegistrarOrigin, RideArbiterOrigin},
		CityTreasuryAccount,
	},
	Balance, Balances, BlockNumber, DeviceRegistry, Runtime, RuntimeHoldReason, SensorAttestation,
	Timestamp, DAYS, MICRO_UNIT, MINUTES,
};

#[cfg(feature = "runtime-benchmarks")]
use crate::AccountId;

/// The price of one byte of state that a deposit pays for: 50 µCITY (a device with a week of
/// hourly anchors, eight kinds of latest readings and its record holds about 1.3 CITY).
pub const DEPOSIT_PER_BYTE: Balance = 50 * MICRO_UNIT;

parameter_types! {
	/// Deposit per registered device: its record, and the most state the device can make the
	/// sensor attestation pallet keep (counters, latest readings, retained anchors), at
	/// [`DEPOSIT_PER_BYTE`]. Computed from the pallets' bounds, so it follows them.
	pub DeviceDepositBase: Balance = DEPOSIT_PER_BYTE.saturating_mul(
		Balance::from(DeviceRegistry::record_bytes())
			.saturating_add(Balance::from(SensorAttestation::max_state_bytes_per_device()))
	);
	/// Deposit per key a device has had (each stays indexed forever).
	pub DeviceKeyDeposit: Balance =
		DEPOSIT_PER_BYTE.saturating_mul(Balance::from(DeviceRegistry::key_bytes()));
	/// Kept held after decommissioning, for the record that stays (with the key deposits).
	pub DeviceRetainedDeposit: Balance =
		DEPOSIT_PER_BYTE.saturating_mul(Balance::from(DeviceRegistry::record_bytes()));
	/// Deposit per byte of device metadata.
	pub const DeviceDepositPerByte: Balance = DEPOSIT_PER_BYTE;
}

/// The device registry; the registrar is the council's ([`RegistrarOrigin`]).
impl pallet_device_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrarOrigin = RegistrarOrigin;
	type DepositBase = DeviceDepositBase;
	type DepositPerByte = DeviceDepositPerByte;
	type KeyDeposit = DeviceKeyDeposit;
	type RetainedDeposit = DeviceRetainedDeposit;
	/// Sensor attestation removes a decommissioned device's readings and anchors.
	type OnRetired = SensorAttestation;
	/// A utility with more devices uses several accounts; the cap bounds per-owner queries.
	type MaxDevicesPerOwner = ConstU32<10_000>;
	// Per class per zone: a district with more parking spaces is split into zones.
	type MaxDevicesPerZone = ConstU32<2_000>;
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
	/// Free (bare) submissions rank below every paid transaction (whose priority is at least
	/// 1): they take the block space paid traffic leaves, and the pool evicts them first.
	pub const AttestationPriority: TransactionPriority = 0;
	/// Free submissions together use at most half of a block's normal weight and length
	/// until governance sets another share (`sensorAttestation.setFreeShare`).
	pub const AttestationFreeShare: Perbill = Perbill::from_percent(50);
}

/// How far apart a meter's kept energy counter readings are: a third of the energy market's
/// slot, at least one block (5 minutes while the market has no parameters). With 24 kept
/// readings a meter's history spans 8 slots however often it reports, longer than a slot plus
/// its settlement deadline (at most 6 slots, `pallet_energy_market::MAX_DEADLINE_SLOTS`) plus
/// the slot in which `on_idle` settles an overdue market.
pub struct CounterSpacing;

impl frame_support::traits::Get<u64> for CounterSpacing {
	fn get() -> u64 {
		match crate::EnergyMarket::slot_blocks() {
			Some(blocks) => (u64::from(blocks).saturating_mul(crate::MILLI_SECS_PER_BLOCK) / 3)
				.max(crate::MILLI_SECS_PER_BLOCK),
			None => 300_000,
		}
	}
}

/// Sensor attestation over the device registry.
impl pallet_sensor_attestation::Config for Runtime {
	/// Civic credits count enrolled devices' readings as data-sharing points.
	type OnReadings = crate::CivicCredits;
	type Devices = DeviceRegistry;
	/// The registrar also governs attestation (the free share of blocks).
	type AdminOrigin = RegistrarOrigin;
	type MaxClockAhead = MaxClockAhead;
	type MaxReadingAge = MaxReadingAge;
	/// A device may queue up to 16 submissions ahead of the chain in the pool: with the rate
	/// window that is more than a device may send (16 every block is 160 a minute), and it takes
	/// 300 certified devices' queues to fill the pool's 8,192 places.
	type MaxPendingReadings = ConstU64<16>;
	type RateWindow = AttestationRateWindow;
	/// 120 readings per device per minute (a meter reports every 15 minutes; a parking
	/// sensor on every change): the free capacity of one certified device.
	type MaxReadingsPerWindow = ConstU32<120>;
	/// 10 batches per device per minute.
	type MaxBatchesPerWindow = ConstU32<10>;
	/// Eight kinds of latest reading per device (a meter: import, export, power, ...).
	type MaxKindsPerDevice = ConstU32<8>;
	/// A week of hourly batches per device stays in state; older ones leave with an
	/// `AnchorPruned` event (their data stays in the `BatchAnchored` event).
	type MaxAnchorsPerDevice = ConstU32<168>;
	type MaxBatchSize = ConstU32<1_000_000>;
	/// Bare readings leave the pool after 64 blocks if not included.
	type UnsignedLongevity = ConstU64<64>;
	type UnsignedPriority = AttestationPriority;
	type DefaultFreeShare = AttestationFreeShare;
	/// Energy counter readings kept per meter and direction, for settling energy trades at
	/// slot boundaries: 24, a third of a market slot apart (with 15-minute slots: 5 minutes,
	/// two hours of history whatever the reporting rate; see `CounterSpacing`).
	type MaxCounterHistory = ConstU32<24>;
	type CounterSpacingMs = CounterSpacing;
	/// Cleanup after decommissioned devices: at most 512 items per block, in `on_idle`.
	type MaxPurgePerBlock = ConstU32<512>;
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
		register_benchmark_meter(owner, key, 1)
	}
}

/// Registers a certified smart meter of `owner` with `key` (an ecdsa key in the host keystore)
/// in `zone`, for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
fn register_benchmark_meter(
	owner: &AccountId,
	key: city_primitives::DeviceKey,
	zone: city_primitives::ZoneId,
) -> Result<city_primitives::DeviceId, sp_runtime::DispatchError> {
	register_benchmark_device(owner, key, zone, city_primitives::DeviceClass::SmartMeter)
}

/// Registers a certified device of `class` owned by `owner` with `key` (an ecdsa key in the host
/// keystore) in `zone`, for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
fn register_benchmark_device(
	owner: &AccountId,
	key: city_primitives::DeviceKey,
	zone: city_primitives::ZoneId,
	class: city_primitives::DeviceClass,
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
	let id = DeviceRegistry::do_register(
		owner.clone(),
		class,
		zone,
		key,
		sp_runtime::MultiSignature::Ecdsa(signature),
		None,
		Default::default(),
	)?;
	// Certified, so it may submit fee-less (the path the benchmarks measure).
	DeviceRegistry::do_set_certified(id, Some(None))?;
	Ok(id)
}

parameter_types! {
	/// The energy market's account (what buyers paid and sellers forfeited, between collection
	/// and payout) is derived from this id.
	pub const EnergyMarketPalletId: frame_support::PalletId = frame_support::PalletId(*b"city/nrg");
}

/// The energy market: one auction per zone and slot, settled on the meters' attested counters.
impl pallet_energy_market::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = DeviceRegistry;
	/// The counters meters attest through sensor attestation.
	type Meters = SensorAttestation;
	type UnixTime = Timestamp;
	/// Grid fees and rounding dust go to the city treasury.
	type Treasury = CityTreasuryAccount;
	type PalletId = EnergyMarketPalletId;
	type AdminOrigin = MarketOperatorOrigin;
	/// A grid of up to 200 ticks (e.g. 0.07 to 0.30 CITY per kWh in steps of 0.002: 116).
	type MaxTicks = frame_support::traits::ConstU16<200>;
	/// 10,000 orders per zone and slot: a district of several thousand households.
	type MaxOrdersPerMarket = ConstU32<10_000>;
	/// A household trades through a few meters.
	type MaxOrdersPerAccountPerSlot = ConstU32<8>;
	/// 16 zones trade per slot: the clearing hook clears at most 16 grids in one block.
	type MaxMarketsPerSlot = ConstU32<16>;
	/// 100 Wh (0.1 kWh) at least: an order takes one of the market's bounded places.
	type MinOrderWh = ConstU64<100>;
	/// 1 MWh at most in one order.
	type MaxOrderWh = ConstU64<1_000_000>;
	/// Orders up to 96 slots ahead (a day of 15-minute slots).
	type MaxSlotsAhead = ConstU32<96>;
	/// 100 orders per `settle` call.
	type MaxSettlePerCall = ConstU32<100>;
	/// Markets and their orders stay readable for 672 slots (a week of 15-minute slots; half
	/// a day in the test presets), then `on_idle` removes them.
	type RetainSlots = ConstU32<672>;
	type WeightInfo = pallet_energy_market::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = EnergyBenchmarkHelper;
}

/// Registers benchmark meters in the real device registry and writes their counters into
/// sensor attestation's history (full, so reading it costs what it does at worst).
#[cfg(feature = "runtime-benchmarks")]
pub struct EnergyBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_energy_market::BenchmarkHelper<AccountId> for EnergyBenchmarkHelper {
	fn meter(owner: &AccountId, zone: city_primitives::ZoneId) -> city_primitives::DeviceId {
		let key = city_primitives::DeviceKey::Ecdsa(sp_io::crypto::ecdsa_generate(
			pallet_sensor_attestation::BENCHMARK_KEY_TYPE,
			None,
		));
		// A failed registration shows as the benchmark's `UnknownMeter`.
		register_benchmark_meter(owner, key, zone).unwrap_or(city_primitives::DeviceId::MAX)
	}

	fn set_counter(
		device: city_primitives::DeviceId,
		flow: city_primitives::EnergyFlow,
		at_ms: u64,
		wh: u64,
	) {
		use frame_support::traits::Get;
		pallet_sensor_attestation::CounterHistory::<Runtime>::mutate(device, flow, |history| {
			// Older entries first, so that the history is full.
			let capacity: u32 =
				<Runtime as pallet_sensor_attestation::Config>::MaxCounterHistory::get();
			if history.is_empty() {
				for at in 0..u64::from(capacity.saturating_sub(2)) {
					let _ = history.try_push((at, wh));
				}
			}
			let _ = history.try_push((at_ms, wh));
		});
	}
}

parameter_types! {
	/// A ride's storage deposit: the ride record and its index entries (the rider's, the
	/// driver's, its deadline), at [`DEPOSIT_PER_BYTE`] (about 0.04 CITY), held from the request
	/// until the ride leaves storage.
	pub RideDeposit: Balance = DEPOSIT_PER_BYTE
		.saturating_mul(Balance::from(pallet_ride_settlement::Pallet::<Runtime>::ride_storage_bytes()));
}

/// Ride settlement: escrowed fares from the city's tariff, the city fee to the treasury.
impl pallet_ride_settlement::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = DeviceRegistry;
	type UnixTime = Timestamp;
	/// City fees go to the city treasury.
	type Treasury = CityTreasuryAccount;
	/// The ride arbiter sets the tariff and resolves disputes.
	type TariffOrigin = RideArbiterOrigin;
	type ArbiterOrigin = RideArbiterOrigin;
	/// At most 5 % of a fare (global platforms take 20-30 %).
	type MaxCityFeeBps = frame_support::traits::ConstU16<500>;
	/// A rider may have a few rides open (booking for others too).
	type MaxOpenRidesPerRider = ConstU32<4>;
	type RideDeposit = RideDeposit;
	/// Closed rides stay readable and ratable for a week.
	type RetainBlocks = ConstU32<{ 7 * DAYS }>;
	/// No timeout beyond 30 days.
	type MaxTimeout = ConstU32<{ 30 * DAYS }>;
	type BlocksPerMinute = ConstU32<MINUTES>;
	/// A vehicle's clock may be a minute off the chain's.
	type MaxClockDriftMs = ConstU64<60_000>;
	type WeightInfo = pallet_ride_settlement::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RideBenchmarkHelper;
}

/// Registers benchmark vehicles in the real device registry (ecdsa keys in the host keystore)
/// and signs their trip summaries.
#[cfg(feature = "runtime-benchmarks")]
pub struct RideBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_ride_settlement::BenchmarkHelper<AccountId> for RideBenchmarkHelper {
	fn vehicle(owner: &AccountId) -> city_primitives::DeviceId {
		let key = city_primitives::DeviceKey::Ecdsa(sp_io::crypto::ecdsa_generate(
			pallet_sensor_attestation::BENCHMARK_KEY_TYPE,
			None,
		));
		// A failed registration shows as the benchmark's `UnknownVehicle`.
		register_benchmark_device(owner, key, 1, city_primitives::DeviceClass::Vehicle)
			.unwrap_or(city_primitives::DeviceId::MAX)
	}

	fn sign(vehicle: city_primitives::DeviceId, payload: &[u8]) -> sp_runtime::MultiSignature {
		use city_primitives::DeviceLookup;
		let Some(city_primitives::DeviceKey::Ecdsa(public)) =
			DeviceRegistry::device(vehicle).map(|d| d.key)
		else {
			return sp_runtime::MultiSignature::Ecdsa(Default::default());
		};
		let signature = sp_io::crypto::ecdsa_sign_prehashed(
			pallet_sensor_attestation::BENCHMARK_KEY_TYPE,
			&public,
			&sp_io::hashing::blake2_256(payload),
		)
		.unwrap_or_default();
		sp_runtime::MultiSignature::Ecdsa(signature)
	}
}

/// One day in Unix milliseconds (data access counts time in ms).
const DAY_MS: u64 = 24 * 60 * 60 * 1_000;

parameter_types! {
	/// A grant's deposit: its record and its entry in the citizen's history, at
	/// [`DEPOSIT_PER_BYTE`] (about 0.015 CITY), held until it is revoked or released.
	pub DataGrantDeposit: Balance = DEPOSIT_PER_BYTE
		.saturating_mul(Balance::from(pallet_data_access::Pallet::<Runtime>::grant_storage_bytes()));
	/// An anchor's deposit: its record, at [`DEPOSIT_PER_BYTE`] (about 0.008 CITY), held for as
	/// long as it is stored (anchors stay: they are the log's proof).
	pub DataAnchorDeposit: Balance = DEPOSIT_PER_BYTE
		.saturating_mul(Balance::from(pallet_data_access::Pallet::<Runtime>::anchor_storage_bytes()));
}

/// Data access: citizens' grants to data holders the registrar approves, and the holders'
/// anchored access logs.
impl pallet_data_access::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Grants that name devices are checked against their owners here.
	type Devices = DeviceRegistry;
	type UnixTime = Timestamp;
	/// The registrar approves holders and keeps the vocabulary (the council, by motion).
	type RegistrarOrigin = RegistrarOrigin;
	type GrantDeposit = DataGrantDeposit;
	type AnchorDeposit = DataAnchorDeposit;
	/// Of each kind: categories, purposes, legal bases.
	type MaxTerms = ConstU32<64>;
	type MaxNameLen = ConstU32<64>;
	type MaxDescriptionLen = ConstU32<256>;
	/// Every utility, office, planner and research group the city approves, ever.
	type MaxHolders = ConstU32<1_000>;
	/// Open and closed grants in one account's history (pseudonyms are separate accounts).
	/// Closed grants keep their record without a deposit (README, "Who pays"): the bound
	/// keeps that small.
	type MaxGrantsPerCitizen = ConstU32<32>;
	type MaxDevicesPerGrant = ConstU32<16>;
	/// Consent lasts at most two years; the citizen renews it.
	type MaxGrantDurationMs = ConstU64<{ 2 * 366 * DAY_MS }>;
	/// About a million accesses per batch (a proof of 20 hashes).
	type MaxEntriesPerBatch = ConstU32<1_048_576>;
	/// A holder's clock may be a minute off the chain's.
	type MaxClockDriftMs = ConstU64<60_000>;
	/// Accesses are anchored within a day: for at most a day after a revocation, a holder
	/// could still log reads with times from before it.
	type MaxAnchorDelayMs = ConstU64<DAY_MS>;
	type WeightInfo = pallet_data_access::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = DataAccessBenchmarkHelper;
}

/// Registers benchmark meters in the real device registry, and sets the timestamp.
#[cfg(feature = "runtime-benchmarks")]
pub struct DataAccessBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_data_access::BenchmarkHelper<AccountId> for DataAccessBenchmarkHelper {
	fn device(owner: &AccountId, _index: u32) -> city_primitives::DeviceId {
		let key = city_primitives::DeviceKey::Ecdsa(sp_io::crypto::ecdsa_generate(
			pallet_sensor_attestation::BENCHMARK_KEY_TYPE,
			None,
		));
		// A failed registration shows as the benchmark's `UnknownDevice`.
		register_benchmark_device(owner, key, 1, city_primitives::DeviceClass::SmartMeter)
			.unwrap_or(city_primitives::DeviceId::MAX)
	}

	fn set_time(ms: u64) {
		pallet_timestamp::Now::<Runtime>::put(ms);
	}
}

parameter_types! {
	/// An enrollment's CITY deposit: its record, the device's points and the owner's points
	/// records of the claimable periods, at [`DEPOSIT_PER_BYTE`].
	pub CreditsEnrollDeposit: Balance = DEPOSIT_PER_BYTE.saturating_mul(Balance::from(
		pallet_civic_credits::Pallet::<Runtime>::enrollment_storage_bytes(),
	));
	/// The smallest issue, refund or spend: a hundredth of a credit.
	pub const CreditsMinAmount: Balance = 10 * crate::MILLI_UNIT;
}

/// City credits: the registrar approves issuers and merchants and keeps the deed list; the
/// treasury spender funds the data-sharing reward pools; consent is a data-access grant.
impl pallet_civic_credits::Config for Runtime {
	type Credits = Balance;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = DeviceRegistry;
	type Consent = crate::DataAccess;
	type UnixTime = Timestamp;
	type CityOrigin = RegistrarOrigin;
	type RewardsOrigin = crate::configs::governance::TreasurySpenderOrigin;
	type EnrollDeposit = CreditsEnrollDeposit;
	/// Lots by week: credits reaching a citizen in the same week expire together.
	type LotBlocks = ConstU32<{ 7 * DAYS }>;
	/// An expiry of at most 58 weeks.
	type MaxLots = ConstU32<60>;
	type MinAmount = CreditsMinAmount;
	type MaxNameLen = ConstU32<64>;
	type MaxDeeds = ConstU32<64>;
	type MaxDeedsPerIssuer = ConstU32<16>;
	/// A period's reward may be claimed for 30 periods after it.
	type ClaimPeriods = ConstU32<30>;
	type WeightInfo = pallet_civic_credits::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = CreditsBenchmarkHelper;
}

/// Registers benchmark meters and gives them a consent grant to a benchmark data holder.
#[cfg(feature = "runtime-benchmarks")]
pub struct CreditsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_civic_credits::BenchmarkHelper<AccountId> for CreditsBenchmarkHelper {
	fn device(owner: &AccountId) -> city_primitives::DeviceId {
		<DataAccessBenchmarkHelper as pallet_data_access::BenchmarkHelper<AccountId>>::device(
			owner, 0,
		)
	}

	fn consent(citizen: &AccountId, device: city_primitives::DeviceId) -> (u32, u16, u64) {
		let (holder, category, grant) =
			pallet_data_access::Pallet::<Runtime>::benchmark_consent(citizen, device);
		(holder, category, grant)
	}
}
