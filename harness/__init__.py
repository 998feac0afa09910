"""What tests, benchmarks and the local stack share to drive this project's code without AWS.

The Pulumi program run under mocks and the model of the resources it declared (`pulumi_program`,
`declared_resources`, `stack_settings`), mocks that answer like AWS (`fake_cloud`), Lambda's event documents
(`lambda_events`), in-memory implementations of the domain's ports (`port_fakes`) and a server thread whose stop
returns at once, for the receivers they serve on this machine (`server_thread`). Only this package touches
Pulumi's private runtime functions. It imports no tests, benchmarks, local stack or tools (import-linter), and
the Lambda code archive leaves it out.
"""
