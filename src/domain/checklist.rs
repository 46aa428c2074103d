//! The checklist relman posts on every merged pull request, and reading back what the author
//! ticked (a ticked "Requires a config change" and the text under it go into the deployment
//! request). Pure.

use chrono::NaiveDate;

/// Where a merged pull request will ship.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipsIn {
    /// The release day, None when the calendar has none ahead.
    pub date: Option<NaiveDate>,
    /// The release day it reaches production on, after soaking on staging.
    pub production: Option<NaiveDate>,
    /// The version the release is expected to get, with what is merged so far.
    pub version: Option<String>,
    pub manager: Option<String>,
    /// The tracking issue, once it is open.
    pub tracking_issue: Option<u64>,
}

/// The checklist comment's body (without relman's marker).
pub fn render_checklist(ships: &ShipsIn, items: &[String]) -> String {
    let mut out = String::from("Thanks, merged. ");
    match (&ships.version, ships.date) {
        (Some(v), Some(d)) => out.push_str(&format!(
            "This change ships in **{v}** on **{}**",
            d.format("%a %-d %b %Y")
        )),
        (None, Some(d)) => out.push_str(&format!(
            "This change ships in the release on **{}**",
            d.format("%a %-d %b %Y")
        )),
        (_, None) => out.push_str(
            "No release day is scheduled ahead, so this change waits for the next release",
        ),
    }
    if let Some(m) = &ships.manager {
        out.push_str(&format!(", release manager @{m}"));
    }
    if let Some(n) = ships.tracking_issue {
        out.push_str(&format!(" (tracked in #{n})"));
    }
    out.push_str(".\n");
    if let (Some(_), Some(p)) = (ships.date, ships.production) {
        out.push_str(&format!(
            "\nThat day it goes to staging; after soaking there it goes to production on **{}**.\n",
            p.format("%a %-d %b %Y")
        ));
    }
    if ships.version.is_some() {
        out.push_str(
            "\nThe version is what the changes merged so far ask for; a PR labelled for a larger bump can still raise it.\n",
        );
    }
    if !items.is_empty() {
        out.push_str("\nBefore this reaches production, tick what applies (and describe it under the item):\n\n");
        for item in items {
            out.push_str(&format!("- [ ] {item}\n"));
        }
    }
    out
}

/// The checklist `body` promising `version` instead of the version it names, or None when it
/// names that one already (or none).
pub fn repromise(body: &str, version: &str) -> Option<String> {
    const START: &str = "This change ships in **";
    let at = body.find(START)? + START.len();
    let end = at + body[at..].find("**")?;
    (body[at..end] != *version).then(|| format!("{}{version}{}", &body[..at], &body[end..]))
}

/// One item of a checklist as the author left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticked {
    pub item: String,
    pub checked: bool,
    /// What the author wrote under the item, up to the next item; trimmed.
    pub notes: String,
}

/// Reads the configured `items` back from a checklist comment. Items are matched by their text
/// (the author may have ticked `[x]` or `[X]`); items missing from the comment are reported
/// unticked.
pub fn read_checklist(body: &str, items: &[String]) -> Vec<Ticked> {
    let lines: Vec<&str> = body.lines().collect();
    let parsed: Vec<Option<(bool, &str)>> = lines.iter().map(|l| checkbox(l)).collect();
    items
        .iter()
        .map(|item| {
            let found = parsed
                .iter()
                .position(|p| p.is_some_and(|(_, text)| text.trim() == item.trim()));
            match found {
                Some(i) => {
                    let checked = parsed[i].is_some_and(|(c, _)| c);
                    let notes: Vec<&str> = lines[i + 1..]
                        .iter()
                        .zip(&parsed[i + 1..])
                        .take_while(|(_, p)| p.is_none())
                        .map(|(l, _)| l.trim())
                        .collect();
                    Ticked {
                        item: item.clone(),
                        checked,
                        notes: notes.join("\n").trim().to_string(),
                    }
                }
                None => Ticked {
                    item: item.clone(),
                    checked: false,
                    notes: String::new(),
                },
            }
        })
        .collect()
}

/// `- [ ] text` / `* [x] text` → (checked, text).
fn checkbox(line: &str) -> Option<(bool, &str)> {
    let rest = line.trim_start();
    let rest = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix("* "))?;
    let (checked, text) = if let Some(t) = rest.strip_prefix("[ ]") {
        (false, t)
    } else if let Some(t) = rest
        .strip_prefix("[x]")
        .or_else(|| rest.strip_prefix("[X]"))
    {
        (true, t)
    } else {
        return None;
    };
    Some((checked, text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<String> {
        vec![
            "Requires a config change (describe it below)".into(),
            "Needs QA attention".into(),
        ]
    }

    #[test]
    fn the_checklist_says_where_the_change_ships() {
        let body = render_checklist(
            &ShipsIn {
                date: NaiveDate::from_ymd_opt(2026, 12, 8),
                production: NaiveDate::from_ymd_opt(2026, 12, 22),
                version: Some("v1.5.0".into()),
                manager: Some("alice".into()),
                tracking_issue: Some(12),
            },
            &items(),
        );
        assert!(body.starts_with(
            "Thanks, merged. This change ships in **v1.5.0** on **Tue 8 Dec 2026**, release manager @alice (tracked in #12).\n\nThat day it goes to staging; after soaking there it goes to production on **Tue 22 Dec 2026**.\n"
        ));
        assert!(body.ends_with(
            "- [ ] Requires a config change (describe it below)\n- [ ] Needs QA attention\n"
        ));
    }

    #[test]
    fn a_new_promise_changes_the_version_and_keeps_the_ticks() {
        let body = "<!-- relman:checklist:7 -->\nThanks, merged. This change ships in **v1.5.1** on **Tue 22 Dec 2026**.\n\n- [x] Requires a config change\n  Set X.\n";
        assert_eq!(
            repromise(body, "v1.5.2").as_deref(),
            Some(
                "<!-- relman:checklist:7 -->\nThanks, merged. This change ships in **v1.5.2** on **Tue 22 Dec 2026**.\n\n- [x] Requires a config change\n  Set X.\n"
            )
        );
        assert_eq!(repromise(body, "v1.5.1"), None);
        assert_eq!(repromise("no promise here", "v1.5.1"), None);
    }

    #[test]
    fn ticked_items_and_their_notes_are_read_back() {
        let body = render_checklist(
            &ShipsIn {
                date: None,
                production: None,
                version: None,
                manager: None,
                tracking_issue: None,
            },
            &items(),
        )
        .replace(
            "- [ ] Requires a config change (describe it below)",
            "- [x] Requires a config change (describe it below)\n  Set `EXPORT_BUCKET=exports-prod`\n  and restart the workers.",
        );
        let read = read_checklist(&body, &items());
        assert!(read[0].checked);
        assert_eq!(
            read[0].notes,
            "Set `EXPORT_BUCKET=exports-prod`\nand restart the workers."
        );
        assert!(!read[1].checked);
        assert_eq!(read[1].notes, "");
        // An item the author deleted reads as unticked.
        let read = read_checklist("- [X] Needs QA attention", &items());
        assert_eq!((read[0].checked, read[1].checked), (false, true));
    }
}
