//! Pallet configurations, split by domain: [`system`] (frame-system, timestamp, sudo),
//! [`consensus`] (Aura, GRANDPA), [`monetary`] (balances, fees, the city treasury account),
//! [`governance`] (the council, the city's roles as origins, multisig, proxy, utility,
//! scheduler, preimage, treasury, whitelist) and [`city`] (the city pallets).

pub mod city;
pub mod consensus;
pub mod governance;
pub mod monetary;
pub mod system;

pub use monetary::{CityTreasuryAccount, CityTreasuryPalletId};
pub use system::{RuntimeBlockLength, RuntimeBlockWeights};
