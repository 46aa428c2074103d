//! One spec per command: its usage, what it does, examples and who may run it.
//!
//! The parser takes its command words, subcommand words and "did you mean" candidates from
//! [`SPECS`], and `/help` and the README are rendered from it, so the three cannot drift apart
//! (the tests parse every example and check it lands on its own spec).

use std::fmt::Write as _;
use std::sync::LazyLock;

use crate::command::Command;
use crate::markdown::escape_table_cell;

/// Who may run a command. relman resolves these against the collaborator-permission API and the
/// repository configuration; this crate only declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    Anyone,
    /// Write (or maintain/admin) permission on the repository.
    Write,
    /// Admin permission on the repository.
    Admin,
    /// The release manager of the current rotation period.
    ReleaseManager,
    ReleaseManagerOrAdmin,
    /// A member of the configured QA team, or the release manager.
    QaOrReleaseManager,
}

impl Permission {
    /// Who may run the command, as a phrase for help text and permission-denied replies.
    pub fn describe(&self) -> &'static str {
        match self {
            Permission::Anyone => "anyone",
            Permission::Write => "anyone with write access",
            Permission::Admin => "a repository admin",
            Permission::ReleaseManager => "the release manager of this period",
            Permission::ReleaseManagerOrAdmin => {
                "the release manager of this period or a repository admin"
            }
            Permission::QaOrReleaseManager => "a QA member or the release manager of this period",
        }
    }
}

/// The declaration of one command form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The command words without the slash, e.g. `"release status"`.
    pub name: &'static str,
    /// How to write it, e.g. `"/rotation swap @a @b <period>"`.
    pub usage: &'static str,
    /// One sentence on what it does.
    pub summary: &'static str,
    /// Complete comment lines that run it; each one parses to this spec's command.
    pub examples: &'static [&'static str],
    pub permission: Permission,
}

impl CommandSpec {
    /// The first command word: `"release"` for `release status`.
    pub fn root(&self) -> &'static str {
        self.name
            .split_once(' ')
            .map_or(self.name, |(root, _)| root)
    }

    /// The second command word, if the form has one: `Some("status")` for `release status`.
    pub fn subcommand(&self) -> Option<&'static str> {
        self.name.split_once(' ').map(|(_, subcommand)| subcommand)
    }
}

// Indices into SPECS, so that `Command::spec` is a plain array access and a test can check
// that every variant lands on the spec with its own name.
pub(crate) const RELEASE: usize = 0;
pub(crate) const RELEASE_STATUS: usize = 1;
pub(crate) const RELEASE_INCLUDE: usize = 2;
pub(crate) const RELEASE_HEALTHY: usize = 3;
pub(crate) const SIGNOFF: usize = 4;
pub(crate) const QA_OK: usize = 5;
pub(crate) const QA_BLOCKER: usize = 6;
pub(crate) const QA_CLEAR: usize = 7;
pub(crate) const DEPLOY_PRODUCTION: usize = 8;
pub(crate) const HOTFIX: usize = 9;
pub(crate) const WARMFIX: usize = 10;
pub(crate) const SKIP: usize = 11;
pub(crate) const ROTATION: usize = 12;
pub(crate) const ROTATION_SWAP: usize = 13;
pub(crate) const STATS: usize = 14;
pub(crate) const HELP: usize = 15;

