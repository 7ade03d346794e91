//! Pallet configurations, split by domain: [`system`] (frame-system, timestamp, sudo),
//! [`consensus`] (Aura, GRANDPA) and [`monetary`] (balances, fees, the city treasury)
//! and [`city`] (the city pallets).

pub mod city;
pub mod consensus;
pub mod monetary;
pub mod system;

pub use monetary::{CityTreasuryAccount, CityTreasuryPalletId};
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
