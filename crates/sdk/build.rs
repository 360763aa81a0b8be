//! Turns on the PostgreSQL and NATS tests when their services (and, for the fault tests,
//! PostgreSQL's programs) are configured, so that without
//! them the tests are reported as ignored (with how to enable them), never as passed.
fn main() {
    println!("cargo:rustc-check-cfg=cfg(pg_tests)");
    println!("cargo:rustc-check-cfg=cfg(nats_tests)");
    println!("cargo:rustc-check-cfg=cfg(pg_bin_tests)");
    println!("cargo:rustc-check-cfg=cfg(nats_bin_tests)");
    println!("cargo:rustc-check-cfg=cfg(small_fs_tests)");
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_SMALL_FS");
    if std::env::var_os("OPENTIM_TEST_SMALL_FS").is_some_and(|v| v == "1") {
        println!("cargo:rustc-cfg=small_fs_tests");
    }
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_NATS_SERVER");
    if std::env::var_os("OPENTIM_TEST_NATS_SERVER").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=nats_bin_tests");
    }
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_PG_BINDIR");
    if std::env::var_os("OPENTIM_TEST_PG_BINDIR").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=pg_bin_tests");
    }
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_POSTGRES_URL");
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_NATS_URL");
    if std::env::var_os("OPENTIM_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=pg_tests");
    }
    if std::env::var_os("OPENTIM_TEST_NATS_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=nats_tests");
    }
}
