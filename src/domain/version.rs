//! Versions and tags: the last release from the repository's tags, and the next one from the
//! bumps the merged pull requests ask for. Pure.

use semver::{Prerelease, Version};

use crate::config::repo::{Bump, Versioning};

/// A release tag and the version it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedVersion {
    pub tag: String,
    pub sha: String,
    pub version: Version,
}

/// The version a tag names under `prefix`, if it is a release (no pre-release part) tag.
/// `v1.2.3` with prefix `v` → 1.2.3; `1.2.3` with an empty prefix → 1.2.3; `v1.2.3-rc.1` → None.
pub fn version_of_tag(tag: &str, prefix: &str) -> Option<Version> {
    let rest = tag.strip_prefix(prefix)?;
    let version = Version::parse(rest).ok()?;
    version.pre.is_empty().then_some(version)
}

/// The highest release version among `tags` (`(name, sha)`), whatever order they come in.
pub fn latest_release<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    prefix: &str,
) -> Option<TaggedVersion> {
    tags.into_iter()
        .filter_map(|(tag, sha)| {
            version_of_tag(tag, prefix).map(|version| TaggedVersion {
                tag: tag.to_string(),
                sha: sha.to_string(),
                version,
            })
        })
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// `version` bumped by `bump` (build metadata dropped, lower parts reset).
pub fn bumped(version: &Version, bump: Bump) -> Version {
    let mut next = match bump {
        Bump::Major => Version::new(version.major + 1, 0, 0),
        Bump::Minor => Version::new(version.major, version.minor + 1, 0),
        Bump::Patch => Version::new(version.major, version.minor, version.patch + 1),
    };
    next.pre = Prerelease::EMPTY;
    next
}

/// The bump a set of pull requests asks for: the largest bump any of their labels selects, or
/// the configured default when none carries a bump label.
pub fn bump_for<'a, I, L>(prs_labels: I, versioning: &Versioning) -> Bump
where
    I: IntoIterator<Item = L>,
    L: IntoIterator<Item = &'a str>,
{
    prs_labels
        .into_iter()
        .flat_map(|labels| labels.into_iter())
        .filter_map(|label| versioning.bump_labels.bump_for_label(label))
        .max()
        .unwrap_or(versioning.default_bump)
}

/// The next version after `last` (0.0.0 when the repository has never been released).
pub fn next_version(last: Option<&Version>, bump: Bump) -> Version {
    bumped(last.unwrap_or(&Version::new(0, 0, 0)), bump)
}

/// The tag of `version` under the configured prefix.
pub fn tag_of(version: &Version, versioning: &Versioning) -> String {
    format!("{}{version}", versioning.tag_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn tags_are_read_under_their_prefix() {
        assert_eq!(version_of_tag("v1.2.3", "v"), Some(v("1.2.3")));
        assert_eq!(version_of_tag("1.2.3", ""), Some(v("1.2.3")));
        assert_eq!(version_of_tag("1.2.3", "v"), None);
        assert_eq!(version_of_tag("v1.2.3-rc.1", "v"), None);
        assert_eq!(version_of_tag("release-7", "v"), None);
        assert_eq!(version_of_tag("v1.2", "v"), None);
    }

    #[test]
    fn the_latest_release_is_the_highest_version_not_the_newest_tag() {
        let tags = [
            ("v1.10.0", "a"),
            ("v1.9.0", "b"),
            ("v2.0.0-rc.1", "c"),
            ("nightly", "d"),
        ];
        let latest = latest_release(tags, "v").unwrap();
        assert_eq!((latest.tag.as_str(), latest.sha.as_str()), ("v1.10.0", "a"));
        assert_eq!(latest_release([("x", "y")], "v"), None);
    }

    #[test]
    fn bumps_reset_the_lower_parts() {
        assert_eq!(bumped(&v("1.4.2"), Bump::Major), v("2.0.0"));
        assert_eq!(bumped(&v("1.4.2"), Bump::Minor), v("1.5.0"));
        assert_eq!(bumped(&v("1.4.2"), Bump::Patch), v("1.4.3"));
        assert_eq!(bumped(&v("1.4.2+build.5"), Bump::Patch), v("1.4.3"));
        assert_eq!(next_version(None, Bump::Minor), v("0.1.0"));
        assert_eq!(next_version(None, Bump::Major), v("1.0.0"));
    }

    #[test]
    fn the_largest_bump_wins_and_labels_are_case_insensitive() {
        let versioning = Versioning::default();
        let prs: Vec<Vec<&str>> = vec![vec!["bug"], vec!["Feature", "docs"], vec![]];
        assert_eq!(bump_for(prs, &versioning), Bump::Minor);
        let prs: Vec<Vec<&str>> = vec![vec!["bug"], vec!["breaking"]];
        assert_eq!(bump_for(prs, &versioning), Bump::Major);
        let prs: Vec<Vec<&str>> = vec![vec!["bug"]];
        assert_eq!(bump_for(prs, &versioning), Bump::Patch);
        let prs: Vec<Vec<&str>> = vec![vec!["docs"]];
        assert_eq!(bump_for(prs, &versioning), versioning.default_bump);
        assert_eq!(tag_of(&v("1.2.0"), &versioning), "v1.2.0");
    }
}
