//! The node's JSON-RPC extensions, on top of the standard Substrate methods that sc-service
//! installs: `system_accountNextIndex`, `payment_*`, and the `city_*` namespace (a thin layer
//! over the city pallets' runtime APIs, with numbered errors: see [`errors`]).

// No slicing or indexing of what clients send: a bad index is a panic, and a panic in an RPC
// handler takes the node down.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

pub mod attestation;
pub mod device;
pub mod errors;
pub mod params;
pub mod parking;

use std::sync::Arc;

use citychain_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

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
	P: TransactionPool + 'static,
{
	use attestation::{CityAttestation, CityAttestationApiServer};
	use device::{CityDevice, CityDeviceApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use parking::{CityServices, CityServicesRpcServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(CityDevice::new(client.clone()).into_rpc())?;
	module.merge(CityAttestation::new(client.clone()).into_rpc())?;
	module.merge(CityServices::new(client).into_rpc())?;

	Ok(module)
}
