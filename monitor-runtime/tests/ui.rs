//! Misused `#[monitor]` attributes are compile errors that point at the
//! offending token (snapshots in `tests/ui/*.stderr`).

#[test]
fn misuse_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
