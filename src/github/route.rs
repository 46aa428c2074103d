//! Route templates for metrics and logs: `/repos/acme/web/issues/12` → `/repos/{owner}/{repo}/issues/{n}`.
//!
//! Metrics are labelled by template so their cardinality stays bounded whatever repositories,
//! issues or files relman touches.

/// Segments after which the rest of the path is one free-form value (a file path, a ref, a tag).
const REST_IS_VALUE: &[&str] = &[
    "contents",
    "ref",
    "refs",
    "matching-refs",
    "tags",
    "compare",
];
/// Segments followed by one name-like value (a user, a label, a team, a ref).
const NEXT_IS_VALUE: &[(&str, &str)] = &[
    ("collaborators", "{user}"),
    ("labels", "{name}"),
    ("teams", "{team}"),
    ("memberships", "{user}"),
    ("commits", "{ref}"),
    ("trees", "{sha}"),
    ("orgs", "{org}"),
    ("installations", "{id}"),
];

pub fn template(path_and_query: &str) -> String {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    let mut i = 0;
    // A GitHub Enterprise base path (`/api/v3`) is kept as it is.
    while i < segments.len() {
        let seg = segments[i];
        if seg == "repos" {
            out.push("repos".into());
            for placeholder in ["{owner}", "{repo}"] {
                i += 1;
                if i < segments.len() {
                    out.push(placeholder.into());
                }
            }
            i += 1;
            continue;
        }
        out.push(if seg.bytes().all(|b| b.is_ascii_digit()) {
            "{n}".into()
        } else {
            seg.into()
        });
        let after_releases = i > 0 && segments[i - 1] == "releases";
        if seg == "tags" && after_releases {
            if i + 1 < segments.len() {
                out.push("{tag}".into());
            }
            break;
        }
        if REST_IS_VALUE.contains(&seg) && seg != "tags" {
            if i + 1 < segments.len() {
                out.push(format!("{{{seg}}}"));
            }
            break;
        }
        if let Some((_, name)) = NEXT_IS_VALUE.iter().find(|(k, _)| *k == seg)
            && i + 1 < segments.len()
            && !segments[i + 1].bytes().all(|b| b.is_ascii_digit())
        {
            out.push((*name).into());
            i += 2;
            continue;
        }
        i += 1;
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn templates_hide_names_numbers_and_paths() {
        let cases = [
            (
                "/repos/acme/web/issues/12",
                "/repos/{owner}/{repo}/issues/{n}",
            ),
            (
                "/repos/acme/web/issues?state=open&page=2",
                "/repos/{owner}/{repo}/issues",
            ),
            (
                "/repos/acme/web/issues/comments/99/reactions",
                "/repos/{owner}/{repo}/issues/comments/{n}/reactions",
            ),
            (
                "/repos/acme/web/contents/.github/relman.yml?ref=main",
                "/repos/{owner}/{repo}/contents/{contents}",
            ),
            (
                "/repos/acme/web/releases/tags/v1.2.0",
                "/repos/{owner}/{repo}/releases/tags/{tag}",
            ),
            ("/repos/acme/web/tags", "/repos/{owner}/{repo}/tags"),
            (
                "/repos/acme/web/git/ref/tags/v1.0.0",
                "/repos/{owner}/{repo}/git/ref/{ref}",
            ),
            (
                "/repos/acme/web/compare/v1.0.0...main",
                "/repos/{owner}/{repo}/compare/{compare}",
            ),
            (
                "/repos/acme/web/commits/abc123/check-runs",
                "/repos/{owner}/{repo}/commits/{ref}/check-runs",
            ),
            (
                "/repos/acme/web/collaborators/alice/permission",
                "/repos/{owner}/{repo}/collaborators/{user}/permission",
            ),
            (
                "/repos/acme/web/issues/7/labels/needs%20qa",
                "/repos/{owner}/{repo}/issues/{n}/labels/{name}",
            ),
            (
                "/orgs/acme/teams/qa/memberships/quinn",
                "/orgs/{org}/teams/{team}/memberships/{user}",
            ),
            (
                "/app/installations/77/access_tokens",
                "/app/installations/{n}/access_tokens",
            ),
            (
                "/api/v3/repos/acme/web/pulls/3",
                "/api/v3/repos/{owner}/{repo}/pulls/{n}",
            ),
            (
                "/repos/acme/web/actions/runs/555/deployment_protection_rule",
                "/repos/{owner}/{repo}/actions/runs/{n}/deployment_protection_rule",
            ),
            (
                "/repos/acme/web/git/trees/9fceb02d0ae598e95dc970b74767f19372d61af8?recursive=1",
                "/repos/{owner}/{repo}/git/trees/{sha}",
            ),
            (
                "/repos/acme/web/git/commits/9fceb02d0ae598e95dc970b74767f19372d61af8",
                "/repos/{owner}/{repo}/git/commits/{ref}",
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(template(path), expected, "{path}");
        }
    }
}
