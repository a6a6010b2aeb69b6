"""Software through Microsoft's Partner Center: the second provider, beside OVHcloud's CSP2.

`provider.SoftwareProvider` is the interface; `client.PartnerCenterClient` speaks the REST API
(tokens from `auth`, HTTP in `transport`), `sandbox.PartnerCenterSandbox` is the embedded default
(served over HTTP by `sandbox_server`, with `entra_standin` for tokens). The resource models are
in `customers`, `catalog`, `orders` and `software`; `errors` maps Partner Center's codes to typed
errors; `windows` holds the cancellation-deadline rule.
"""
