//! `city_device`, `city_devicesByOwner`, `city_deviceByKey`: the device registry's runtime API
//! over JSON-RPC, with typed JSON output.

use std::sync::Arc;

use city_primitives::{DeviceClass, DeviceId, DeviceKey, DeviceStatus, Suspender};
use citychain_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_device_registry::runtime_api::{DeviceInfo, DeviceRegistryApi};
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};

use super::{
	errors::{self, invalid_param, not_found},
	params::{self, KeyJson},
};

/// Largest page of `city_devicesByOwner`.
pub const MAX_PAGE: u32 = 1000;
/// Page size of `city_devicesByOwner` when `limit` is not given.
pub const DEFAULT_PAGE: u32 = 100;

/// The registrar's certification in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificationJson {
	/// The registrar account (SS58), if the registrar is an account.
	pub by: Option<String>,
	/// Block of certification.
	pub at: BlockNumber,
}

/// Device metadata in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataJson {
	/// Geohash text ("" if not disclosed).
	pub geohash: String,
	/// Model hash, hex.
	pub model_hash: Option<String>,
	/// Firmware hash, hex.
	pub firmware_hash: Option<String>,
	/// URI (UTF-8, lossy), "" if none.
	pub uri: String,
}

/// A device in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceJson {
	/// Device id.
	pub id: DeviceId,
	/// Owner (SS58).
	pub owner: String,
	/// Operator (SS58), if any.
	pub operator: Option<String>,
	/// `smartMeter`, `solarInverter`, `parkingSensor`, `airQualitySensor`, `vehicle`,
	/// `charger` or `other`.
	pub class: String,
	/// Zone (district) id.
	pub zone: u32,
	/// Current key.
	pub key: KeyJson,
	/// Current key epoch.
	pub key_epoch: u32,
	/// `active`, `suspended`, `revoked` or `decommissioned`.
	pub status: String,
	/// Who suspended it (`owner` or `registrar`), when suspended.
	pub suspended_by: Option<String>,
	/// Certification, if certified.
	pub certification: Option<CertificationJson>,
	/// Block of revocation, if revoked.
	pub revoked_at: Option<BlockNumber>,
	/// Metadata.
	pub metadata: MetadataJson,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Deposit held, in the smallest unit, as a decimal string (u128 does not fit JSON numbers).
	pub deposit: String,
}

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn ss58(account: &AccountId) -> String {
	account.to_ss58check()
}

/// The JSON form of a device key.
pub fn key_json(key: &DeviceKey) -> KeyJson {
	let (scheme, bytes): (&str, &[u8]) = match key {
		DeviceKey::Sr25519(k) => ("sr25519", k.as_ref()),
		DeviceKey::Ed25519(k) => ("ed25519", k.as_ref()),
		DeviceKey::Ecdsa(k) => ("ecdsa", k.as_ref()),
	};
	KeyJson { scheme: scheme.into(), public_key: hex(bytes) }
}

fn class_name(class: DeviceClass) -> &'static str {
	match class {
		DeviceClass::SmartMeter => "smartMeter",
		DeviceClass::SolarInverter => "solarInverter",
		DeviceClass::ParkingSensor => "parkingSensor",
		DeviceClass::AirQualitySensor => "airQualitySensor",
		DeviceClass::Vehicle => "vehicle",
		DeviceClass::Charger => "charger",
		DeviceClass::Other => "other",
	}
}

/// A status's JSON name and, when suspended, who suspended it.
pub fn status_json(status: DeviceStatus) -> (&'static str, Option<String>) {
	match status {
		DeviceStatus::Active => ("active", None),
		DeviceStatus::Suspended(Suspender::Owner) => ("suspended", Some("owner".to_string())),
		DeviceStatus::Suspended(Suspender::Registrar) => {
			("suspended", Some("registrar".to_string()))
		}
		DeviceStatus::Revoked => ("revoked", None),
		DeviceStatus::Decommissioned => ("decommissioned", None),
	}
}

