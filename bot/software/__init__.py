"""Software bought through Microsoft's Partner Center, on the request pipeline.

`catalogue` (what can be bought, from the cache), `sync` (fills the cache), `buy` and `cancel`
(forms → drafts), `steps` (the worker's Partner Center calls), `purchases` (what was bought and
until when it can be cancelled), `keys` (the honest route to keys and downloads), `reminders`
(a DM before a cancellation window closes). Views in `bot.software.views`, listeners in
`handlers.software`. docs/setup.md §7 says how to connect a real Partner Center account.
"""
