//! "Did you mean" for mistyped words.
//!
//! The rules decide between two outcomes that both matter: a word close to a command is answered
//! with the nearest command, and a word far from every command (a path like `/usr/bin/env`,
//! `/shrug`, another bot's `/cc`) is left alone because it was not meant for relman.

use strsim::osa_distance;

/// Typing mistakes (insertions, deletions, substitutions, transpositions of neighbours) tolerated
/// in a word of more than four letters. The distance is the optimal-string-alignment variant of
/// Damerau-Levenshtein: for typos it is the same, and it needs no hash map, which matters when a
/// long comment is full of near-misses. Shorter words tolerate one: with two, `/cc` would be "close" to `/qa`.
const LONG_WORD_TYPOS: usize = 2;
const SHORT_WORD_TYPOS: usize = 1;
const SHORT_WORD_MAX_LEN: usize = 4;

/// An abbreviation (`/rel` for `/release`) needs at least this many letters to count.
const MIN_ABBREVIATION_LEN: usize = 3;

/// The shortest a candidate can be for a longer word to count as an extension of it
/// (`/released` for `/release`, `/qa okay` for `/qa ok`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Extensions {
    /// Command words: only candidates of four letters or more, so `/qatest` is not taken for
    /// `/qa`.
    LongCandidatesOnly,
    /// Subcommand and argument words, where the command word already shows intent.
    Any,
}

/// The value of the candidate nearest to `given`, if any is near enough.
///
/// Comparison ignores ASCII case and reads `-` and `_` as a space, so `/release-status` is
/// compared with the form `release status`. Ties go to the earliest candidate, so callers list
/// candidates in the order they prefer.
pub(crate) fn nearest<K: AsRef<str>, T>(
    given: &str,
    candidates: impl IntoIterator<Item = (K, T)>,
    extensions: Extensions,
) -> Option<T> {
    let given: String = given
        .chars()
        .map(|c| match c {
            '-' | '_' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let given_chars = given.chars().count();
    if given_chars < 2 {
        return None;
    }
    let min_extended_len = match extensions {
        Extensions::LongCandidatesOnly => SHORT_WORD_MAX_LEN,
        Extensions::Any => 1,
    };
    let mut best: Option<(usize, T)> = None;
    for (key, value) in candidates {
        let key = key.as_ref();
        let budget = if key.len() <= SHORT_WORD_MAX_LEN {
            SHORT_WORD_TYPOS
        } else {
            LONG_WORD_TYPOS
        };
        // The distance is at least the difference in length; skipping the quadratic distance
        // for words that cannot be close keeps a 60 KiB "/aaaa…" line cheap.
        let typo_distance = if given_chars.abs_diff(key.len()) <= budget {
            Some(osa_distance(&given, key)).filter(|distance| *distance <= budget)
        } else {
            None
        };
        let abbreviation = given.len() >= MIN_ABBREVIATION_LEN && key.starts_with(given.as_str());
        let extension = key.len() >= min_extended_len && given.starts_with(key);
        // Any typo within budget ranks above an abbreviation or an extension.
        let score = match typo_distance {
            Some(distance) => distance,
            None if abbreviation || extension => LONG_WORD_TYPOS + 1,
            None => continue,
        };
        if best
            .as_ref()
            .is_none_or(|(best_score, _)| score < *best_score)
        {
            best = Some((score, value));
        }
    }
    best.map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: [(&str, &str); 4] = [
        ("release", "release"),
        ("signoff", "signoff"),
        ("qa", "qa"),
        ("stats", "stats"),
    ];

    fn near(given: &str) -> Option<&'static str> {
        nearest(given, WORDS, Extensions::LongCandidatesOnly)
    }

    #[test]
    fn typos_within_the_budget_are_suggested() {
        assert_eq!(near("relase"), Some("release"));
        assert_eq!(near("rleease"), Some("release"));
        assert_eq!(near("RELAESE"), Some("release"));
        assert_eq!(near("sigonf"), Some("signoff"));
        assert_eq!(near("aq"), Some("qa"));
        assert_eq!(near("stat"), Some("stats"));
    }

    #[test]
    fn short_words_tolerate_one_typo_only() {
        assert_eq!(near("cc"), None);
        assert_eq!(near("me"), None);
    }

    #[test]
    fn abbreviations_and_extensions_are_suggested() {
        assert_eq!(near("rel"), Some("release"));
        assert_eq!(near("releasenow"), Some("release"));
        assert_eq!(near("qatest"), None);
        assert_eq!(
            nearest("okay", [("ok", 1), ("clear", 2)], Extensions::Any),
            Some(1)
        );
    }

    #[test]
    fn far_and_tiny_words_are_not_suggested() {
        assert_eq!(near("shrug"), None);
        assert_eq!(near("s"), None);
        assert_eq!(near("re"), None);
        assert_eq!(near(&"a".repeat(10_000)), None);
    }

    #[test]
    fn a_closer_typo_beats_an_earlier_candidate() {
        assert_eq!(
            nearest("rotatio", [("rotate", 1), ("rotation", 2)], Extensions::Any),
            Some(2)
        );
    }
}
