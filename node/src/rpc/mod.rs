//! The node's JSON-RPC extensions, on top of the standard Substrate methods that sc-service
//! installs: `system_accountNextIndex`, `payment_*`, and the `city_*` namespace (a thin layer
//! over the city pallets' runtime APIs, with numbered errors: see [`errors`]).

// No slicing or indexing of what clients send: a bad index is a panic, and a panic in an RPC
// handler takes the node down.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

pub mod attestation;
pub mod credits;
pub mod data_access;
pub mod device;
pub mod energy;
pub mod errors;
pub mod params;
pub mod parking;
pub mod rides;

use std::sync::Arc;

use citychain_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// The block a `city_*` call reads (`at`, or the best block), after checking that its runtime
/// has the runtime API `Api` (named `name`): in the version this node was built with, or, with
/// `min_version`, in that version or a later one. A node whose runtime lacks it (an older
/// runtime, a block before an upgrade) answers with a numbered error
/// ([`errors::API_UNAVAILABLE`]) instead of failing inside the call.
pub fn block_with_api<C, Api>(
	client: &C,
	at: Option<sp_core::H256>,
	name: &str,
	min_version: Option<u32>,
) -> jsonrpsee::core::RpcResult<sp_core::H256>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
	Api: sp_api::RuntimeApiInfo + ?Sized,
{
	use sp_api::ApiExt;
	let at = at.unwrap_or_else(|| client.info().best_hash);
	let has_api = client
		.runtime_api()
		.has_api_with::<Api, _>(at, |version| match min_version {
			Some(min) => version >= min,
			None => version == Api::VERSION,
		})
		.map_err(|e| errors::error(errors::API_UNAVAILABLE, format!("block {at:?}: {e}")))?;
	if !has_api {
		return Err(errors::error(
			errors::API_UNAVAILABLE,
			format!("the runtime at block {at:?} has no {name}"),
		));
	}
	Ok(at)
}

/// Dependencies of the RPC extensions.
pub struct FullDeps<C, P> {
	/// The client instance.
	pub client: Arc<C>,
	/// Transaction pool instance.
	pub pool: Arc<P>,
}

/// Builds the RPC extensions of a full node.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>,
	C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
	C: Send + Sync + 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: pallet_sensor_attestation::runtime_api::SensorAttestationApi<Block, BlockNumber>,
	C::Api: pallet_device_registry::runtime_api::DeviceRegistryApi<
		Block,
		AccountId,
		Balance,
		BlockNumber,
	>,
	C::Api: citychain_runtime::parking::CityServicesApi<Block>,
	C::Api:
		pallet_energy_market::runtime_api::EnergyMarketApi<Block, AccountId, Balance, BlockNumber>,
	C::Api: pallet_ride_settlement::runtime_api::RideSettlementApi<
		Block,
		AccountId,
		Balance,
		BlockNumber,
	>,
	C::Api: pallet_data_access::runtime_api::DataAccessApi<Block, AccountId, Balance, BlockNumber>,
	C::Api: pallet_civic_credits::runtime_api::CivicCreditsApi<Block, AccountId, Balance>,
	P: TransactionPool + 'static,
{
	use attestation::{CityAttestation, CityAttestationApiServer};
	use credits::{CityCredits, CityCreditsApiServer};
	use data_access::{CityDataAccess, CityDataAccessApiServer};
	use device::{CityDevice, CityDeviceApiServer};
	use energy::{CityEnergy, CityEnergyApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use parking::{CityServices, CityServicesRpcServer};
	use rides::{CityRides, CityRidesApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(CityDevice::new(client.clone()).into_rpc())?;
	module.merge(CityAttestation::new(client.clone()).into_rpc())?;
	module.merge(CityEnergy::new(client.clone()).into_rpc())?;
	module.merge(CityRides::new(client.clone()).into_rpc())?;
	module.merge(CityDataAccess::new(client.clone()).into_rpc())?;
	module.merge(CityCredits::new(client.clone()).into_rpc())?;
	module.merge(CityServices::new(client).into_rpc())?;

	Ok(module)
}