/// The JSON form of a device.
pub fn device_json(info: DeviceInfo<AccountId, Balance, BlockNumber>) -> DeviceJson {
	let (status, suspended_by) = status_json(info.status);
	DeviceJson {
		id: info.id,
		owner: ss58(&info.owner),
		operator: info.operator.as_ref().map(ss58),
		class: class_name(info.class).into(),
		zone: info.zone,
		key: key_json(&info.key),
		key_epoch: info.key_epoch,
		status: status.into(),
		suspended_by,
		certification: info
			.certification
			.map(|c| CertificationJson { by: c.by.as_ref().map(ss58), at: c.at }),
		revoked_at: info.revoked_at,
		metadata: MetadataJson {
			geohash: String::from_utf8_lossy(&info.geohash).into_owned(),
			model_hash: info.model_hash.map(|h| hex(h.as_bytes())),
			firmware_hash: info.firmware_hash.map(|h| hex(h.as_bytes())),
			uri: String::from_utf8_lossy(&info.uri).into_owned(),
		},
		registered_at: info.registered_at,
		deposit: info.deposit.to_string(),
	}
}

/// The device registry's JSON-RPC methods.
#[rpc(server, namespace = "city")]
pub trait CityDeviceApi {
	/// The device with `id` at block `at` (default: best block).
	#[method(name = "device")]
	fn device(&self, id: DeviceId, at: Option<H256>) -> RpcResult<DeviceJson>;

	/// The live devices of `owner` (SS58 or 0x hex) with ids above `startAfter`, at most
	/// `limit` (default 100, at most 1000), in id order.
	#[method(name = "devicesByOwner")]
	fn devices_by_owner(
		&self,
		owner: String,
		start_after: Option<DeviceId>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<Vec<DeviceJson>>;

	/// The device registered with `key` (its current or an earlier key).
	#[method(name = "deviceByKey")]
	fn device_by_key(&self, key: KeyJson, at: Option<H256>) -> RpcResult<DeviceJson>;
}

/// Implementation of [`CityDeviceApiServer`] over a client.
pub struct CityDevice<C> {
	client: Arc<C>,
}

impl<C> CityDevice<C> {
	/// A new instance over `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> CityDevice<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: DeviceRegistryApi<Block, AccountId, Balance, BlockNumber>,
{
	/// The block to query, checking that its runtime has the API.
	fn at(&self, at: Option<H256>) -> RpcResult<H256> {
		super::block_with_api::<_, dyn DeviceRegistryApi<Block, AccountId, Balance, BlockNumber>>(
			&*self.client,
			at,
			"DeviceRegistryApi",
			None,
		)
	}
}

impl<C> CityDeviceApiServer for CityDevice<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: DeviceRegistryApi<Block, AccountId, Balance, BlockNumber>,
{
	fn device(&self, id: DeviceId, at: Option<H256>) -> RpcResult<DeviceJson> {
		let at = self.at(at)?;
		self.client
			.runtime_api()
			.device(at, id)
			.map_err(errors::runtime_error)?
			.map(device_json)
			.ok_or_else(|| not_found(format!("no device with id {id}")))
	}

	fn devices_by_owner(
		&self,
		owner: String,
		start_after: Option<DeviceId>,
		limit: Option<u32>,
		at: Option<H256>,
	) -> RpcResult<Vec<DeviceJson>> {
		let owner = params::account(&owner).map_err(invalid_param)?;
		let limit = limit.unwrap_or(DEFAULT_PAGE);
		if limit == 0 || limit > MAX_PAGE {
			return Err(invalid_param(format!("limit must be 1..={MAX_PAGE}, got {limit}")));
		}
		let at = self.at(at)?;
		let devices = self
			.client
			.runtime_api()
			.devices_by_owner(at, owner, start_after, limit)
			.map_err(errors::runtime_error)?;
		Ok(devices.into_iter().map(device_json).collect())
	}

	fn device_by_key(&self, key: KeyJson, at: Option<H256>) -> RpcResult<DeviceJson> {
		let parsed = params::device_key(&key).map_err(invalid_param)?;
		let at = self.at(at)?;
		self.client
			.runtime_api()
			.device_by_key(at, parsed)
			.map_err(errors::runtime_error)?
			.map(device_json)
			.ok_or_else(|| {
				not_found(format!(
					"no device registered with {} key {}",
					key.scheme,
					params::shown(&key.public_key)
				))
			})
	}
}
