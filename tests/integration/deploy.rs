//! deploy/ against relman itself: the health checks of the image and of Kubernetes point at
//! endpoints the real router answers, the Deployment runs two replicas on PostgreSQL with its
//! secrets referenced (never inlined), its resources cover the measured memory, and the systemd
//! unit is hardened. Schema validation and the image's build stage run in `deploy/check.sh`.

use crate::support;

use serde_yaml_ng::Value;
use support::{TestDb, app, http_get};

fn read(path: &str) -> String {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn deployment() -> Value {
    serde_yaml_ng::from_str(&read("deploy/kubernetes/deployment.yaml")).unwrap()
}

fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

/// The runtime stage of the Dockerfile (after the last FROM).
fn runtime_stage() -> String {
    let dockerfile = read("deploy/Dockerfile");
    let start = dockerfile.rfind("\nFROM ").unwrap();
    dockerfile[start..].to_string()
}

fn mebibytes(quantity: &str) -> u64 {
    match quantity.strip_suffix("Mi") {
        Some(n) => n.parse().unwrap(),
        None => quantity.strip_suffix("Gi").unwrap().parse::<u64>().unwrap() * 1024,
    }
}

#[tokio::test]
async fn every_health_check_asks_an_endpoint_relman_answers() {
    let mut paths: Vec<String> = Vec::new();
    let deployment = deployment();
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let get = &container(&deployment)[probe]["httpGet"];
        assert_eq!(get["port"], "http", "{probe}");
        paths.push(get["path"].as_str().unwrap().to_string());
    }
    // Readiness includes the store: a replica that lost its database gets no webhooks.
    assert_eq!(paths[1], "/__heartbeat__");
    let healthcheck = runtime_stage()
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .nth(1)
        .unwrap()
        .to_string();
    let path = healthcheck
        .split("${PORT}")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(path, "/__lbheartbeat__", "{healthcheck}");
    paths.push(path.to_string());

    let db = TestDb::sqlite();
    let store = db.store().await;
    let (router, _) = app(&store);
    for path in paths {
        let (status, _) = http_get(&router, &path).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[test]
fn the_image_runs_unprivileged_with_ca_certificates_on_the_port_it_exposes() {
    let runtime = runtime_stage();
    assert!(runtime.contains("ca-certificates"), "{runtime}");
    let user = runtime
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .unwrap();
    assert!(
        !user.starts_with("root") && !user.starts_with("0"),
        "{user}"
    );
    assert!(runtime.contains("PORT=3000") && runtime.contains("EXPOSE 3000"));
    assert!(runtime.contains("COPY --from=build /src/target/release/relman /usr/local/bin/relman"));
    // The Kubernetes securityContext runs the image's user.
    let deployment = deployment();
    let uid = deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
        .as_u64()
        .unwrap();
    assert_eq!(user.split(':').next().unwrap(), uid.to_string());
}

#[test]
fn kubernetes_runs_two_replicas_on_postgresql_with_its_secrets_referenced() {
    let deployment = deployment();
    assert_eq!(deployment["spec"]["replicas"], 2);
    let env = container(&deployment)["env"].as_sequence().unwrap();
    let var = |name: &str| {
        env.iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not set"))
    };
    for secret in ["APP_ID", "WEBHOOK_SECRET", "DATABASE_URL"] {
        let from = &var(secret)["valueFrom"]["secretKeyRef"];
        assert_eq!(from["name"], "relman", "{secret}");
        assert!(var(secret).get("value").is_none(), "{secret} is inlined");
    }
    // Several replicas need the shared PostgreSQL inbox; the Secret's example says so.
    assert!(read("deploy/kubernetes/deployment.yaml").contains("DATABASE_URL (postgres://"));

    // The key: a Secret volume at PRIVATE_KEY_PATH, not readable by every user (relman refuses
    // such a key at start).
    let key_path = var("PRIVATE_KEY_PATH")["value"].as_str().unwrap();
    let mount = container(&deployment)["volumeMounts"][0].clone();
    assert!(key_path.starts_with(mount["mountPath"].as_str().unwrap()));
    let volume = &deployment["spec"]["template"]["spec"]["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    assert_eq!(volume["secret"]["secretName"], "relman");
    let mode = volume["secret"]["defaultMode"].as_u64().unwrap();
    assert_eq!(mode & 0o004, 0, "mode {mode:o}");
}

#[test]
fn resources_cover_the_measured_memory() {
    let deployment = deployment();
    let resources = &container(&deployment)["resources"];
    let request = mebibytes(resources["requests"]["memory"].as_str().unwrap());
    let limit = mebibytes(resources["limits"]["memory"].as_str().unwrap());
    // benches/README.md: peak RSS 27.4 MiB at 30 KiB deliveries, 89 MiB with 1 MiB pushes.
    assert!(request >= 2 * 28, "request {request} Mi");
    assert!(limit >= 2 * 89, "limit {limit} Mi");
    assert!(resources["requests"]["cpu"].as_str().is_some());
}

#[test]
fn the_systemd_unit_is_hardened_and_keeps_sqlite_in_its_state_directory() {
    let unit = read("deploy/systemd/relman.service");
    let settings: Vec<&str> = unit
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .collect();
    for required in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "StateDirectory=relman",
        "NoNewPrivileges=yes",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "LoadCredential=private-key.pem:/etc/relman/private-key.pem",
        "Environment=PRIVATE_KEY_PATH=%d/private-key.pem",
        "Environment=DATABASE_URL=sqlite:///var/lib/relman/relman.db",
        "ExecStart=/usr/local/bin/relman serve",
    ] {
        assert!(settings.contains(&required), "missing {required}");
    }
}
