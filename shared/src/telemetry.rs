//! Logging setup shared by every binary (`RUST_LOG` filters, default `info`) and the CloudWatch
//! Embedded Metric Format lines the Lambda functions print.
//!
//! Log lines are JSON on Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set) or with
//! `IMAGEGRAM_LOG_FORMAT=json`, text otherwise; each line of a request carries its `request_id`.

use serde_json::json;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,s3s=warn,aws=warn"));
    let json = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
        || std::env::var("IMAGEGRAM_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The namespace of every metric.
pub const NAMESPACE: &str = "Imagegram";

/// One EMF line: `metrics` (name, unit, value) with `dimensions` (name, value), at `timestamp_ms`.
/// Each metric is also recorded without dimensions (the second, empty set), so alarms can watch
/// the totals.
pub fn emf(
    dimensions: &[(&str, String)],
    metrics: &[(&str, &str, f64)],
    timestamp_ms: i64,
) -> String {
    let mut line = serde_json::Map::new();
    let names: Vec<&str> = dimensions.iter().map(|(n, _)| *n).collect();
    let defs: Vec<_> = metrics
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [names, []], "Metrics": defs}],
        }),
    );
    for (name, value) in dimensions {
        line.insert((*name).into(), json!(value));
    }
    for (name, _, value) in metrics {
        line.insert((*name).into(), json!(value));
    }
    serde_json::Value::Object(line).to_string()
}

/// A request's latency by route and status; a 429 also counts as a throttle.
pub fn emf_request(route: &str, status: u16, latency_ms: f64, timestamp_ms: i64) -> String {
    let mut metrics = vec![
        ("Latency", "Milliseconds", latency_ms),
        ("Requests", "Count", 1.0),
    ];
    if status == 429 {
        metrics.push(("Throttles", "Count", 1.0));
    }
    if status >= 500 {
        metrics.push(("ServerErrors", "Count", 1.0));
    }
    emf(
        &[("route", route.to_owned()), ("status", status.to_string())],
        &metrics,
        timestamp_ms,
    )
}

/// A resize's duration and outcome (`ready`, `failed`, or `retry` for a transient error).
pub fn emf_resize(outcome: &str, duration_ms: f64, timestamp_ms: i64) -> String {
    let failed = if outcome == "failed" { 1.0 } else { 0.0 };
    emf(
        &[("outcome", outcome.to_owned())],
        &[
            ("ResizeDuration", "Milliseconds", duration_ms),
            ("ResizeFailures", "Count", failed),
        ],
        timestamp_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_embedded_metric_format() {
        let line = emf_request("GET /v1/posts", 429, 12.5, 1_700_000_000_000);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let m = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(m["Namespace"], "Imagegram");
        assert_eq!(m["Dimensions"], json!([["route", "status"], []]));
        let names: Vec<_> = m["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Name"].clone())
            .collect();
        assert_eq!(
            names,
            [json!("Latency"), json!("Requests"), json!("Throttles")]
        );
        assert_eq!(v["route"], "GET /v1/posts");
        assert_eq!(v["status"], "429");
        assert_eq!(v["Latency"], 12.5);
        assert_eq!(v["Throttles"], 1.0);
        let ok: serde_json::Value =
            serde_json::from_str(&emf_request("GET /v1/posts", 200, 1.0, 0)).unwrap();
        assert!(ok.get("Throttles").is_none());
    }

    #[test]
    fn resize_lines_count_failures() {
        let v: serde_json::Value = serde_json::from_str(&emf_resize("failed", 80.0, 0)).unwrap();
        assert_eq!(v["ResizeFailures"], 1.0);
        assert_eq!(v["outcome"], "failed");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["outcome"], []])
        );
    }
}
