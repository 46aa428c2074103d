//! The cherry-pick branch builder of expedited releases, on the Git Data API: `hotfix/vX.Y.Z`
//! from the base tag with each pick applied once (what to change per pick is decided by the pure
//! [`plan_pick`]); stops at the first conflict with the picks before it on the branch.

use std::collections::HashSet;

use crate::domain::expedited::{
    Files, Pick, PickPlan, TreeFile, cherry_picked_from, cherry_picked_trailer, plan_pick,
};
use crate::github::{GitHubError, GitHubPort, GitTree, NewTreeEntry, RepoName};
use crate::handlers::error::HandlerError;

/// A flattened tree, or why it cannot be used.
fn files_of(tree: GitTree) -> Result<Files, HandlerError> {
    if tree.truncated {
        return Err(HandlerError::Other(format!(
            "GitHub truncated the tree {}; relman cannot cherry-pick in a repository this large",
            tree.sha
        )));
    }
    Ok(tree
        .tree
        .into_iter()
        .filter(|e| e.kind != "tree")
        .map(|e| {
            (
                e.path,
                TreeFile {
                    mode: e.mode,
                    sha: e.sha,
                },
            )
        })
        .collect())
}

/// What building the branch came to.
pub enum Built {
    /// The branch head with every pick on it.
    Ready(String),
    /// Stopped at a pick that conflicts; the branch has the picks before it.
    Conflict {
        head: String,
        pick: Pick,
        paths: Vec<String>,
    },
}

/// Builds `branch` from `base_sha` with the picks, each once: a pick whose merge commit the
/// branch already names in a `cherry picked from commit` line (relman's, or a person's who
/// resolved a conflict by hand) is not applied again.
pub async fn build_branch(
    github: &dyn GitHubPort,
    repo: &RepoName,
    branch: &str,
    base_sha: &str,
    picks: &[Pick],
) -> Result<Built, HandlerError> {
    let head_ref = format!("heads/{branch}");
    let start = match github.get_ref(repo, &head_ref).await? {
        Some(r) => r.sha,
        None => {
            match github
                .create_ref(repo, &format!("refs/{head_ref}"), base_sha)
                .await
            {
                Ok(()) => base_sha.to_string(),
                // Created meanwhile by a retry of this command: carry on from it.
                Err(GitHubError::Rejected { status: 422, .. }) => github
                    .get_ref(repo, &head_ref)
                    .await?
                    .map(|r| r.sha)
                    .ok_or_else(|| {
                        HandlerError::Other(format!("cannot create the branch {branch}"))
                    })?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let applied: HashSet<String> = if start == base_sha {
        HashSet::new()
    } else {
        github
            .compare(repo, base_sha, &start)
            .await?
            .commits
            .iter()
            .flat_map(|c| cherry_picked_from(&c.message))
            .collect()
    };
    let todo: Vec<&Pick> = picks
        .iter()
        .filter(|p| !applied.contains(&p.merge_sha))
        .collect();
    if todo.is_empty() {
        return Ok(Built::Ready(start));
    }
    // A tree is read by its commit (GitHub resolves a commit to its tree), so a pick costs its
    // commit, its tree and its parent's tree.
    let head_tree = github.get_tree(repo, &start, true).await?;
    let mut tree_sha = head_tree.sha.clone();
    let mut head_files = files_of(head_tree)?;
    let mut head = start.clone();
    let mut outcome = None;
    for pick in todo {
        let Some(commit) = github.get_git_commit(repo, &pick.merge_sha).await? else {
            return Err(HandlerError::Other(format!(
                "the merge commit {} of #{} is not in the repository",
                pick.merge_sha, pick.number
            )));
        };
        let Some(parent) = commit.parents.first() else {
            return Err(HandlerError::Other(format!(
                "the merge commit {} of #{} has no parent",
                pick.merge_sha, pick.number
            )));
        };
        let picked = files_of(github.get_tree(repo, &commit.tree_sha, true).await?)?;
        let before = files_of(github.get_tree(repo, parent, true).await?)?;
        let changes = match plan_pick(&before, &picked, &head_files) {
            PickPlan::AlreadyApplied => continue,
            PickPlan::Conflict(paths) => {
                outcome = Some((pick.clone(), paths));
                break;
            }
            PickPlan::Apply(changes) => changes,
        };
        let entries: Vec<NewTreeEntry> = changes
            .iter()
            .map(|(path, file)| NewTreeEntry {
                path: path.clone(),
                mode: file
                    .as_ref()
                    .map_or_else(|| "100644".to_string(), |f| f.mode.clone()),
                kind: if file.as_ref().is_some_and(|f| f.mode == "160000") {
                    "commit".into()
                } else {
                    "blob".into()
                },
                sha: file.as_ref().map(|f| f.sha.clone()),
            })
            .collect();
        tree_sha = github.create_tree(repo, &tree_sha, &entries).await?;
        let message = format!(
            "{} (#{})\n\n{}\n",
            pick.title.replace(['\r', '\n'], " "),
            pick.number,
            cherry_picked_trailer(&pick.merge_sha)
        );
        head = github
            .create_git_commit(repo, &message, &tree_sha, std::slice::from_ref(&head))
            .await?
            .sha;
        for (path, file) in changes {
            match file {
                Some(f) => head_files.insert(path, f),
                None => head_files.remove(&path),
            };
        }
    }
    if head != start {
        github.update_ref(repo, &head_ref, &head, false).await?;
    }
    Ok(match outcome {
        Some((pick, paths)) => Built::Conflict { head, pick, paths },
        None => Built::Ready(head),
    })
}
