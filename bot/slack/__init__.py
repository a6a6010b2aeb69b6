"""The Slack kit: what every flow needs from a Slack payload or for a modal, written once.

- `metadata`: the one base model of a modal's `private_metadata` (compact dump, forgiving load),
  with one subclass per modal.
- `state`: the one reader of a submitted or updated modal's `view.state.values`.
- `modals`: replacing a modal where it is (`views.update` with its hash), the matcher of the
  modal an action happened in, and the channel a click came from.
- `payload`: what a listener reads from a payload beyond what the front door checked, or
  `OutOfDate`.
- `ids`: the one parser of request ids in button values and metadata.
- `access`: the role each listener and subcommand declares at registration, enforced in one
  place.

It knows Slack's shapes, not the flows: nothing here imports a feature module.
"""
