//! Genesis presets: `development` (one validator, Alice; Alice is the sudo key; a council of
//! Alice, Bob and Charlie) and `local_testnet` (four validators: Alice, Bob, Charlie, Dave, at
//! least 4 must remain; their operators are the council; no sudo key: nothing needs root).
//! Both endow the well-known dev accounts and the city treasury.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::{
	configs::{consensus::TEST_SESSION_PERIOD, CityTreasuryAccount},
	AccountId, Balance, BalancesConfig, BlockNumber, CivicCreditsConfig, CouncilMembershipConfig,
	DataAccessConfig, EnergyMarketConfig, RideSettlementConfig, RuntimeGenesisConfig,
	SessionConfig, SessionKeys, SudoConfig, ValidatorSetConfig, DAYS, EXISTENTIAL_DEPOSIT,
	MILLI_UNIT, UNIT,
};

/// Balance given to each endowed dev account: one million CITY.
pub const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// A validator at genesis: its account and its session keys (Aura sr25519, GRANDPA ed25519).
pub struct GenesisValidator {
	/// The validator's account (pays the session key deposit).
	pub account: AccountId,
	/// Aura key.
	pub aura: AuraId,
	/// GRANDPA key.
	pub grandpa: GrandpaId,
}

/// The energy market's parameters in the test presets: slots of 10 blocks (1 minute), so tests
/// run fast; gate closure 2 blocks before a slot; prices from the feed-in tariff, 0.07 CITY per
/// kWh, to the retail tariff, 0.30, in steps of 0.002 (116 ticks); sellers bond 0.10 per kWh
/// offered and forfeit all of it per kWh not delivered; buyers pay a grid fee of 0.02 per kWh
/// to the city treasury; meter readings may arrive up to 20 blocks after a slot. A city network
/// uses slots of 150 blocks (15 minutes): see `scripts/gen-chain-specs.sh`.
pub fn test_market_params() -> pallet_energy_market::MarketParams<Balance, BlockNumber> {
	pallet_energy_market::MarketParams {
		slot_blocks: 10,
		gate_closure_blocks: 2,
		price_floor: 70 * MILLI_UNIT,
		price_cap: 300 * MILLI_UNIT,
		tick_size: 2 * MILLI_UNIT,
		ask_bond_per_kwh: 100 * MILLI_UNIT,
		penalty_per_kwh: 100 * MILLI_UNIT,
		grid_fee_per_kwh: 20 * MILLI_UNIT,
		settlement_deadline_blocks: 20,
	}
}

/// The ride tariff of the presets (and, with longer windows, of the city template: see
/// `scripts/gen-chain-specs.sh`): 2 CITY a trip plus 1.50 per km and 0.30 per minute, at least
/// 5; a city fee of 3 % to the treasury; 2 free minutes of waiting, then 0.30 a minute; a
/// rider's cancellation costs 2 after the 2-minute grace, 4 after the driver arrived, a
/// no-show 5; a driver's cancellation 5 from a bond of 50. Requests wait 5 minutes for a
/// driver, drivers have 15 minutes to arrive, riders 5 to start, trips 2 hours; disputes may be
/// opened for 3 minutes after a trip (short, so that tests run fast) and the arbiter has a day.
pub fn test_ride_tariff() -> pallet_ride_settlement::Tariff<Balance, BlockNumber> {
	use crate::{DAYS, HOURS, MINUTES};
	pallet_ride_settlement::Tariff {
		base_fare: 2 * UNIT,
		per_km: 1_500 * MILLI_UNIT,
		per_minute: 300 * MILLI_UNIT,
		minimum_fare: 5 * UNIT,
		city_fee_bps: 300,
		waiting_allowance: 2 * MINUTES,
		waiting_per_minute: 300 * MILLI_UNIT,
		rider_cancel_fee: 2 * UNIT,
		arrived_cancel_fee: 4 * UNIT,
		no_show_fee: 5 * UNIT,
		driver_cancel_penalty: 5 * UNIT,
		driver_bond: 50 * UNIT,
		cancel_grace: 2 * MINUTES,
		request_timeout: 5 * MINUTES,
		arrival_timeout: 15 * MINUTES,
		start_timeout: 5 * MINUTES,
		trip_timeout: 2 * HOURS,
		dispute_window: 3 * MINUTES,
		arbitration_timeout: DAYS,
	}
}

/// The data-access vocabulary every preset (and the city template) starts with: data
/// categories, purposes and legal bases (codes are permanent; the registrar adds and retires
/// words by motion).
pub fn data_access_vocabulary() -> Vec<(pallet_data_access::TermKind, u16, Vec<u8>)> {
	use pallet_data_access::TermKind::{Category, LegalBasis, Purpose};
	[
		(Category, 1, "energy meter readings"),
		(Category, 2, "ride history"),
		(Category, 3, "parking"),
		(Category, 4, "air quality"),
		(Category, 5, "health"),
		(Purpose, 1, "billing"),
		(Purpose, 2, "urban planning"),
		(Purpose, 3, "research"),
		(Purpose, 4, "service delivery"),
		(LegalBasis, 1, "court order"),
		(LegalBasis, 2, "statutory duty"),
		(LegalBasis, 3, "emergency"),
	]
	.into_iter()
	.map(|(kind, code, name)| (kind, code, name.as_bytes().to_vec()))
	.collect()
}

