//! Install methods against copies of the fixture roots in temporary folders.

mod emulated;
mod kmod;
mod kmod_fixture;
mod support;
mod thunderbolt;
mod uefi_capsule;

use hwupd::backends::{backend_for, BackendError};
use hwupd::catalog::document::InstallMethod;

#[test]
fn backend_for_each_known_method() {
    let methods = [
        InstallMethod::UefiCapsule,
        InstallMethod::Thunderbolt,
        InstallMethod::Kmod,
        InstallMethod::Emulated,
    ];
    for method in methods {
        assert_eq!(backend_for(&method).unwrap().method(), method);
    }
}

#[test]
fn backend_for_unknown_method_names_it() {
    let method = InstallMethod::Unknown("fastboot".to_string());

    let error = backend_for(&method).err().unwrap();

    assert!(matches!(error, BackendError::UnknownMethod(_)), "{error:?}");
    assert!(error.to_string().contains("fastboot"), "{error}");
}
