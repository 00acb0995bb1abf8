#!/usr/bin/env python3
"""A local stand-in for the AWS side of the stack, for `cargo lambda watch` and the cold-start bench.

Starts moto's server (DynamoDB and S3 in one process) on 127.0.0.1:5000 unless one already answers
there, then creates what template.yaml declares, under the local names of the
`[workspace.metadata.lambda.watch]` environment in Cargo.toml: the table `imagegram` with the
template's keys and GSIs (read from template.yaml, so the two cannot drift) and the buckets
`imagegram-uploads` and `imagegram-renditions`. Idempotent. Needs moto: `bash .ci/moto.sh`, then

    .venv-moto/bin/python bench/lambda_local.py          # leaves the server running, prints its pid
    .venv-moto/bin/python bench/lambda_local.py --stop   # stops a server this script started

Everything stays on loopback.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST, PORT = "127.0.0.1", 5000
ENDPOINT = f"http://{HOST}:{PORT}"
TABLE = "imagegram"
BUCKETS = ["imagegram-uploads", "imagegram-renditions"]
REGION = "eu-west-1"
PIDFILE = os.path.join(ROOT, "target", "lambda-local-moto.pid")


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML: short-form intrinsics (!Ref, !Sub, ...) become plain values."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


CfnLoader.add_multi_constructor("!", _any_tag)


def table_definition():
    with open(os.path.join(ROOT, "template.yaml")) as f:
        template = yaml.load(f, Loader=CfnLoader)
    props = template["Resources"]["Table"]["Properties"]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"],
    }


def answers():
    try:
        urllib.request.urlopen(f"{ENDPOINT}/moto-api/", timeout=1).read()
        return True
    except Exception:
        return False


def start_moto():
    if answers():
        print(f"moto already answers on {ENDPOINT}")
        return
    exe = os.path.join(os.path.dirname(sys.executable), "moto_server")
    log = open(os.path.join(ROOT, "target", "lambda-local-moto.log"), "ab")
    proc = subprocess.Popen(
        [exe, "-H", HOST, "-p", str(PORT)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with open(PIDFILE, "w") as f:
        f.write(str(proc.pid))
    for _ in range(100):
        if answers():
            print(f"moto started on {ENDPOINT} (pid {proc.pid})")
            return
        time.sleep(0.1)
    sys.exit(f"moto did not answer on {ENDPOINT} within 10 s")


def stop_moto():
    try:
        with open(PIDFILE) as f:
            pid = int(f.read())
    except FileNotFoundError:
        print("no moto started by this script")
        return
    try:
        os.kill(pid, signal.SIGTERM)
        print(f"stopped moto (pid {pid})")
    except ProcessLookupError:
        pass
    os.remove(PIDFILE)


def create_resources():
    kw = dict(
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    ddb = boto3.client("dynamodb", **kw)
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST", **table_definition())
        print(f"created table {TABLE}")
    s3 = boto3.client("s3", **kw)
    have = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        if bucket not in have:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            print(f"created bucket {bucket}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stop", action="store_true", help="stop a moto server started here")
    args = parser.parse_args()
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    if args.stop:
        stop_moto()
        return
    start_moto()
    create_resources()


if __name__ == "__main__":
    main()
