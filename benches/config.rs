//! Parsing and validating a realistic, complete `.github/relman.yml` (budget: well under 1 ms).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use relman::config::repo::{merge_configs, parse_repo_config};

const EXAMPLE: &str = include_str!("../examples/relman.yml");

fn parse_full_config(c: &mut Criterion) {
    c.bench_function("parse_repo_config(examples/relman.yml)", |b| {
        b.iter(|| parse_repo_config(".github/relman.yml", black_box(EXAMPLE)))
    });
    let own =
        "_extends: .github\nschedule: { every_weeks: 1 }\nrotation: { members: [dave, erin] }\n";
    c.bench_function("merge_configs(example base + small own file)", |b| {
        b.iter(|| {
            merge_configs(
                ("acme/.github:.github/relman.yml", black_box(EXAMPLE)),
                (".github/relman.yml", black_box(own)),
            )
        })
    });
}

criterion_group!(benches, parse_full_config);
criterion_main!(benches);
