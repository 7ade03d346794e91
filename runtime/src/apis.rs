//! Runtime API implementations: the standard Substrate set, used by the node, polkadot.js apps
//! and every metadata-driven client.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use city_primitives::{DeviceId, DeviceKey, ZoneId};
use pallet_data_access::runtime_api::GrantView;
use pallet_device_registry::runtime_api::DeviceInfo;
use pallet_energy_market::{
	runtime_api::{MarketView, OrderView, Quote, QuoteError},
	Side, SlotIndex,
};
use pallet_ride_settlement::{
	runtime_api::{DriverView, RideView},
	RideId,
};
use pallet_sensor_attestation::{
	runtime_api::VerifyError, DeviceCounters, LatestReading, MeasurementKind, Reading, StoredAnchor,
};

use crate::{
	genesis_config_presets, AccountId, Aura, Balance, Block, BlockNumber, CivicCredits, DataAccess,
	DeviceRegistry, EnergyMarket, Executive, Grandpa, InherentDataExt, Nonce, RideSettlement,
	Runtime, RuntimeCall, RuntimeGenesisConfig, SensorAttestation, SessionKeys, System,
	TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// Equivocations are handled by city governance (no staking to slash).
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// The key owner proof type is uninhabited (`Void`): there is no proof to give.
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_device_registry::runtime_api::DeviceRegistryApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn device(id: DeviceId) -> Option<DeviceInfo<AccountId, Balance, BlockNumber>> {
			pallet_device_registry::Devices::<Runtime>::get(id)
				.map(|record| DeviceInfo::from_record(id, record))
		}

		fn devices_by_owner(
			owner: AccountId,
			start_after: Option<DeviceId>,
			limit: u32,
		) -> Vec<DeviceInfo<AccountId, Balance, BlockNumber>> {
			DeviceRegistry::devices_of(&owner, start_after, limit)
				.into_iter()
				.map(|(id, record)| DeviceInfo::from_record(id, record))
				.collect()
		}

		fn device_by_key(key: DeviceKey) -> Option<DeviceInfo<AccountId, Balance, BlockNumber>> {
			DeviceRegistry::device_by_key(&key).map(|(id, record)| DeviceInfo::from_record(id, record))
		}
	}

	impl pallet_sensor_attestation::runtime_api::SensorAttestationApi<Block, BlockNumber> for Runtime {
		fn latest_readings(
			device: DeviceId,
		) -> Option<Vec<(MeasurementKind, LatestReading<BlockNumber>)>> {
			SensorAttestation::latest_of(device)
		}

		fn counters(device: DeviceId) -> Option<DeviceCounters<BlockNumber>> {
			SensorAttestation::counters_of(device)
		}

		fn verify_reading(
			device: DeviceId,
			batch_seq: u64,
			reading: Reading,
			leaf_index: u32,
			proof: Vec<sp_core::H256>,
		) -> Result<StoredAnchor<BlockNumber>, VerifyError> {
			SensorAttestation::verify_reading(device, batch_seq, &reading, leaf_index, &proof)
		}

		fn anchors(device: DeviceId, from: u64, limit: u32) -> Option<Vec<StoredAnchor<BlockNumber>>> {
			SensorAttestation::anchors_from(device, from, limit)
		}
	}

	impl pallet_energy_market::runtime_api::EnergyMarketApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn schedule() -> Option<(pallet_energy_market::MarketParams<Balance, BlockNumber>, SlotIndex, SlotIndex)> {
			EnergyMarket::schedule_view()
		}

		fn market(zone: ZoneId, slot: SlotIndex) -> Option<MarketView<Balance, BlockNumber>> {
			EnergyMarket::market_view(zone, slot)
		}

		fn orders(account: AccountId) -> Vec<OrderView<AccountId, Balance>> {
			EnergyMarket::orders_view(&account)
		}

		fn quote(zone: ZoneId, slot: SlotIndex, side: Side, quantity_wh: u64) -> Result<Quote<Balance>, QuoteError> {
			EnergyMarket::quote(zone, slot, side, quantity_wh)
		}
	}

	impl pallet_ride_settlement::runtime_api::RideSettlementApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn tariff() -> Option<(pallet_ride_settlement::TariffVersion, pallet_ride_settlement::Tariff<Balance, BlockNumber>)> {
			RideSettlement::current_tariff()
		}

		fn ride(id: RideId) -> Option<RideView<AccountId, Balance, BlockNumber>> {
			RideSettlement::ride_view(id)
		}

		fn rides_of(account: AccountId, start_after: Option<RideId>, limit: u32) -> Vec<RideView<AccountId, Balance, BlockNumber>> {
			RideSettlement::rides_of(&account, start_after, limit)
		}

		fn quote(distance_m: u32, duration_s: u32) -> Option<pallet_ride_settlement::runtime_api::Quote<Balance>> {
			RideSettlement::quote(distance_m, duration_s)
		}

		fn driver(account: AccountId) -> Option<DriverView<Balance>> {
			RideSettlement::driver_view(&account)
		}

		fn stats() -> pallet_ride_settlement::RideStats<Balance> {
			pallet_ride_settlement::Stats::<Runtime>::get()
		}
	}

	impl pallet_data_access::runtime_api::DataAccessApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn grants_of(citizen: AccountId) -> Vec<(pallet_data_access::GrantId, GrantView<AccountId, Balance>)> {
			DataAccess::grants_of(&citizen)
				.into_iter()
				.map(|(id, grant)| (id, pallet_data_access::Grant {
					citizen: grant.citizen,
					holder: grant.holder,
					category: grant.category,
					purpose: grant.purpose,
					terms_hash: grant.terms_hash,
					start_ms: grant.start_ms,
					expiry_ms: grant.expiry_ms,
					revoked_at_ms: grant.revoked_at_ms,
					devices: grant.devices.into_inner(),
					deposit: grant.deposit,
					open: grant.open,
				}))
				.collect()
		}

		fn holder(id: pallet_data_access::HolderId) -> Option<pallet_data_access::Holder<AccountId, Vec<u8>, Vec<u8>, BlockNumber>> {
			pallet_data_access::Holders::<Runtime>::get(id).map(|holder| pallet_data_access::Holder {
				account: holder.account,
				name: holder.name.into_inner(),
				description: holder.description.into_inner(),
				status: holder.status,
				approved_at: holder.approved_at,
				next_batch: holder.next_batch,
				last_root: holder.last_root,
				last_period_end_ms: holder.last_period_end_ms,
			})
		}

		fn verify_access(
			holder: pallet_data_access::HolderId,
			batch: pallet_data_access::BatchSeq,
			entry: pallet_data_access::AccessEntry<AccountId>,
			leaf_index: u32,
			proof: frame_support::BoundedVec<sp_core::H256, frame_support::traits::ConstU32<{ pallet_data_access::MAX_PROOF_LEN }>>,
		) -> pallet_data_access::AccessVerdict {
			DataAccess::verify_access(holder, batch, &entry, leaf_index, &proof)
		}

		fn access_anchors(
			holder: pallet_data_access::HolderId,
			from: pallet_data_access::BatchSeq,
			limit: u32,
		) -> pallet_data_access::AnchorPage<BlockNumber, Balance> {
			DataAccess::anchor_page(holder, from, limit)
		}
	}

	impl pallet_civic_credits::runtime_api::CivicCreditsApi<Block, AccountId, Balance> for Runtime {
		fn credits_of(account: AccountId) -> Vec<pallet_civic_credits::Lot<Balance>> {
			CivicCredits::lots_of(&account)
		}

		fn issuer(account: AccountId) -> Option<pallet_civic_credits::runtime_api::IssuerView<Balance>> {
			CivicCredits::issuer_view(&account)
		}

		fn merchant(account: AccountId) -> Option<pallet_civic_credits::Merchant<Vec<u8>, Balance>> {
			CivicCredits::merchant_view(&account)
		}

		fn rewards_of(account: AccountId, period: pallet_civic_credits::PeriodIndex) -> pallet_civic_credits::runtime_api::RewardsView<Balance> {
			CivicCredits::rewards_view(&account, period)
		}

		fn credit_stats() -> pallet_civic_credits::runtime_api::StatsView<Balance> {
			CivicCredits::stats_view()
		}
	}

	impl crate::parking::CityServicesApi<Block> for Runtime {
		fn parking_availability(zone: ZoneId, max_age_ms: u64) -> crate::parking::ParkingAvailability {
			crate::parking::availability(zone, max_age_ms)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use crate::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::TrackedStorageKey;
			use frame_system_benchmarking::Pallet as SystemBench;
			use crate::*;

			use frame_support::traits::WhitelistedStorageKeys;
			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();

			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			#[allow(clippy::unwrap_used)]
			let weight = Executive::try_runtime_upgrade(checks).unwrap();
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			#[allow(clippy::expect_used)]
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.expect("execute-block failed")
		}
	}
}
