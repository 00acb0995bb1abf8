//! The `resize` Lambda: S3 object-created events of the uploads bucket in, renditions out.

use imagegram::aws::{self, AwsConfig};
use imagegram::edge::s3_event;
use lambda_runtime::{Error, LambdaEvent, service_fn};

use aws_lambda_events::s3::S3Event;

#[tokio::main]
async fn main() -> Result<(), Error> {
    imagegram::telemetry::init();
    let config = AwsConfig::from_env()?;
    let app = aws::app(&config).await?;
    let bucket = config.uploads_bucket.clone();
    lambda_runtime::run(service_fn(|event: LambdaEvent<S3Event>| {
        let (app, bucket) = (app.clone(), bucket.clone());
        // An Err makes Lambda retry the event; bad images are recorded as failed and return Ok.
        async move {
            s3_event::handle_event(&app, &bucket, &event.payload)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
