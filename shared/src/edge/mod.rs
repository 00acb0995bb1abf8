//! The edges where an AWS event type meets the use cases: events in, plain values out. The app
//! layer (`crate::app`) holds no AWS type; the embedded shape builds the same events (its S3
//! endpoint notifies like S3 does), so both shapes enter the use cases through here.

pub mod s3_event;
