//! The keys each mapping of `.github/relman.yml` may hold, one list per config type in the order
//! the type declares them (the order "expected one of" hints list them in).
//!
//! The types generate the JSON Schema; the decoder takes its keys from here. The tests below
//! walk that schema at every depth and hold the two together: each list is exactly its type's
//! properties, the decoder reads every key at its place and rejects an unknown key at each
//! mapping, and `Fields::get` asserts it reads no key that is not listed.

use schemars::JsonSchema;

use super::types::*;

/// A config type written as a YAML mapping.
pub(crate) trait Keys: JsonSchema {
    /// Its keys, as the schema names them, in declaration order.
    const KEYS: &'static [&'static str];
}

/// The keys of `T`'s mapping.
pub(crate) fn keys_of<T: Keys>() -> &'static [&'static str] {
    T::KEYS
}

macro_rules! keys {
    ($($type:ty => [$($key:literal),* $(,)?],)*) => {
        $(impl Keys for $type {
            const KEYS: &'static [&'static str] = &[$($key),*];
        })*

        /// Every list, by the type's schema name, for the tests.
        #[cfg(test)]
        fn all_keys() -> Vec<(String, &'static [&'static str])> {
            vec![$((<$type as JsonSchema>::schema_name().into_owned(), <$type as Keys>::KEYS)),*]
        }
    };
}

keys! {
    RepoConfig => [
        "_extends",
        "timezone",
        "schedule",
        "holidays",
        "rotation",
        "versioning",
        "requirements",
        "environments",
        "deployment_request",
        "functional_tests",
        "qa",
        "dashboards",
        "pr_checklist",
        "release",
        "gate",
        "monitoring",
    ],
    Schedule => ["every_weeks", "weekday", "anchor", "tracking_issue_days_before"],
    Holidays => ["dates", "on_holiday", "ics"],
    RotationConfig => ["every", "starts", "members", "overrides"],
    Versioning => ["tag_prefix", "default_bump", "bump_labels", "source"],
    BumpLabels => ["major", "minor", "patch"],
    Requirements => ["staging", "production", "required_checks", "qa_mode"],
    Environments => ["staging", "production"],
    Environment => ["name", "version_url", "soak"],
    DeploymentRequest => ["repo", "labels", "assignees"],
    FunctionalTests => ["repo"],
    Qa => ["members"],
    Dashboard => ["name", "url"],
    ReleaseSettings => ["mode", "version_files", "changelog"],
    VersionPattern => ["path", "pattern"],
    Gate => ["on_violation"],
    Monitoring => ["watch_hours"],
}

#[cfg(test)]
mod tests {
    //! Walks the JSON Schema generated from the types at every depth (properties, `$ref`s,
    //! `anyOf`/`oneOf`/`allOf`, list items, map values) and checks the decoder against it.

    use std::collections::BTreeSet;
    use std::fmt;

    use serde_json::{Value, json};

    use super::super::{ConfigError, json_schema, parse_repo_config};
    use super::all_keys;

