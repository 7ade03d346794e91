fn main() {
	#[cfg(all(feature = "std", feature = "build-wasm"))]
	{
		let runtime = substrate_wasm_builder::WasmBuilder::init_with_defaults();
		#[cfg(feature = "metadata-hash")]
		let runtime = runtime.enable_metadata_hash("CITY", 12);
		runtime.build();

		// The upgrade rehearsal (`citychain_runtime::upgrade_rehearsal`): the same runtime with
		// other versions, which end-to-end tests upgrade a dev chain to. Only this crate is
		// compiled again (the feature changes nothing in its dependencies).
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("upgrade-rehearsal")
			.set_file_name("upgrade_rehearsal_wasm.rs")
			.build();
	}
}
