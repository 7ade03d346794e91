//! The JSON names of measurement kinds and units, shared by the node's `city_*` RPC and
//! clients (the simulator, the pallets' runtime APIs): `energyImport`, ..., `generic:<code>`; `wattHour`, ...,
//! `other:<code>`.

use alloc::{format, string::String, string::ToString};

use crate::{MeasurementKind, Unit};

/// Named measurement kinds (`Generic(code)` is `generic:<code>`).
pub const KINDS: [(&str, MeasurementKind); 9] = [
	("energyImport", MeasurementKind::EnergyImport),
	("energyExport", MeasurementKind::EnergyExport),
	("power", MeasurementKind::Power),
	("parkingOccupancy", MeasurementKind::ParkingOccupancy),
	("airPm25", MeasurementKind::AirPm25),
	("airPm10", MeasurementKind::AirPm10),
	("airNo2", MeasurementKind::AirNo2),
	("airO3", MeasurementKind::AirO3),
	("tripSummary", MeasurementKind::TripSummary),
];

/// Named units (`Other(code)` is `other:<code>`).
pub const UNITS: [(&str, Unit); 6] = [
	("wattHour", Unit::WattHour),
	("watt", Unit::Watt),
	("count", Unit::Count),
	("deciMicrogramPerCubicMetre", Unit::DeciMicrogramPerCubicMetre),
	("metre", Unit::Metre),
	("second", Unit::Second),
];

/// The name of `value` in `table` (its `Debug` form if the table lacks it).
pub fn table_name<T: Copy + PartialEq + core::fmt::Debug>(table: &[(&str, T)], value: T) -> String {
	table
		.iter()
		.find(|(_, v)| *v == value)
		.map_or_else(|| format!("{value:?}"), |(name, _)| name.to_string())
}

/// Parses a name of `table`, or `<open_prefix><code>` for the open-ended variant `open(code)`.
pub fn parse_named<T: Copy>(
	name: &str,
	table: &[(&str, T)],
	open_prefix: &str,
	open: fn(u16) -> T,
	what: &str,
) -> Result<T, String> {
	if let Some(code) = name.strip_prefix(open_prefix) {
		return code
			.parse()
			.map(open)
			.map_err(|_| format!("{what} code must be 0..=65535, got {code:?}"));
	}
	table
		.iter()
		.find(|(n, _)| *n == name)
		.map(|(_, value)| *value)
		.ok_or_else(|| format!("unknown {what} {name:?}"))
}

/// The JSON name of a measurement kind.
pub fn kind_name(kind: MeasurementKind) -> String {
	match kind {
		MeasurementKind::Generic(code) => format!("generic:{code}"),
		other => table_name(&KINDS, other),
	}
}

/// The JSON name of a unit.
pub fn unit_name(unit: Unit) -> String {
	match unit {
		Unit::Other(code) => format!("other:{code}"),
		other => table_name(&UNITS, other),
	}
}

/// The measurement kind of a JSON name.
pub fn parse_kind(name: &str) -> Result<MeasurementKind, String> {
	parse_named(name, &KINDS, "generic:", MeasurementKind::Generic, "measurement kind")
}

/// The unit of a JSON name.
pub fn parse_unit(name: &str) -> Result<Unit, String> {
	parse_named(name, &UNITS, "other:", Unit::Other, "unit")
}
