//! Link settings for the `relman` binary; nothing is generated.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");

    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        // Pack the executable's relative relocations (DT_RELR): 24 KiB instead of 1.5 MiB of
        // `.rela.dyn`, which the dynamic loader reads whole at every start, so it stayed resident
        // for the process's life (benches/README.md, round 5: idle RSS 1.4 – 2.3 MiB lower). The
        // binary stays position-independent. Needs glibc 2.36 or later at run time (the image's
        // Debian trixie has 2.41) and a linker that knows the option (LLD, GNU ld 2.38).
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
