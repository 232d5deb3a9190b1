"""The monitoring report the municipality must make, from the conversations it received.

`records` opens the latest version of each case and its signed plan, `figures` counts (with
`tables` keeping small numbers out), `charts`, `pdf`, `html` and `files` write it, `command`
is `kitchentable-office report`. Runs where the office key is, never in `serve`.
"""
