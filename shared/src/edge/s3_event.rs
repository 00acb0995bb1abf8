//! S3 object-created notifications: their key encoding, building one (the embedded endpoint
//! notifies the resize worker as S3 notifies the resize Lambda), and handing their records to
//! the resize use case.

use aws_lambda_events::s3::S3Event;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::app::App;
use crate::app::resize::{self, Retry};

const KEY_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b' ');

/// Encodes a key the way S3 puts it in event notifications (form encoding: space → `+`).
pub fn encode_event_key(key: &str) -> String {
    utf8_percent_encode(key, KEY_SAFE)
        .to_string()
        .replace(' ', "+")
}

/// Decodes an event key (`+` → space, then `%XX`), once, at the edge.
pub fn decode_event_key(key: &str) -> Option<String> {
    percent_decode_str(&key.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|k| k.into_owned())
}

/// An `ObjectCreated:*` notification for one object, shaped as S3 sends it (`event_name` such as
/// `ObjectCreated:Put`; `etag` with or without its quotes).
pub fn object_created(
    event_name: &str,
    bucket: &str,
    key: &str,
    size: i64,
    etag: &str,
) -> Result<S3Event, serde_json::Error> {
    let now = chrono::Utc::now();
    let event = serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "eventName": event_name,
            "userIdentity": {"principalId": "imagegram-local"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "imagegram-local",
                "bucket": {"name": bucket, "ownerIdentity": {"principalId": "imagegram-local"},
                           "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": encode_event_key(key), "size": size,
                           "eTag": etag.trim_matches('"'),
                           "sequencer": format!("{:016X}", now.timestamp_micros())}
            }
        }]
    });
    serde_json::from_value(event)
}

/// Hands every record of `event` to the resize use case, with its key decoded once, here.
pub async fn handle_event(app: &App, uploads_bucket: &str, event: &S3Event) -> Result<(), Retry> {
    for record in &event.records {
        let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
        let raw_key = record.s3.object.key.as_deref().unwrap_or_default();
        let Some(key) = decode_event_key(raw_key) else {
            tracing::warn!(raw_key, "ignoring an event key that is not valid UTF-8");
            continue;
        };
        let started = std::time::Instant::now();
        let result = resize::object_created(app, uploads_bucket, bucket, &key).await;
        if app.settings.emf_metrics {
            let outcome = match &result {
                Ok(processed) => processed.as_str(),
                Err(_) => "retry",
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let now = chrono::Utc::now().timestamp_millis();
            println!("{}", crate::telemetry::emf_resize(outcome, ms, now));
        }
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_round_trip_and_decode_like_s3() {
        let key = "uploads/alice/my photo+1.jpg";
        let encoded = encode_event_key(key);
        assert_eq!(encoded, "uploads/alice/my+photo%2B1.jpg");
        assert_eq!(decode_event_key(&encoded).unwrap(), key);
        assert_eq!(
            decode_event_key("uploads%2Falice%2Fx").unwrap(),
            "uploads/alice/x"
        );
    }

    #[test]
    fn built_events_carry_the_encoded_key() {
        let event =
            object_created("ObjectCreated:Put", "uploads", "uploads/a b/x", 3, "\"e\"").unwrap();
        let record = &event.records[0];
        assert_eq!(record.s3.object.key.as_deref(), Some("uploads/a+b/x"));
        assert_eq!(record.s3.object.e_tag.as_deref(), Some("e"));
        assert_eq!(record.s3.bucket.name.as_deref(), Some("uploads"));
    }
}
