"""The API Gateway front door: routes, proxy events, and AWS_IAM authorization."""