/// Every command form, in the order `/help` lists them.
pub(crate) static SPECS: [CommandSpec; 16] = [
    CommandSpec {
        name: "release",
        usage: "/release",
        summary: "Cut the release of this tracking issue: check the requirements, then tag it \
                  and create the GitHub release (which deploys to staging).",
        examples: &["/release"],
        permission: Permission::ReleaseManagerOrAdmin,
    },
    CommandSpec {
        name: "release status",
        usage: "/release status",
        summary: "Refresh this tracking issue and reply with the state of every requirement.",
        examples: &["/release status"],
        permission: Permission::Write,
    },
    CommandSpec {
        name: "release include",
        usage: "/release include #12 #13",
        summary: "On a hotfix or warmfix tracking issue: the pull requests to cherry-pick.",
        examples: &["/release include #12 #13"],
        permission: Permission::ReleaseManager,
    },
    CommandSpec {
        name: "release healthy",
        usage: "/release healthy",
        summary: "Production was watched after the deployment and is healthy; closes this \
                  tracking issue.",
        examples: &["/release healthy"],
        permission: Permission::ReleaseManager,
    },
    CommandSpec {
        name: "signoff",
        usage: "/signoff [staging|production]",
        summary: "Sign off that it is safe to release: staging for the release cut here, production for the version that soaked on staging; both when none is named.",
        examples: &["/signoff", "/signoff staging", "/signoff production"],
        permission: Permission::ReleaseManager,
    },
    CommandSpec {
        name: "qa ok",
        usage: "/qa ok",
        summary: "QA tested the version going to production on staging and found no blocker.",
        examples: &["/qa ok"],
        permission: Permission::QaOrReleaseManager,
    },
    CommandSpec {
        name: "qa blocker",
        usage: "/qa blocker <text>",
        summary: "QA found a blocker in the version going to production; it waits until QA clears it.",
        examples: &["/qa blocker checkout fails on Safari 17"],
        permission: Permission::QaOrReleaseManager,
    },
    CommandSpec {
        name: "qa clear",
        usage: "/qa clear",
        summary: "Clear the QA blockers of the version going to production.",
        examples: &["/qa clear"],
        permission: Permission::QaOrReleaseManager,
    },
    CommandSpec {
        name: "deploy production",
        usage: "/deploy production [now]",
        summary: "Request production for the version that soaked on staging; `now` also for one that has not soaked a whole cycle yet.",
        examples: &["/deploy production", "/deploy production now"],
        permission: Permission::ReleaseManager,
    },
    CommandSpec {
        name: "hotfix",
        usage: "/hotfix <why>",
        summary: "Open a tracking issue for a hotfix: an expedited release to production.",
        examples: &["/hotfix sync fails for accounts created before 2020"],
        permission: Permission::Write,
    },
    CommandSpec {
        name: "warmfix",
        usage: "/warmfix <why>",
        summary: "Open a tracking issue for a warmfix: an expedited fix to staging that replaces \
                  the planned staging release.",
        examples: &["/warmfix staging login loop after the last release"],
        permission: Permission::Write,
    },
    CommandSpec {
        name: "skip",
        usage: "/skip <why>",
        summary: "Skip this release cycle.",
        examples: &["/skip release day is a company holiday"],
        permission: Permission::ReleaseManager,
    },
    CommandSpec {
        name: "rotation",
        usage: "/rotation",
        summary: "Show the release-manager rotation for the coming periods.",
        examples: &["/rotation"],
        permission: Permission::Write,
    },
    CommandSpec {
        name: "rotation swap",
        usage: "/rotation swap @a @b <period>",
        summary: "Swap release-manager duty between two people for a period (YYYY-MM, or a \
                  release date YYYY-MM-DD when the rotation turns every release).",
        examples: &["/rotation swap @alice @bob 2026-07"],
        permission: Permission::Admin,
    },
    CommandSpec {
        name: "stats",
        usage: "/stats",
        summary: "Releases, warmfixes, hotfixes and the short-circuit rate per month.",
        examples: &["/stats"],
        permission: Permission::Anyone,
    },
    CommandSpec {
        name: "help",
        usage: "/help",
        summary: "List the commands.",
        examples: &["/help"],
        permission: Permission::Anyone,
    },
];

/// Every command form, in the order `/help` lists them.
pub fn specs() -> &'static [CommandSpec] {
    &SPECS
}

impl Command {
    /// The spec of this command's form.
    pub fn spec(&self) -> &'static CommandSpec {
        let index = match self {
            Command::Release => RELEASE,
            Command::ReleaseStatus => RELEASE_STATUS,
            Command::ReleaseInclude { .. } => RELEASE_INCLUDE,
            Command::ReleaseHealthy => RELEASE_HEALTHY,
            Command::Signoff { .. } => SIGNOFF,
            Command::QaOk => QA_OK,
            Command::QaBlocker { .. } => QA_BLOCKER,
            Command::QaClear => QA_CLEAR,
            Command::DeployProduction { .. } => DEPLOY_PRODUCTION,
            Command::Hotfix { .. } => HOTFIX,
            Command::Warmfix { .. } => WARMFIX,
            Command::Skip { .. } => SKIP,
            Command::Rotation => ROTATION,
            Command::RotationSwap { .. } => ROTATION_SWAP,
            Command::Stats => STATS,
            Command::Help => HELP,
        };
        &SPECS[index]
    }

    /// The command words without the slash, e.g. `"release status"`.
    pub fn name(&self) -> &'static str {
        self.spec().name
    }
}

/// The distinct first command words, in spec order.
pub(crate) fn command_words() -> &'static [&'static str] {
    // Derived once rather than per unknown `/word`: a comment can hold many of them.
    static COMMAND_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut words: Vec<&'static str> = Vec::new();
        for spec in &SPECS {
            if !words.contains(&spec.root()) {
                words.push(spec.root());
            }
        }
        words
    });
    &COMMAND_WORDS
}

/// The specs that start with `root`, in spec order.
pub(crate) fn forms_of(root: &str) -> impl Iterator<Item = &'static CommandSpec> {
    SPECS.iter().filter(move |spec| spec.root() == root)
}

/// The markdown table of every command: usage, who may run it, what it does.
///
/// The README embeds exactly this text; `/help` starts with it.
pub fn readme_table() -> String {
    let mut table = String::from("| command | who may use it | what it does |\n|---|---|---|\n");
    for spec in &SPECS {
        // Writing into a String cannot fail.
        let _ = writeln!(
            table,
            "| `{}` | {} | {} |",
            escape_table_cell(spec.usage),
            escape_table_cell(spec.permission.describe()),
            escape_table_cell(spec.summary),
        );
    }
    table
}

/// The reply to `/help`: the command table, then one example per line in a code block.
///
/// Everything that looks like a command is inside a table cell or a code block, so parsing the
/// help text itself yields no command.
pub fn help_markdown() -> String {
    let mut help = String::from(
        "### relman commands\n\n\
         Comment a command at the start of a line, one command per line. Commands inside code \
         blocks, inline code, quotes and HTML comments are ignored.\n\n",
    );
    help.push_str(&readme_table());
    help.push_str("\nExamples:\n\n```text\n");
    for example in SPECS.iter().flat_map(|spec| spec.examples) {
        help.push_str(example);
        help.push('\n');
    }
    help.push_str("```\n");
    help
}
