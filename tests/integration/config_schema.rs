//! `relman.schema.json` at the repository root must equal the schema generated from the types.
//! After changing the config types, regenerate it with:
//!
//!     UPDATE_SCHEMA=1 cargo test --test integration config_schema::

use relman::config::repo::json_schema;

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/relman.schema.json");

#[test]
fn published_schema_matches_the_types() {
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&json_schema()).unwrap()
    );
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
        return;
    }
    let published = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        published == generated,
        "relman.schema.json is out of date; regenerate it with `UPDATE_SCHEMA=1 cargo test --test integration config_schema::`"
    );
}

#[test]
fn schema_describes_every_section_and_the_required_ones() {
    let schema = json_schema();
    let properties = schema["properties"].as_object().unwrap();
    let keys: Vec<&str> = properties.keys().map(String::as_str).collect();
    for key in [
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
    ] {
        assert!(keys.contains(&key), "schema lacks `{key}`");
    }
    assert_eq!(
        schema["required"],
        serde_json::json!(["schedule", "rotation"])
    );
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
    // The example time zone is one of the enumerated names editors complete from.
    let zones = schema["$defs"]["TimeZone"]["enum"].as_array().unwrap();
    assert!(zones.contains(&serde_json::json!("America/Los_Angeles")));
    // Environment names default per environment, so `name` must not be required.
    assert!(
        schema["$defs"]["Environment"]
            .get("required")
            .is_none_or(|r| !r.as_array().unwrap().contains(&serde_json::json!("name")))
    );
}
