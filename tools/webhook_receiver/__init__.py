"""The chat webhook that `make test-aws` deploys for the ephemeral stack to post to: its Lambda code, alone in this
package so that it is zipped as it is (standard library and boto3 only)."""
