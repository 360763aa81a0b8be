//! Turns on the PostgreSQL and NATS tests when their services are configured, so that without
//! them the tests are reported as ignored (with how to enable them), never as passed.
fn main() {
    println!("cargo:rustc-check-cfg=cfg(pg_tests)");
    println!("cargo:rustc-check-cfg=cfg(nats_tests)");
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_POSTGRES_URL");
    println!("cargo:rerun-if-env-changed=OPENTIM_TEST_NATS_URL");
    if std::env::var_os("OPENTIM_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=pg_tests");
    }
    if std::env::var_os("OPENTIM_TEST_NATS_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=nats_tests");
    }
}