/// The deed list every preset (and the city template) starts with (codes are permanent; the
/// registrar adds and retires deeds by motion).
pub fn civic_deeds() -> Vec<(u16, Vec<u8>)> {
	[(1, "volunteering"), (2, "care"), (3, "clean-up"), (4, "tutoring")]
		.into_iter()
		.map(|(code, name)| (code, name.as_bytes().to_vec()))
		.collect()
}

/// The civic credit parameters of the presets: credits expire after 90 days, quotas per 30
/// days, data-sharing reward periods of 10 blocks (a minute; the city template has a day), 100
/// points per device and period; consent is a grant to data holder 0 (the first the registrar
/// approves: the city's own data office) for category 1 (energy meter readings).
pub fn test_credit_params() -> pallet_civic_credits::Params {
	pallet_civic_credits::Params {
		expiry_blocks: 90 * DAYS,
		quota_period_blocks: 30 * DAYS,
		reward_period_blocks: 10,
		points_cap_per_device: 100,
		consent_holder: 0,
		consent_category: 1,
	}
}

/// Builds the genesis JSON patch for a network with the given validators (and minimum set
/// size), session length, council, sudo key (`None`: none; a city network has none) and
/// endowed accounts. Validators' session keys go into pallet-session, which
/// hands them to Aura and GRANDPA; the validators must be endowed (session key deposit).
pub fn city_genesis(
	validators: Vec<GenesisValidator>,
	min_validators: u32,
	session_length: BlockNumber,
	council: Vec<AccountId>,
	root: Option<AccountId>,
	endowed_accounts: Vec<AccountId>,
) -> Value {
	let mut balances: Vec<(AccountId, u128)> =
		endowed_accounts.into_iter().map(|account| (account, ENDOWMENT)).collect();
	// The treasury account exists from genesis, so the first fee paid into it is never lost
	// to the existential deposit.
	balances.push((CityTreasuryAccount::get(), EXISTENTIAL_DEPOSIT));

	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		validator_set: ValidatorSetConfig {
			initial_validators: validators.iter().map(|v| v.account.clone()).collect::<Vec<_>>(),
			min_validators,
			session_length,
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|v| {
					(v.account.clone(), v.account, SessionKeys { aura: v.aura, grandpa: v.grandpa })
				})
				.collect::<Vec<_>>(),
		},
		council_membership: CouncilMembershipConfig {
			members: frame_support::BoundedVec::truncate_from(council),
			..Default::default()
		},
		sudo: SudoConfig { key: root },
		energy_market: EnergyMarketConfig { params: Some(test_market_params()) },
		ride_settlement: RideSettlementConfig { tariff: Some(test_ride_tariff()) },
		data_access: DataAccessConfig { terms: data_access_vocabulary() },
		civic_credits: CivicCreditsConfig {
			deeds: civic_deeds(),
			params: Some(test_credit_params())
		},
	})
}

/// A well-known dev validator (`//Alice`, ...): its sr25519 account and Aura key, and the
/// ed25519 GRANDPA key of the same seed.
fn dev_validator(account: Sr25519Keyring, grandpa: Ed25519Keyring) -> GenesisValidator {
	GenesisValidator {
		account: account.to_account_id(),
		aura: AuraId::from(account.public()),
		grandpa: GrandpaId::from(grandpa.public()),
	}
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// `development`: a single validator (Alice); Alice is the sudo key; the council is Alice, Bob
/// and Charlie.
pub fn development_config_genesis() -> Value {
	city_genesis(
		vec![dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		1,
		TEST_SESSION_PERIOD,
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
			.iter()
			.map(|k| k.to_account_id())
			.collect(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		dev_accounts(),
	)
}

/// `local_testnet`: four validators (Alice, Bob, Charlie, Dave), so one may fail without
/// stalling GRANDPA finality; the four validators' operators are the council; no sudo key.
pub fn local_config_genesis() -> Value {
	city_genesis(
		vec![
			dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			dev_validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			dev_validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			dev_validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		4,
		TEST_SESSION_PERIOD,
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave]
			.iter()
			.map(|k| k.to_account_id())
			.collect(),
		None,
		dev_accounts(),
	)
}

/// Returns the JSON of the named preset, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.unwrap_or_else(|_| alloc::string::String::from("{}"))
			.into_bytes(),
	)
}

/// The names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

/// The genesis config of the named preset: its patch merged into the default config, as the
/// node does (for tests and benchmarks that build a chain's state natively). `None` for an
/// unknown preset or a patch that does not fit the config.
#[cfg(feature = "std")]
pub fn preset_genesis_config(name: &str) -> Option<RuntimeGenesisConfig> {
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
	let patch = get_preset(&name.into())?;
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).ok()?;
	merge(&mut config, serde_json::from_slice(&patch).ok()?);
	serde_json::from_value(config).ok()
}
