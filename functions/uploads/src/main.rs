//! The `uploads` Lambda: the shared uploads routes behind API Gateway (HTTP API, payload v2).

use imagegram::aws::{self, AwsConfig};
use imagegram::http::Group;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    imagegram::telemetry::init();
    let config = AwsConfig::from_env()?;
    let app = aws::app(&config).await?;
    lambda_http::run(aws::lambda_router(&Group::of_function("uploads"), app)).await
}
