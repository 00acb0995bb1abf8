#!/usr/bin/env python3
"""Writes the event fixtures: API Gateway HTTP API (payload 2.0) requests and S3 notifications.

The files are committed; rerun this after changing a route. `{{TOKEN}}` is replaced by the tests
with a real bearer token (with `sam local invoke -e` or `cargo lambda invoke`, put one in by hand).
`expected.json` maps each fixture to the status the tests expect on a fresh deployment where only
the user `alice` (password `correct-horse`) exists.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
COMMENT = "01ARZ3NDEKTSV4RRFFQ69G5FAW"

# name, function, method, route template, path params, query, body, auth, expected status
ROUTES = [
    ("healthz", "accounts", "GET", "/healthz", {}, "", None, False, 200),
    ("create_user", "accounts", "POST", "/v1/users", {}, "", {"username": "fixture_user", "password": "fixture-password"}, False, 201),
    ("create_user_invalid", "accounts", "POST", "/v1/users", {}, "", {"username": "X", "password": "short"}, False, 422),
    ("create_token", "accounts", "POST", "/v1/tokens", {}, "", {"username": "alice", "password": "correct-horse"}, False, 200),
    ("create_token_wrong", "accounts", "POST", "/v1/tokens", {}, "", {"username": "alice", "password": "wrong-password"}, False, 401),
    ("get_me", "accounts", "GET", "/v1/users/me", {}, "", None, True, 200),
    ("get_me_no_token", "accounts", "GET", "/v1/users/me", {}, "", None, False, 401),
    ("get_limits", "accounts", "GET", "/v1/limits", {}, "", None, True, 200),
    ("create_upload", "uploads", "POST", "/v1/uploads", {}, "", {"filename": "photo.jpg", "content_type": "image/jpeg", "size": 40120}, True, 201),
    ("create_upload_too_large", "uploads", "POST", "/v1/uploads", {}, "", {"filename": "huge.jpg", "content_type": "image/jpeg", "size": 104857601}, True, 413),
    ("get_upload", "uploads", "GET", "/v1/uploads/{id}", {"id": UNKNOWN}, "", None, True, 404),
    ("resign_parts", "uploads", "POST", "/v1/uploads/{id}/parts", {"id": UNKNOWN}, "", {"numbers": [1]}, True, 404),
    ("complete_upload", "uploads", "POST", "/v1/uploads/{id}/complete", {"id": UNKNOWN}, "", {"parts": [{"number": 1, "etag": "abc"}]}, True, 404),
    ("abort_upload", "uploads", "DELETE", "/v1/uploads/{id}", {"id": UNKNOWN}, "", None, True, 404),
    ("list_posts", "posts", "GET", "/v1/posts", {}, "sort=comments&limit=20", None, True, 200),
    ("list_posts_bad_limit", "posts", "GET", "/v1/posts", {}, "limit=101", None, True, 400),
    ("create_post", "posts", "POST", "/v1/posts", {}, "", {"upload_id": UNKNOWN, "caption": "hello"}, True, 404),
    ("get_post", "posts", "GET", "/v1/posts/{id}", {"id": UNKNOWN}, "", None, True, 404),
    ("delete_post", "posts", "DELETE", "/v1/posts/{id}", {"id": UNKNOWN}, "", None, True, 404),
    ("list_comments", "posts", "GET", "/v1/posts/{id}/comments", {"id": UNKNOWN}, "limit=10", None, True, 404),
    ("create_comment", "posts", "POST", "/v1/posts/{id}/comments", {"id": UNKNOWN}, "", {"text": "nice"}, True, 404),
    ("delete_comment", "posts", "DELETE", "/v1/posts/{id}/comments/{comment_id}", {"id": UNKNOWN, "comment_id": COMMENT}, "", None, True, 404),
]


def api_event(method, route, params, query, body, auth):
    path = route
    for k, v in params.items():
        path = path.replace("{" + k + "}", v)
    headers = {
        "accept": "application/json",
        "host": "abc123.execute-api.eu-west-1.amazonaws.com",
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if auth:
        headers["authorization"] = "Bearer {{TOKEN}}"
    event = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "26/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795694400000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(kv.split("=", 1) for kv in query.split("&"))
    if params:
        event["pathParameters"] = params
    if body is not None:
        headers["content-type"] = "application/json"
        event["body"] = json.dumps(body)
    return event


def s3_event(name, key, size=40120, bucket="imagegram-uploads"):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
        "eventTime": "2026-11-26T12:00:00.000Z", "eventName": name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0", "configurationId": "resize",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": key, "size": size, "eTag": "0123456789abcdef0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901"},
        },
    }]}


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def main():
    expected = {}
    for name, function, method, route, params, query, body, auth, status in ROUTES:
        write(os.path.join(HERE, "api", f"{name}.json"), api_event(method, route, params, query, body, auth))
        expected[name] = {"function": function, "status": status}
    write(os.path.join(HERE, "api", "expected.json"), expected)
    s3 = {
        "put": s3_event("ObjectCreated:Put", f"uploads/alice/{UNKNOWN}"),
        "complete_multipart": s3_event("ObjectCreated:CompleteMultipartUpload", f"uploads/alice/{UNKNOWN}"),
        "encoded_slashes": s3_event("ObjectCreated:Put", f"uploads%2Falice%2F{UNKNOWN}"),
        "key_with_spaces_and_plus": s3_event("ObjectCreated:Put", "uploads/alice/my+holiday+photo%2B1.jpg"),
        "outside_prefix": s3_event("ObjectCreated:Put", f"renditions/{UNKNOWN}/600x600.jpg"),
        "other_bucket": s3_event("ObjectCreated:Put", f"uploads/alice/{UNKNOWN}", bucket="someone-elses-bucket"),
    }
    for name, event in s3.items():
        write(os.path.join(HERE, "s3", f"{name}.json"), event)


if __name__ == "__main__":
    main()
