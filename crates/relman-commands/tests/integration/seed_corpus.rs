//! Runs `parse` over the fuzz target's seed corpus, so the seeds stay meaningful and the fuzz
//! target's assertions are exercised on every `cargo test`, not only when someone fuzzes.

use std::fs;
use std::path::PathBuf;

use relman_commands::{Command, parse};

fn seeds() -> Vec<(String, String)> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/grammar");
    let mut seeds: Vec<(String, String)> = fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn every_seed_parses_with_sound_spans() {
    let seeds = seeds();
    assert!(seeds.len() >= 30, "only {} seeds", seeds.len());
    let (mut commands, mut errors) = (0, 0);
    for (name, body) in &seeds {
        for result in parse(body) {
            let span = match &result {
                Ok(parsed) => {
                    commands += 1;
                    assert_eq!(
                        &body[parsed.span.start..parsed.span.end],
                        parsed.text,
                        "{name}"
                    );
                    parsed.span
                }
                Err(error) => {
                    errors += 1;
                    error.span
                }
            };
            assert!(
                span.start <= span.end && span.end <= body.len(),
                "{name}: {span:?}"
            );
            assert!(body.is_char_boundary(span.start), "{name}: {span:?}");
            assert!(body.is_char_boundary(span.end), "{name}: {span:?}");
        }
    }
    // The corpus must keep covering both outcomes, or it no longer seeds the fuzzer well.
    assert!(commands >= 30, "{commands} commands");
    assert!(errors >= 20, "{errors} errors");
}

#[test]
fn seeds_mean_what_their_names_say() {
    let seeds = seeds();
    let commands_of = |name: &str| -> Vec<Command> {
        let (_, body) = seeds.iter().find(|(seed, _)| seed == name).unwrap();
        parse(body)
            .into_iter()
            .filter_map(Result::ok)
            .map(|parsed| parsed.command)
            .collect()
    };
    assert_eq!(commands_of("01-release.md"), vec![Command::Release]);
    assert_eq!(commands_of("12-far-words.md"), vec![]);
    assert_eq!(commands_of("13-mid-line.md"), vec![]);
    assert_eq!(commands_of("14-fenced-backticks.md"), vec![Command::Stats]);
    assert_eq!(commands_of("16-unclosed-fence.md"), vec![Command::Help]);
    assert_eq!(
        commands_of("33-html-after-screenshot.md"),
        vec![Command::QaBlocker {
            text: "the export button is missing".to_owned()
        }]
    );
    assert_eq!(commands_of("34-list-fence-setext.md"), vec![Command::Stats]);
    assert_eq!(
        commands_of("25-crlf.md"),
        vec![
            Command::Release,
            Command::Signoff {
                environment: Some(relman_commands::Environment::Staging)
            }
        ]
    );
}
