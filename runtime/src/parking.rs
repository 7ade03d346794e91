//! Free parking in a zone (the Barcelona use case): the zone's parking sensors, found through
//! the device registry's zone index (never a scan of all devices), with their newest occupancy
//! reading from sensor attestation, and how many spaces are free by fresh readings.
//!
//! The runtime is where the two pallets meet: each stays unaware of the other.

use alloc::vec::Vec;
use city_primitives::{DeviceClass, DeviceId, DeviceStatus, ZoneId};
use codec::{Decode, Encode};
use pallet_sensor_attestation::{LatestReading, MeasurementKind};
use scale_info::TypeInfo;

use crate::{BlockNumber, DeviceRegistry, Runtime, SensorAttestation};

/// One parking sensor of the zone.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ParkingSensor {
	/// The sensor's device id.
	pub device: DeviceId,
	/// Its lifecycle status (only active, certified sensors are counted).
	pub status: DeviceStatus,
	/// Whether the city registrar certified it.
	pub certified: bool,
	/// Its newest `ParkingOccupancy` reading (value 0: free, anything else: occupied).
	pub occupancy: Option<LatestReading<BlockNumber>>,
	/// Whether that reading is at most `max_age_ms` old at the block's time.
	pub fresh: bool,
}

/// The zone's parking at one block.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ParkingAvailability {
	/// The chain's time at the block (`Timestamp::Now`), Unix ms: what ages are measured from.
	pub now_ms: u64,
	/// The zone's live (not decommissioned) parking sensors, by device id.
	pub sensors: Vec<ParkingSensor>,
	/// Active, certified sensors whose fresh reading says free.
	pub free: u32,
	/// Active, certified sensors whose fresh reading says occupied.
	pub occupied: u32,
	/// Active, certified sensors without a fresh reading (never reported, or too long ago).
	pub unknown: u32,
}

/// The parking availability of `zone`: a reading counts if it is at most `max_age_ms` older
/// than the block's time (a reading stamped ahead of the block's time, within the attestation
/// window, counts as age 0), and only from sensors that are active and certified by the city
/// registrar (anyone may register a sensor in any zone; an uncertified one is listed, never
/// counted, so nobody can skew a zone's counts with sensors of their own). Reads at most
/// `MaxDevicesPerZone` sensors.
pub fn availability(zone: ZoneId, max_age_ms: u64) -> ParkingAvailability {
	let now_ms = pallet_timestamp::Now::<Runtime>::get();
	let devices = DeviceRegistry::devices_in_zone(zone, DeviceClass::ParkingSensor, None, u32::MAX);
	let (mut free, mut occupied, mut unknown) = (0u32, 0u32, 0u32);
	let sensors = devices
		.into_iter()
		.map(|(device, record)| {
			let occupancy = SensorAttestation::latest(device, MeasurementKind::ParkingOccupancy);
			let fresh = occupancy
				.as_ref()
				.is_some_and(|r| now_ms.saturating_sub(r.timestamp_ms) <= max_age_ms);
			let certified = record.certification.is_some();
			if record.status == DeviceStatus::Active && certified {
				match (&occupancy, fresh) {
					(Some(r), true) if r.value == 0 => free = free.saturating_add(1),
					(Some(_), true) => occupied = occupied.saturating_add(1),
					_ => unknown = unknown.saturating_add(1),
				}
			}
			ParkingSensor { device, status: record.status, certified, occupancy, fresh }
		})
		.collect();
	ParkingAvailability { now_ms, sensors, free, occupied, unknown }
}

sp_api::decl_runtime_apis! {
	/// City services that read more than one pallet.
	#[api_version(1)]
	pub trait CityServicesApi {
		/// The parking availability of `zone` by readings at most `max_age_ms` old.
		fn parking_availability(zone: ZoneId, max_age_ms: u64) -> ParkingAvailability;
	}
}