    #[test]
    fn each_key_list_is_exactly_its_types_properties() {
        let schema = json_schema();
        let properties = |definition: &Value| -> Option<BTreeSet<String>> {
            Some(
                definition
                    .get("properties")?
                    .as_object()?
                    .keys()
                    .cloned()
                    .collect(),
            )
        };
        let mut mappings: Vec<(String, BTreeSet<String>)> = schema["$defs"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(name, definition)| Some((name.clone(), properties(definition)?)))
            .collect();
        mappings.extend(properties(&schema).map(|keys| ("RepoConfig".to_owned(), keys)));
        mappings.sort();
        let mut lists: Vec<(String, BTreeSet<String>)> = all_keys()
            .into_iter()
            .map(|(name, keys)| (name, keys.iter().map(|key| (*key).to_owned()).collect()))
            .collect();
        lists.sort();
        assert_eq!(
            lists, mappings,
            "decoder key lists (left) against the schema (right)"
        );
        for (name, keys) in all_keys() {
            let unique: BTreeSet<&str> = keys.iter().copied().collect();
            assert_eq!(unique.len(), keys.len(), "`{name}` lists a key twice");
        }
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Step {
        Key(String),
        /// The first item of a list.
        Item,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Path(Vec<Step>);

    impl Path {
        fn then(&self, step: Step) -> Path {
            let mut steps = self.0.clone();
            steps.push(step);
            Path(steps)
        }
    }

    impl fmt::Display for Path {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (index, step) in self.0.iter().enumerate() {
                match step {
                    Step::Key(key) if index == 0 => write!(f, "{key}")?,
                    Step::Key(key) => write!(f, ".{key}")?,
                    Step::Item => f.write_str("[0]")?,
                }
            }
            Ok(())
        }
    }

    /// A mapping in the schema, and whether its keys are named (`properties`) or only
    /// patterned (a map such as `rotation.overrides`).
    #[derive(Debug, Default)]
    struct Places {
        /// Mappings with named keys: an unknown key there must be rejected as unknown.
        structs: Vec<Path>,
        /// Maps whose keys must match a pattern: a key that does not must be rejected.
        maps: Vec<Path>,
        /// Every key the schema declares, and a valid key of every map.
        keys: Vec<Path>,
    }

    impl Places {
        fn push(list: &mut Vec<Path>, path: Path) {
            if !list.contains(&path) {
                list.push(path);
            }
        }
    }

    /// Keys tried for a map's `patternProperties`; the first that matches the pattern is used.
    const EXAMPLE_MAP_KEYS: [&str; 3] = ["2026-07", "2026-07-07", "example"];

    fn walk(root: &Value, schema: &Value, path: &Path, places: &mut Places, depth: usize) {
        assert!(depth < 32, "the schema nests too deep at `{path}`");
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("unexpected $ref `{reference}` at `{path}`"));
            let definition = &root["$defs"][name];
            assert!(!definition.is_null(), "no definition `{name}`");
            walk(root, definition, path, places, depth + 1);
        }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            for alternative in schema
                .get(combinator)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(root, alternative, path, places, depth + 1);
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            Places::push(&mut places.structs, path.clone());
            for (key, property) in properties {
                let key_path = path.then(Step::Key(key.clone()));
                Places::push(&mut places.keys, key_path.clone());
                walk(root, property, &key_path, places, depth + 1);
            }
        }
        if let Some(patterns) = schema.get("patternProperties").and_then(Value::as_object) {
            Places::push(&mut places.maps, path.clone());
            for (pattern, value) in patterns {
                let regex = regex::Regex::new(pattern).unwrap();
                let key = EXAMPLE_MAP_KEYS
                    .into_iter()
                    .find(|key| regex.is_match(key))
                    .unwrap_or_else(|| {
                        panic!("add an example key matching `{pattern}` (at `{path}`)")
                    });
                let key_path = path.then(Step::Key(key.to_owned()));
                Places::push(&mut places.keys, key_path.clone());
                walk(root, value, &key_path, places, depth + 1);
            }
        }
        if let Some(value) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let key_path = path.then(Step::Key("example".to_owned()));
            Places::push(&mut places.keys, key_path.clone());
            walk(root, value, &key_path, places, depth + 1);
        }
        if let Some(items) = schema.get("items").filter(|items| items.is_object()) {
            walk(root, items, &path.then(Step::Item), places, depth + 1);
        }
    }

    fn places() -> Places {
        let schema = json_schema();
        let mut places = Places::default();
        walk(&schema, &schema, &Path(Vec::new()), &mut places, 0);
        places
    }

    /// The smallest valid configuration.
    fn base() -> Value {
        json!({
            "schedule": { "anchor": "2026-01-06" },
            "rotation": { "members": ["alice"] },
        })
    }

    /// Sets `path` in `document` to `value`, making the mappings and lists on the way.
    fn set(document: &mut Value, path: &Path, value: Value) {
        let mut at = document;
        for step in &path.0 {
            at = match step {
                Step::Key(key) => {
                    if !at.is_object() {
                        *at = json!({});
                    }
                    let Value::Object(map) = at else {
                        unreachable!()
                    };
                    map.entry(key.clone()).or_insert(Value::Null)
                }
                Step::Item => {
                    if at.as_array().is_none_or(Vec::is_empty) {
                        *at = json!([null]);
                    }
                    let Value::Array(items) = at else {
                        unreachable!()
                    };
                    &mut items[0]
                }
            };
        }
        *at = value;
    }

    /// Decodes `document` written as YAML (pretty JSON is YAML), with the 1-based line of the
    /// first line holding `marker`.
    fn decode(document: &Value, marker: &str) -> (Vec<ConfigError>, usize, String) {
        let text = serde_json::to_string_pretty(document).unwrap();
        let line = text
            .lines()
            .position(|line| line.contains(marker))
            .unwrap_or_else(|| panic!("no `{marker}` in {text}"))
            + 1;
        let errors = match parse_repo_config(".github/relman.yml", &text) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().collect(),
        };
        (errors, line, text)
    }

    #[test]
    fn the_base_document_is_valid() {
        let text = serde_json::to_string_pretty(&base()).unwrap();
        assert!(parse_repo_config(".github/relman.yml", &text).is_ok());
    }

    #[test]
    fn the_walk_reaches_every_kind_of_place() {
        let places = places();
        let keys: Vec<String> = places.keys.iter().map(Path::to_string).collect();
        for expected in [
            "_extends",
            "schedule.anchor",
            "versioning.bump_labels.major",
            "environments.production.soak",
            "dashboards[0].url",
            "release.version_files[0].pattern",
            "rotation.overrides.2026-07",
        ] {
            assert!(
                keys.contains(&expected.to_owned()),
                "{expected} in {keys:?}"
            );
        }
        assert!(places.structs.len() >= 16, "{:?}", places.structs);
        assert_eq!(places.maps.len(), 1, "{:?}", places.maps);
    }

    #[test]
    fn the_decoder_reads_every_key_the_schema_declares_at_its_place() {
        // A mapping with an unknown key is wrong for every kind of value: a scalar, a list, a
        // mapping of known keys, a map of patterned keys. So whatever the key holds, a decoder
        // that reads it reports an error inside the probe; one that ignores it reports none,
        // and one that does not know it reports the key itself as unknown.
        let marker = "relman_probe";
        for path in places().keys {
            let mut document = base();
            set(&mut document, &path, json!({ marker: ["x"] }));
            let (errors, marker_line, text) = decode(&document, marker);
            let Some(Step::Key(key)) = path.0.last() else {
                unreachable!()
            };
            assert!(
                !errors
                    .iter()
                    .any(|error| error.message.starts_with(&format!("unknown key `{key}`"))),
                "`{path}` is declared by the types but unknown to the decoder: {errors:?}\n{text}"
            );
            // The probe's `{` is on the key's line, just above the marker.
            let probe_lines = marker_line - 1..=marker_line + 3;
            assert!(
                errors.iter().any(|error| probe_lines.contains(&error.line)),
                "the decoder ignores `{path}`: {errors:?}\n{text}"
            );
        }
    }

    #[test]
    fn the_decoder_rejects_an_unknown_key_in_every_mapping() {
        let places = places();
        let unknown = "relman_unknown_key";
        for path in &places.structs {
            let mut document = base();
            set(
                &mut document,
                &path.then(Step::Key(unknown.to_owned())),
                json!(1),
            );
            let (errors, line, text) = decode(&document, unknown);
            assert!(
                errors.iter().any(|error| error.line == line
                    && error
                        .message
                        .starts_with(&format!("unknown key `{unknown}`"))),
                "an unknown key at `{path}` is not rejected: {errors:?}\n{text}"
            );
        }
        for path in &places.maps {
            let mut document = base();
            set(
                &mut document,
                &path.then(Step::Key(unknown.to_owned())),
                json!("x"),
            );
            let (errors, line, text) = decode(&document, unknown);
            assert!(
                errors.iter().any(|error| error.line == line),
                "a key that the map at `{path}` does not allow is not rejected: {errors:?}\n{text}"
            );
        }
    }
}
