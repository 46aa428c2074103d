//! How long `parse` takes on large comments, and that the time grows linearly with size.
//!
//! `cargo bench -p relman-commands --bench parse`. GitHub caps a comment at 65,536 characters; at
//! that size a realistic comment parses in under a millisecond and a comment of nothing but
//! command lines in a few (measured on 2 shared cores: 0.5 – 0.8 ms and 7 ms), which a worker
//! handling one webhook does not feel. What the bench guards is that the time grows linearly.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use relman_commands::parse;

/// One screenful of a long comment without commands of its own: prose, a log in a code block,
/// a quote of an earlier comment, inline code, a list, an HTML comment from a template and an
/// indented block. The code block, the quote, the comment and the indented block hold command
/// lines that must be skipped, and the prose mentions commands mid-line.
const FILLER_SECTION: &str = "\
Thanks for the quick turnaround! I had a look at the staging dashboards this morning and the \
error rate is back to its usual level, so I think we are good to go. Some notes below.

```console
$ curl -s https://stage.example.net/__version__
{\"version\": \"v1.42.0\", \"commit\": \"3f2a9c1\"}
/release
/signoff production
```

> @alice wrote:
> Can we ship this today? The sync fix is waiting.
> /release status

The `POST /api/sync` endpoint now returns `409` instead of `500` when the batch is stale, \
and `/release include #12` is not needed since #12 is already in `main`.

- checked the migration on a copy of production data
- checked the rollback with `relman redeliver`
- Firefox and Safari look fine; Chrome too

<!-- Use /hotfix <why> for production fixes, /warmfix <why> for staging. -->

    indented output from a tool
    /stats

Ünïcödé text happens too: naïve café résumé 🚀, and a path like /usr/bin/env.

";

/// The few commands of the comment, one of them mistyped.
const COMMANDS: &str = "/signoff staging\n/qa ok\n/relase\n\n";

/// A comment of about `target_len` bytes: filler with [`COMMANDS`] after each quarter.
fn mixed_comment(target_len: usize) -> String {
    let copies = target_len.div_ceil(FILLER_SECTION.len()).max(4);
    let mut comment = String::with_capacity(target_len + 4 * COMMANDS.len());
    for copy in 1..=copies {
        comment.push_str(FILLER_SECTION);
        if copy % (copies / 4) == 0 {
            comment.push_str(COMMANDS);
        }
    }
    comment
}

/// A stress case: every line a command, good, bad or mistyped.
const DENSE_SECTION: &str = "\
/release include #12 #13
/signoff prod
/qa blocker checkout fails on Safari 17
/relase status
/rotation swap @alice @bob 2026-07
/hotfix
/shrug
";

/// A worst case for the code-span check: one long paragraph whose lines all start with `/`,
/// with backticks that open and close across lines.
const ONE_PARAGRAPH_SECTION: &str =
    "/hotfix the `sync\n/release` fix\n/stats with ``two\nticks`` and ` one\n/qa blocker `x` y\n";

/// About `target_len` bytes of whole copies of `section`.
fn repeated(section: &str, target_len: usize) -> String {
    section.repeat(target_len.div_ceil(section.len()))
}

/// Builds a comment of about the given number of bytes.
type CommentOfSize = fn(usize) -> String;

fn bench_parse(criterion: &mut Criterion) {
    let shapes: [(&str, CommentOfSize); 3] = [
        ("mixed", mixed_comment),
        ("every_line_a_command", |len| repeated(DENSE_SECTION, len)),
        ("one_paragraph", |len| repeated(ONE_PARAGRAPH_SECTION, len)),
    ];
    for (name, make_comment) in shapes {
        let mut group = criterion.benchmark_group(format!("parse/{name}"));
        for kib in [16, 64, 256] {
            let body = make_comment(kib * 1024);
            assert!(!parse(&body).is_empty(), "the bench comment holds commands");
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_with_input(
                BenchmarkId::from_parameter(format!("{kib}KiB")),
                &body,
                |bencher, body| bencher.iter(|| parse(black_box(body))),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
