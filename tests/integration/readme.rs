//! The README's promises: its command table is generated from the command specs.

const START: &str = "<!-- commands:start (generated from crates/relman-commands specs; UPDATE_README=1 cargo test --test integration readme::) -->";
const END: &str = "<!-- commands:end -->";

#[test]
fn the_readme_command_table_matches_the_specs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(START)
        .expect("README has the commands:start marker")
        + START.len();
    let end = readme
        .find(END)
        .expect("README has the commands:end marker");
    let table = format!("\n{}\n", relman_commands::readme_table().trim_end());
    if readme[start..end] != table {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
            std::fs::write(path, updated).unwrap();
        } else {
            panic!(
                "README.md's command table is out of date; regenerate it with\n  UPDATE_README=1 cargo test --test integration readme::"
            );
        }
    }
}

#[test]
fn the_readme_opens_with_the_two_newcomer_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let first_block: String = readme
        .lines()
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(first_block.contains("cargo run -- demo"), "{first_block}");
    assert!(
        first_block.contains("cargo test --workspace"),
        "{first_block}"
    );
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(
        ci.contains("cargo test --workspace"),
        "CI runs the README's test command"
    );
}
